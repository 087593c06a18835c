// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title ReportedPriceFeed
/// @notice The collateral-ratio oracle stub: one price feed per collateral asset,
/// written by the oracle-reporter role and read through Chainlink's AggregatorV3
/// interface. A real feed replaces it by pointing the reserve at another address.
/// @dev Write-side guards live here: answers must be positive, and a report may
/// move the answer at most `maxDeviationBps` from every answer in effect during
/// the last `deviationWindow` seconds (not just from the previous one), so that a
/// run of small reports cannot walk the price further than the bound within a
/// window; only governance may force a larger move ({forceReport}), and a forced
/// answer is the new reference. The window is a sliding one: the reports in it
/// are read back, at most {MAX_REPORTS_PER_WINDOW} of them. Read-side guards
/// (staleness against a heartbeat, non-positive answers) live in the consumer,
/// because a real Chainlink feed does not apply them either.
contract ReportedPriceFeed is AggregatorV3Interface, AccessManaged {
    /// @dev The reported answer is zero, negative or above type(int192).max.
    error FeedInvalidAnswer(int256 answer);
    /// @dev The answer moves `deviationBps` from `anchor` (an answer in effect within
    /// the window), beyond `maxDeviationBps`.
    error FeedDeviationTooLarge(int256 anchor, int256 answer, uint256 deviationBps, uint256 maxDeviationBps);
    /// @dev The feed has no answer yet: its first answer is governance's ({forceReport}), as
    /// nothing would bound a reporter's.
    error FeedNoReference();
    /// @dev `reports` reports already fall within the `window`: wait, or have governance force the answer.
    error FeedTooManyReports(uint256 reports, uint256 window);
    /// @dev The deviation window asked for is outside [MIN_DEVIATION_WINDOW, MAX_DEVIATION_WINDOW].
    error FeedInvalidDeviationWindow(uint256 window);
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
    /// @notice The maximum deviation within a window changed.
    event MaxDeviationSet(uint256 previousBps, uint256 newBps);
    /// @notice The deviation window changed.
    event DeviationWindowSet(uint256 previousSeconds, uint256 newSeconds);

    struct Round {
        int192 answer; // price of one whole asset in the unit of account [10**decimals]
        uint48 updatedAt; // [unix seconds]
        bool forced; // written by {forceReport}: older answers no longer bind
    }

    /// @dev 0.1%: tighter would reject ordinary market moves between heartbeats.
    uint256 public constant MIN_DEVIATION_BPS = 10;
    /// @dev 50%: looser is no guard at all; a larger move needs {forceReport}.
    uint256 public constant MAX_DEVIATION_BPS = 5_000;
    /// @dev One hour: a shorter window lets a reporter step the price by the bound every few minutes.
    uint256 public constant MIN_DEVIATION_WINDOW = 1 hours;
    /// @dev Seven days: the longest heartbeat the reserve accepts.
    uint256 public constant MAX_DEVIATION_WINDOW = 7 days;
    /// @dev Bounds the read-back of {report} (one storage slot per round): 32 reports in
    /// a window is far beyond an honest feed's cadence.
    uint256 public constant MAX_REPORTS_PER_WINDOW = 32;
    uint256 private constant BPS = 10_000;

    uint8 public immutable override decimals;
    string public override description;
    /// @notice The largest move within a window, in basis points of each answer in it.
    uint256 public maxDeviationBps;
    /// @notice The sliding window the deviation bound applies over [seconds].
    uint256 public deviationWindow;
    /// @notice The id of the latest round (0 before the first report).
    uint80 public latestRound;
    mapping(uint80 roundId => Round) private _rounds;

    /// @param authority The AccessManager holding the reporter and governor roles.
    /// @param decimals_ Decimals of the answer (at most 18).
    /// @param description_ e.g. "TBILL-2027-03 / SHL".
    /// @param maxDeviationBps_ Initial deviation guard in basis points.
    /// @param deviationWindow_ Initial window of the guard [seconds].
    constructor(
        address authority,
        uint8 decimals_,
        string memory description_,
        uint256 maxDeviationBps_,
        uint256 deviationWindow_
    ) AccessManaged(authority) {
        if (decimals_ > 18) revert FeedInvalidDecimals(decimals_);
        decimals = decimals_;
        description = description_;
        _setMaxDeviation(maxDeviationBps_);
        _setDeviationWindow(deviationWindow_);
    }

    /// @notice Interface version (Chainlink's aggregators report 4).
    function version() external pure override returns (uint256) {
        return 4;
    }

    /// @notice Write a new answer, at most `maxDeviationBps` from every answer in
    /// effect during the last `deviationWindow` seconds.
    /// @dev Caller: the oracle-reporter role, once the feed has a first answer
    /// ({FeedNoReference} before). Emits {AnswerUpdated}. Reverts with
    /// {FeedInvalidAnswer}, {FeedDeviationTooLarge} or {FeedTooManyReports}.
    function report(int256 answer) external restricted {
        _checkAnswer(answer);
        if (latestRound == 0) revert FeedNoReference();
        (int256 low, int256 high) = _windowRange();
        // The farthest answer in the window, relative to itself: the lowest for a
        // rise, the highest for a fall.
        uint256 fromLow = _deviationBps(low, answer);
        uint256 fromHigh = _deviationBps(high, answer);
        (int256 anchor, uint256 deviationBps) = fromLow >= fromHigh ? (low, fromLow) : (high, fromHigh);
        if (deviationBps > maxDeviationBps) {
            revert FeedDeviationTooLarge(anchor, answer, deviationBps, maxDeviationBps);
        }
        _write(answer, false);
    }

    /// @notice Write a new answer without the deviation guard (the first answer, a
    /// revaluation, a default).
    /// @dev Caller: the governor role (with its execution delay; the deployer, as admin,
    /// before the feed is wired). The forced answer is the reference of later reports.
    /// Emits {AnswerForced} and {AnswerUpdated}.
    function forceReport(int256 answer) external restricted {
        _checkAnswer(answer);
        emit AnswerForced(_rounds[latestRound].answer, answer, latestRound + 1);
        _write(answer, true);
    }

    /// @notice Set the deviation guard.
    /// @dev Caller: the governor role. Emits {MaxDeviationSet}.
    function setMaxDeviation(uint256 newMaxDeviationBps) external restricted {
        _setMaxDeviation(newMaxDeviationBps);
    }

    /// @notice Set the window of the deviation guard [seconds].
    /// @dev Caller: the governor role. Bounds: [MIN_DEVIATION_WINDOW, MAX_DEVIATION_WINDOW].
    /// Emits {DeviationWindowSet}.
    function setDeviationWindow(uint256 newWindow) external restricted {
        _setDeviationWindow(newWindow);
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

    /// @dev The lowest and highest answers in effect during the window: every round
    /// written within it, and the one in effect when it began. A forced round ends
    /// the read-back (older answers no longer bind), and so does the first round.
    function _windowRange() private view returns (int256 low, int256 high) {
        uint256 start = block.timestamp > deviationWindow ? block.timestamp - deviationWindow : 0;
        uint80 id = latestRound;
        low = type(int256).max;
        for (uint256 read = 1;; ++read) {
            Round memory r = _rounds[id];
            if (r.answer < low) low = r.answer;
            if (r.answer > high) high = r.answer;
            if (r.updatedAt <= start || r.forced || id == 1) break;
            if (read == MAX_REPORTS_PER_WINDOW) revert FeedTooManyReports(read, deviationWindow);
            --id;
        }
    }

    function _checkAnswer(int256 answer) private pure {
        if (answer <= 0 || answer > type(int192).max) revert FeedInvalidAnswer(answer);
    }

    function _write(int256 answer, bool forced) private {
        uint80 roundId = latestRound + 1;
        latestRound = roundId;
        // Casts are safe: 0 < answer <= type(int192).max (_checkAnswer); timestamps fit 48 bits.
        _rounds[roundId] = Round({answer: int192(answer), updatedAt: uint48(block.timestamp), forced: forced});
        emit AnswerUpdated(answer, roundId, block.timestamp);
    }

    function _setDeviationWindow(uint256 newWindow) private {
        if (newWindow < MIN_DEVIATION_WINDOW || newWindow > MAX_DEVIATION_WINDOW) {
            revert FeedInvalidDeviationWindow(newWindow);
        }
        emit DeviationWindowSet(deviationWindow, newWindow);
        deviationWindow = newWindow;
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
