// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @notice Test-only feed that answers whatever it is told (zero, negative,
/// future timestamps, odd decimals): the attacks a real feed could present.
contract MockAggregator is AggregatorV3Interface {
    uint8 private _decimals;
    bool public decimalsRevert;
    int256 public answer;
    uint256 public updatedAt;
    uint80 public roundId;

    struct Round {
        int256 answer;
        uint256 updatedAt;
        bool set;
    }

    mapping(uint80 => Round) private _rounds;

    constructor(uint8 decimals_) {
        _decimals = decimals_;
    }

    function decimals() external view override returns (uint8) {
        require(!decimalsRevert, "decimals unavailable");
        return _decimals;
    }

    /// @notice Make {decimals} revert (a proxy whose aggregator is unset).
    function setDecimalsRevert(bool reverts) external {
        decimalsRevert = reverts;
    }

    function set(int256 answer_, uint256 updatedAt_) external {
        answer = answer_;
        updatedAt = updatedAt_;
        roundId += 1;
    }

    function setDecimals(uint8 decimals_) external {
        _decimals = decimals_;
    }

    function description() external pure override returns (string memory) {
        return "mock";
    }

    function version() external pure override returns (uint256) {
        return 4;
    }

    /// @notice Give round `id` its own answer in {getRoundData} (every round not set
    /// answers the latest).
    function setRound(uint80 id, int256 answer_, uint256 updatedAt_) external {
        _rounds[id] = Round(answer_, updatedAt_, true);
    }

    function getRoundData(uint80 id) external view override returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = _rounds[id];
        if (r.set) return (id, r.answer, r.updatedAt, r.updatedAt, id);
        return (roundId, answer, updatedAt, updatedAt, roundId);
    }

    function latestRoundData() external view override returns (uint80, int256, uint256, uint256, uint80) {
        return (roundId, answer, updatedAt, updatedAt, roundId);
    }
}
