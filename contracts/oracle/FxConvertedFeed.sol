// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @title FxConvertedFeed
/// @notice A price in a foreign quote currency (gold in US dollars, a USD bond's
/// value) converted into the peg currency by an FX feed (peg currency per unit of
/// the quote currency, such as the central bank's signed PKR/USD fixing), behind
/// the AggregatorV3 interface the reserve reads. Answer: peg currency per whole
/// asset, 18 decimals.
/// @dev The conversion is conservative:
/// - the rate is the lowest in force over the last `lag` seconds (the latest
///   fixing and each earlier one it replaced within the window, at most
///   MAX_LAG_ROUNDS of them): a sudden rise in the peg value of the quote
///   currency counts only once it has lasted `lag`, a fall counts at once. So the
///   answer is never above price × spot;
/// - the FX feed has its own heartbeat; its decimals, and the price feed's, are
///   read at every call, never assumed;
/// - a rate outside [minRateWad, maxRateWad] (an inverted answer, other decimals
///   than announced, a fat finger) is no rate, and so is a window holding one;
///   an earlier round the feed cannot show (a proxy's phase boundary) ends the
///   walk back;
/// - while the FX market is closed (a weekly window, UTC), the FX answer may be as
///   old as `closedHeartbeat`, and the value is cut by `closedHaircutBps`:
///   weekend moves are not in the rate, so less of the value is relied on.
/// Without a usable price or rate the answer is 0 (counted at zero by the
/// reserve, never a revert); updatedAt is the price's, so the reserve's own
/// heartbeat for the asset applies to the price.
contract FxConvertedFeed is AggregatorV3Interface {
    uint256 private constant BPS = 10_000;
    uint256 private constant WEEK = 7 days;
    /// @dev 1970-01-01 00:00 UTC was a Thursday, 3 days after a Monday 00:00: (t + 3 days)
    /// % WEEK is the time since Monday 00:00 UTC.
    uint256 private constant EPOCH_TO_MONDAY = 3 days;
    uint256 public constant MAX_LAG_ROUNDS = 16;
    uint256 public constant MAX_LAG = 7 days;
    uint16 public constant MAX_CLOSED_HAIRCUT_BPS = 2_000;
    uint256 private constant MAX_ANSWER = type(uint128).max;

    AggregatorV3Interface public immutable priceFeed;
    AggregatorV3Interface public immutable fxFeed;
    uint32 public immutable fxHeartbeat;
    uint32 public immutable closedHeartbeat;
    uint32 public immutable lag;
    uint16 public immutable closedHaircutBps;
    /// @notice The FX market's weekly closure: from `closedFrom` seconds after Monday
    /// 00:00 UTC, for `closedFor` seconds (may run past the week's end).
    uint32 public immutable closedFrom;
    uint32 public immutable closedFor;
    uint256 public immutable minRateWad;
    uint256 public immutable maxRateWad;
    string private _description;

    error FxInvalidParameter(bytes32 name, uint256 value);

    constructor(
        AggregatorV3Interface priceFeed_,
        AggregatorV3Interface fxFeed_,
        uint32 fxHeartbeat_,
        uint32 closedHeartbeat_,
        uint32 lag_,
        uint32 closedFrom_,
        uint32 closedFor_,
        uint16 closedHaircutBps_,
        uint256 minRateWad_,
        uint256 maxRateWad_,
        string memory description_
    ) {
        if (address(priceFeed_) == address(0)) revert FxInvalidParameter("priceFeed", 0);
        if (address(fxFeed_) == address(0)) revert FxInvalidParameter("fxFeed", 0);
        if (fxHeartbeat_ == 0) revert FxInvalidParameter("fxHeartbeat", fxHeartbeat_);
        if (closedHeartbeat_ < fxHeartbeat_) revert FxInvalidParameter("closedHeartbeat", closedHeartbeat_);
        if (lag_ > MAX_LAG) revert FxInvalidParameter("lag", lag_);
        if (closedFrom_ >= WEEK) revert FxInvalidParameter("closedFrom", closedFrom_);
        if (closedFor_ >= WEEK) revert FxInvalidParameter("closedFor", closedFor_);
        if (closedHaircutBps_ > MAX_CLOSED_HAIRCUT_BPS) revert FxInvalidParameter("closedHaircutBps", closedHaircutBps_);
        if (minRateWad_ == 0 || maxRateWad_ < minRateWad_ || maxRateWad_ > MAX_ANSWER) {
            revert FxInvalidParameter("rateBounds", maxRateWad_);
        }
        priceFeed = priceFeed_;
        fxFeed = fxFeed_;
        fxHeartbeat = fxHeartbeat_;
        closedHeartbeat = closedHeartbeat_;
        lag = lag_;
        closedFrom = closedFrom_;
        closedFor = closedFor_;
        closedHaircutBps = closedHaircutBps_;
        minRateWad = minRateWad_;
        maxRateWad = maxRateWad_;
        _description = description_;
    }

    function decimals() external pure override returns (uint8) {
        return 18;
    }

    function description() external view override returns (string memory) {
        return _description;
    }

    function version() external pure override returns (uint256) {
        return 1;
    }

    /// @notice Whether the FX market is closed at `timestamp`.
    function marketClosed(uint256 timestamp) public view returns (bool) {
        uint256 sinceMonday = (timestamp + EPOCH_TO_MONDAY) % WEEK;
        uint256 intoClosure = (sinceMonday + WEEK - closedFrom) % WEEK;
        return intoClosure < closedFor;
    }

    /// @notice The conversion now: the spot rate, the rate used (the window's lowest),
    /// both [wad], when the FX feed answered, and whether the market is closed.
    /// `rateWad` is 0 when there is no usable rate.
    function rate() public view returns (uint256 spotWad, uint256 rateWad, uint256 fxUpdatedAt, bool closed) {
        closed = marketClosed(block.timestamp);
        uint80 id;
        int256 answer;
        try fxFeed.latestRoundData() returns (uint80 r, int256 a, uint256, uint256 at, uint80) {
            (id, answer, fxUpdatedAt) = (r, a, at);
        } catch {
            return (0, 0, 0, closed);
        }
        uint256 maxAge = closed ? closedHeartbeat : fxHeartbeat;
        if (fxUpdatedAt == 0 || fxUpdatedAt > block.timestamp || block.timestamp - fxUpdatedAt > maxAge) {
            return (0, 0, fxUpdatedAt, closed);
        }
        uint8 fxDecimals = fxFeed.decimals();
        if (fxDecimals > 18) return (0, 0, fxUpdatedAt, closed);
        uint256 scale = 10 ** (18 - fxDecimals);
        spotWad = _inBounds(answer, scale);
        rateWad = _lowestInWindow(id, fxUpdatedAt, scale, spotWad);
    }

    /// @notice price × rate, cut by the closed-market haircut while the market is closed.
    function latestRoundData() public view override returns (uint80, int256, uint256, uint256, uint80) {
        int256 price;
        uint256 updatedAt;
        try priceFeed.latestRoundData() returns (uint80, int256 a, uint256, uint256 at, uint80) {
            (price, updatedAt) = (a, at);
        } catch {
            return (1, 0, 0, 0, 1);
        }
        (, uint256 rateWad,, bool closed) = rate();
        uint8 priceDecimals = priceFeed.decimals();
        if (price <= 0 || uint256(price) > MAX_ANSWER || rateWad == 0 || priceDecimals > 36) {
            return (1, 0, updatedAt, updatedAt, 1);
        }
        uint256 value = Math.mulDiv(uint256(price), rateWad, 10 ** priceDecimals);
        if (closed) value = Math.mulDiv(value, BPS - closedHaircutBps, BPS);
        return (1, int256(value), updatedAt, updatedAt, 1);
    }

    /// @notice Only the current round exists.
    function getRoundData(uint80) external view override returns (uint80, int256, uint256, uint256, uint80) {
        return latestRoundData();
    }

    /// @dev Each round published within the lag window replaced one that was in force
    /// inside it: the lowest of them all, from the latest round `id` (rate `rateWad`,
    /// published at `at`) back.
    function _lowestInWindow(uint80 id, uint256 at, uint256 scale, uint256 rateWad) private view returns (uint256) {
        uint256 windowStart = block.timestamp - Math.min(block.timestamp, lag);
        for (uint256 i; i < MAX_LAG_ROUNDS && rateWad != 0 && at > windowStart && id > 1; ++i) {
            --id;
            try fxFeed.getRoundData(id) returns (uint80, int256 a, uint256, uint256 t, uint80) {
                rateWad = Math.min(rateWad, _inBounds(a, scale));
                at = t;
            } catch {
                break;
            }
        }
        return rateWad;
    }

    /// @dev `answer` [fx decimals] as wad if within the bounds, else 0.
    function _inBounds(int256 answer, uint256 scale) private view returns (uint256) {
        if (answer <= 0 || uint256(answer) > MAX_ANSWER) return 0;
        uint256 wad = uint256(answer) * scale;
        return wad < minRateWad || wad > maxRateWad ? 0 : wad;
    }
}
