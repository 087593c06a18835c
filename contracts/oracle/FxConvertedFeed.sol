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
///   than announced, a fat finger) is no rate, and so is a window holding one; the
///   bounds lie on one side of 1 and within a factor of 10, so that an inverted
///   answer or a factor-10 decimals error always falls outside; an earlier round the
///   feed cannot show (a proxy's phase boundary) ends the walk back, and more rounds
///   in the window than MAX_LAG_ROUNDS give no rate;
/// - while the FX market is closed (a weekly window, UTC), the FX answer may be as
///   old as `closedHeartbeat` if it was fresh when the market closed, and the value
///   is cut by `closedHaircutBps`: weekend moves are not in the rate, so less of
///   the value is relied on.
/// Without a usable price or rate the answer is 0 (counted at zero by the
/// reserve, never a revert: every call to the feeds, decimals included, is
/// caught); updatedAt is the price's, so the reserve's own heartbeat for the
/// asset applies to the price. {spotValue} (price × spot, no lag, no cut) is
/// what the commodity tokens record issues at against the program ceilings.
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
        // The bounds are what catch an inverted answer (on the other side of 1) and
        // misstated decimals (a factor of 10 or more away): narrower than x10, one side of 1.
        if (
            minRateWad_ == 0 || maxRateWad_ < minRateWad_ || maxRateWad_ > MAX_ANSWER
                || maxRateWad_ >= 10 * minRateWad_ || (minRateWad_ <= 1e18 && maxRateWad_ >= 1e18)
        ) {
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
        uint80 id;
        uint256 scale;
        (id, spotWad, fxUpdatedAt, closed, scale) = _spot();
        rateWad = spotWad == 0 ? 0 : _lowestInWindow(id, fxUpdatedAt, scale, spotWad);
    }

    /// @notice price × rate, cut by the closed-market haircut while the market is closed.
    function latestRoundData() public view override returns (uint80, int256, uint256, uint256, uint80) {
        (uint256 price, uint256 scale, uint256 updatedAt) = _price();
        (, uint256 rateWad,, bool closed) = rate();
        if (price == 0 || rateWad == 0) return (1, 0, updatedAt, updatedAt, 1);
        uint256 value = Math.mulDiv(price, rateWad, scale);
        if (closed) value = Math.mulDiv(value, BPS - closedHaircutBps, BPS);
        return (1, int256(value), updatedAt, updatedAt, 1);
    }

    /// @notice price × spot rate, without lag or closed-market cut [wad], and the
    /// price's time: what an issue is worth for the program ceilings (a legal limit,
    /// not a collateral value). 0 without a usable price or rate.
    function spotValue() external view returns (int256 value, uint256 updatedAt) {
        uint256 price;
        uint256 scale;
        (price, scale, updatedAt) = _price();
        (, uint256 spotWad,,,) = _spot();
        if (price == 0 || spotWad == 0) return (0, updatedAt);
        return (int256(Math.mulDiv(price, spotWad, scale)), updatedAt);
    }

    /// @notice Only the current round exists.
    function getRoundData(uint80) external view override returns (uint80, int256, uint256, uint256, uint80) {
        return latestRoundData();
    }

    /// @dev The price [its decimals] and 10**decimals, or 0 when the feed reverts or
    /// answers no price; its time.
    function _price() private view returns (uint256 price, uint256 scale, uint256 updatedAt) {
        int256 answer;
        try priceFeed.latestRoundData() returns (uint80, int256 a, uint256, uint256 at, uint80) {
            (answer, updatedAt) = (a, at);
        } catch {
            return (0, 1, 0);
        }
        try priceFeed.decimals() returns (uint8 d) {
            if (answer <= 0 || uint256(answer) > MAX_ANSWER || d > 36) return (0, 1, updatedAt);
            return (uint256(answer), 10 ** d, updatedAt);
        } catch {
            return (0, 1, updatedAt);
        }
    }

    /// @dev The latest FX round: its id, its rate [wad] (0 when unusable), its time,
    /// whether the market is closed, and 10**(18 - fx decimals). While closed the answer
    /// may be as old as `closedHeartbeat`, but it must have been fresh (within
    /// `fxHeartbeat`) when the market closed: a rate stale before the close stays stale.
    function _spot() private view returns (uint80 id, uint256 spotWad, uint256 at, bool closed, uint256 scale) {
        uint256 sinceMonday = (block.timestamp + EPOCH_TO_MONDAY) % WEEK;
        uint256 intoClosure = (sinceMonday + WEEK - closedFrom) % WEEK;
        closed = intoClosure < closedFor;
        int256 answer;
        try fxFeed.latestRoundData() returns (uint80 r, int256 a, uint256, uint256 t, uint80) {
            (id, answer, at) = (r, a, t);
        } catch {
            return (0, 0, 0, closed, 1);
        }
        if (at == 0 || at > block.timestamp) return (id, 0, at, closed, 1);
        uint256 age = block.timestamp - at;
        if (closed ? (age > closedHeartbeat || age > intoClosure + fxHeartbeat) : age > fxHeartbeat) {
            return (id, 0, at, closed, 1);
        }
        try fxFeed.decimals() returns (uint8 d) {
            if (d > 18) return (id, 0, at, closed, 1);
            scale = 10 ** (18 - d);
        } catch {
            return (id, 0, at, closed, 1);
        }
        spotWad = _inBounds(answer, scale);
    }

    /// @dev Each round published within the lag window replaced one that was in force
    /// inside it: the lowest of them all, from the latest round `id` (rate `rateWad`,
    /// published at `at`) back. A round the feed cannot show (it reverts, or answers
    /// no time: a proxy's phase boundary) ends the walk; more rounds in the window
    /// than MAX_LAG_ROUNDS give no rate (0), since the window's lowest is unknown.
    function _lowestInWindow(uint80 id, uint256 at, uint256 scale, uint256 rateWad) private view returns (uint256) {
        uint256 windowStart = block.timestamp - Math.min(block.timestamp, lag);
        for (uint256 i; rateWad != 0 && at > windowStart && id > 1; ++i) {
            if (i == MAX_LAG_ROUNDS) return 0;
            --id;
            try fxFeed.getRoundData(id) returns (uint80 r, int256 a, uint256, uint256 t, uint80) {
                if (t == 0 || r != id) break;
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
