// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {BondRegistry} from "./BondRegistry.sol";
import {BondSeries} from "./BondSeries.sol";

/// @title BondValueFeed
/// @notice Values one whole bond of a series for the reserve, behind the same
/// AggregatorV3 interface as every feed: the reported clean price plus the
/// accrued interest computed on-chain (the dirty price), less the registry's
/// haircut for the bond's remaining maturity.
/// @dev Why an adapter, as VaultNavFeed is for vault shares: the reserve keeps one
/// valuation path, and its own per-asset haircut, cap and heartbeat apply on top.
/// The clean price comes from a reported feed (the market quotes bonds clean);
/// its `updatedAt` passes through, so a stale clean price makes the reserve count
/// the bond at zero. Accrued interest is on-chain and always current: it moves the
/// value every day between coupon dates, and falls by the coming coupon on its
/// record date (the reserve, a holder of record, then claims the coupon in cash).
/// In default the bond is worth its share of the recovery pool; from the
/// redemption date, what the principal pool pays per token. Both are on-chain
/// facts, answered fresh. Answer unit: the unit of account per whole bond, 18
/// decimals (settlement cash counts at par).
contract BondValueFeed is AggregatorV3Interface {
    uint256 private constant BPS = 10_000;
    BondSeries public immutable series;
    AggregatorV3Interface public immutable cleanPriceFeed;
    BondRegistry public immutable registry;
    uint256 private immutable _oneBond;
    uint256 private immutable _cashToWad;
    uint256 private immutable _cleanToWad;

    error BondFeedInvalidDecimals(uint8 decimals);

    constructor(BondSeries series_, AggregatorV3Interface cleanPriceFeed_) {
        series = series_;
        cleanPriceFeed = cleanPriceFeed_;
        registry = BondRegistry(series_.registry());
        uint8 cashDecimals = IERC20Metadata(address(series_.cash())).decimals();
        uint8 cleanDecimals = cleanPriceFeed_.decimals();
        if (cashDecimals > 18) revert BondFeedInvalidDecimals(cashDecimals);
        if (cleanDecimals > 18) revert BondFeedInvalidDecimals(cleanDecimals);
        _oneBond = 10 ** series_.decimals();
        _cashToWad = 10 ** (18 - cashDecimals);
        _cleanToWad = 10 ** (18 - cleanDecimals);
    }

    function decimals() external pure override returns (uint8) {
        return 18;
    }

    function description() external pure override returns (string memory) {
        return "Bond dirty price less maturity haircut (on-chain accrual)";
    }

    function version() external pure override returns (uint256) {
        return 4;
    }

    /// @notice The parts of the answer now [wad per whole bond]: the clean price, the
    /// accrued interest, the dirty price, the maturity haircut [bps] and the value counted.
    function valuation()
        public
        view
        returns (int256 clean, int256 accrued, int256 dirty, uint256 haircutBps, int256 value, uint256 updatedAt)
    {
        if (series.defaulted()) {
            uint256 outstanding = series.defaultSupply();
            value = outstanding == 0 ? int256(0) : int256(Math.mulDiv(series.defaultPool(), _oneBond, outstanding) * _cashToWad);
            return (0, 0, value, 0, value, block.timestamp);
        }
        uint256 redemption = series.redemptionDate();
        if (block.timestamp >= redemption) {
            uint256 supply = series.totalSupply();
            uint256 perBond = supply == 0
                ? series.redemptionPrice()
                : Math.min(series.redemptionPrice(), Math.mulDiv(series.principalPool(), _oneBond, supply));
            value = int256(perBond * _cashToWad);
            return (value, 0, value, 0, value, block.timestamp);
        }
        // A reverting clean feed must not revert the reserve's valuation: it answers
        // "no price" (zero, never updated), which the reserve counts at zero.
        int256 answer;
        try cleanPriceFeed.latestRoundData() returns (uint80, int256 a, uint256, uint256 at, uint80) {
            (answer, updatedAt) = (a, at);
        } catch {
            return (0, 0, 0, 0, 0, 0);
        }
        if (answer <= 0 || uint256(answer) > type(uint128).max) return (answer, 0, answer, 0, answer, updatedAt);
        clean = answer * int256(_cleanToWad);
        accrued = series.accruedInterest(block.timestamp) * int256(_cashToWad);
        dirty = clean + accrued;
        haircutBps = registry.maturityHaircutBps(redemption - block.timestamp);
        value = dirty <= 0 ? int256(0) : int256(Math.mulDiv(uint256(dirty), BPS - haircutBps, BPS));
    }

    /// @notice The counted value of one whole bond now (see {valuation}).
    function latestRoundData() public view override returns (uint80, int256, uint256, uint256, uint80) {
        (,,,, int256 value, uint256 updatedAt) = valuation();
        return (1, value, updatedAt, updatedAt, 1);
    }

    /// @notice Only the current round exists.
    function getRoundData(uint80) external view override returns (uint80, int256, uint256, uint256, uint80) {
        return latestRoundData();
    }
}
