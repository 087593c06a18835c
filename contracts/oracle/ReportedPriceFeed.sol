// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title ReportedPriceFeed
/// @notice The collateral-ratio oracle stub: one price feed per collateral asset,
/// written by the oracle-reporter role and read through Chainlink's AggregatorV3
/// interface. A real feed replaces it by pointing the reserve at another address.
/// @dev Write-side guards live here: answers must be positive and may move at most
/// `maxDeviationBps` from the previous answer per report; only governance may
/// force a larger move ({forceReport}). Read-side guards (staleness against a
/// heartbeat, non-positive answers) live in the consumer, because a real
/// Chainlink feed does not apply them either.
contract ReportedPriceFeed is AggregatorV3Interface, AccessManaged {
    /// @dev The reported answer is zero or negative.
    error FeedInvalidAnswer(int256 answer);
    /// @dev The answer moves `deviationBps` from `previous`, beyond `maxDeviationBps`.
    error FeedDeviationTooLarge(int256 previous, int256 answer, uint256 deviationBps, uint256 maxDeviationBps);
    /// @dev The maximum deviation asked for is outside [MIN_DEVIATION_BPS, MAX_DEVIATION_BPS].
    error FeedInvalidMaxDeviation(uint256 maxDeviationBps);
    /// @dev More than 18 decimals were asked for.
    error FeedInvalidDecimals(uint8 decimals);
    /// @dev No round with this id exists.
    error FeedNoSuchRound(uint80 roundId);

    /// @notice A new round was written. Chainlink's `AnswerUpdated` layout.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
    /// @notice Governance overrode the deviation guard for this round.
    event AnswerForced(int256 indexed previous, int256 indexed current, uint256 indexed roundId);
    /// @notice The maximum deviation per report changed.
    event MaxDeviationSet(uint256 previousBps, uint256 newBps);

    struct Round {
        int256 answer; // price of one whole asset in the unit of account [10**decimals]
        uint64 updatedAt; // [unix seconds]
    }

    /// @dev 0.1%: tighter would reject ordinary market moves between heartbeats.
    uint256 public constant MIN_DEVIATION_BPS = 10;
    /// @dev 50%: looser is no guard at all; a larger move needs {forceReport}.
    uint256 public constant MAX_DEVIATION_BPS = 5_000;
    uint256 private constant BPS = 10_000;

    uint8 public immutable override decimals;
    string public override description;
    /// @notice The largest move per report, in basis points of the previous answer.
    uint256 public maxDeviationBps;
    /// @notice The id of the latest round (0 before the first report).
    uint80 public latestRound;
    mapping(uint80 roundId => Round) private _rounds;

    /// @param authority The AccessManager holding the reporter and governor roles.
    /// @param decimals_ Decimals of the answer (at most 18).
    /// @param description_ e.g. "TBILL-2027-03 / SHL".
    /// @param maxDeviationBps_ Initial deviation guard in basis points.
    constructor(address authority, uint8 decimals_, string memory description_, uint256 maxDeviationBps_)
        AccessManaged(authority)
    {
        if (decimals_ > 18) revert FeedInvalidDecimals(decimals_);
        decimals = decimals_;
        description = description_;
        _setMaxDeviation(maxDeviationBps_);
    }

    /// @notice Interface version (Chainlink's aggregators report 4).
    function version() external pure override returns (uint256) {
        return 4;
    }

    /// @notice Write a new answer, at most `maxDeviationBps` from the previous one.
    /// @dev Caller: the oracle-reporter role. Emits {AnswerUpdated}.
    /// Reverts with {FeedInvalidAnswer} or {FeedDeviationTooLarge}.
    function report(int256 answer) external restricted {
        if (answer <= 0) revert FeedInvalidAnswer(answer);
        uint80 previousRound = latestRound;
        if (previousRound != 0) {
            int256 previous = _rounds[previousRound].answer;
            uint256 deviationBps = _deviationBps(previous, answer);
            if (deviationBps > maxDeviationBps) {
                revert FeedDeviationTooLarge(previous, answer, deviationBps, maxDeviationBps);
            }
        }
        _write(answer);
    }

    /// @notice Write a new answer without the deviation guard (a revaluation, a default).
    /// @dev Caller: the governor role (with its execution delay). Emits {AnswerForced} and {AnswerUpdated}.
    function forceReport(int256 answer) external restricted {
        if (answer <= 0) revert FeedInvalidAnswer(answer);
        emit AnswerForced(_rounds[latestRound].answer, answer, latestRound + 1);
        _write(answer);
    }

    /// @notice Set the deviation guard.
    /// @dev Caller: the governor role. Emits {MaxDeviationSet}.
    function setMaxDeviation(uint256 newMaxDeviationBps) external restricted {
        _setMaxDeviation(newMaxDeviationBps);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData() external view override returns (uint80, int256, uint256, uint256, uint80) {
        uint80 roundId = latestRound;
        Round memory r = _rounds[roundId];
        // Before the first report this returns (0, 0, 0, 0, 0): consumers see an invalid answer.
        return (roundId, r.answer, r.updatedAt, r.updatedAt, roundId);
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(uint80 roundId) external view override returns (uint80, int256, uint256, uint256, uint80) {
        if (roundId == 0 || roundId > latestRound) revert FeedNoSuchRound(roundId);
        Round memory r = _rounds[roundId];
        return (roundId, r.answer, r.updatedAt, r.updatedAt, roundId);
    }

    function _write(int256 answer) private {
        uint80 roundId = latestRound + 1;
        latestRound = roundId;
        _rounds[roundId] = Round({answer: answer, updatedAt: uint64(block.timestamp)});
        emit AnswerUpdated(answer, roundId, block.timestamp);
    }

    function _setMaxDeviation(uint256 newMaxDeviationBps) private {
        if (newMaxDeviationBps < MIN_DEVIATION_BPS || newMaxDeviationBps > MAX_DEVIATION_BPS) {
            revert FeedInvalidMaxDeviation(newMaxDeviationBps);
        }
        emit MaxDeviationSet(maxDeviationBps, newMaxDeviationBps);
        maxDeviationBps = newMaxDeviationBps;
    }

    /// @dev |answer - previous| / previous in basis points, rounded up so that a
    /// move just over the bound is never rounded under it. Both are positive.
    function _deviationBps(int256 previous, int256 answer) private pure returns (uint256) {
        uint256 p = uint256(previous);
        uint256 a = uint256(answer);
        uint256 diff = a > p ? a - p : p - a;
        return Math.mulDiv(diff, BPS, p, Math.Rounding.Ceil);
    }
}
