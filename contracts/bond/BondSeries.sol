// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {BitMaps} from "@openzeppelin/contracts/utils/structs/BitMaps.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {CouponSchedule} from "./CouponSchedule.sol";
import {BondTerms} from "./BondTerms.sol";
import {DateMath} from "./DateMath.sol";

/// @title BondSeries
/// @notice One coupon-paying sovereign bond series: sold at auction for settlement
/// cash (clean price plus accrued interest), paying coupons by pull to the holders
/// at each record date, and repaid at maturity (or at a call date) from its pool.
/// @dev Created only by the BondRegistry, which alone opens auctions and calls.
/// Coupon rights: balances are OpenZeppelin Checkpoints keyed by the number of
/// record dates passed, so the holder of coupon k is whoever held the bond when
/// record date k began (a transfer on or after it moves only later coupons), and a
/// claim is one binary search over the holder's own checkpoints (at most one per
/// coupon period). The rule when money runs short, so that every holder is treated
/// alike, whoever claims first:
///  - a coupon is paid only once fully funded: nobody claims a part;
///  - a coupon still not fully funded {COUPON_GRACE} after its payment date, or a
///    principal pool short {PRINCIPAL_GRACE} after the redemption date, is a
///    default: anyone records it; funding stops; the principal pool becomes the
///    recovery pool and every token redeems at once (acceleration) for the same
///    share of it; each coupon keeps its cash for its record-date holders: fully
///    funded ones are paid in full, part-funded ones pro rata.
/// Units: prices and amounts per whole token are cash units; rates are WADs
/// (0.12375e18 = 12.375% a year); dates are unix seconds at 00:00 UTC.
contract BondSeries is ERC20, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using Checkpoints for Checkpoints.Trace208;
    using BitMaps for BitMaps.BitMap;

    error BondNotRegistry(address caller);
    /// @dev A zero cash token or proceeds recipient, or a zero auction price.
    error BondInvalidArgument(bytes32 name);
    error BondZeroAmount();
    /// @dev No sale now: `reason` is "closed", "not issued", "redeemed", "called", "defaulted" or "rate not fixed".
    error BondSaleClosed(bytes32 reason);
    error BondPriceAboveLimit(uint256 price, uint256 maxPrice);
    error BondAuctionExhausted(uint256 amount, uint256 remaining);
    error BondUnknownCoupon(uint256 coupon, uint256 couponCount);
    /// @dev Coupon `coupon`'s record date `recordDate` has not begun (`nowTs`).
    error BondBeforeRecordDate(uint256 coupon, uint256 recordDate, uint256 nowTs);
    /// @dev Coupon `coupon` pays from `payDate`; it is `nowTs`.
    error BondCouponNotDue(uint256 coupon, uint256 payDate, uint256 nowTs);
    /// @dev Coupon `coupon` holds `funded` of the `owed` cash; it is paid only when full.
    error BondCouponNotFunded(uint256 coupon, uint256 owed, uint256 funded);
    error BondCouponFullyFunded(uint256 coupon, uint256 owed);
    error BondAlreadyClaimed(address holder, uint256 coupon);
    error BondNothingToClaim(address holder, uint256 coupon);
    /// @dev Coupon `coupon` is floating and its rate is not fixed yet.
    error BondRateNotFixed(uint256 coupon);
    error BondRateAlreadyFixed(uint256 coupon, uint256 rateWad);
    error BondNotFloating();
    /// @dev Round `roundId` is not the reference rate in force at the fixing time `fixingTime`.
    error BondWrongFixingRound(uint80 roundId, uint256 updatedAt, uint256 fixingTime);
    error BondBadReferenceRate(int256 answer);
    error BondNotRedeemable(uint256 nowTs, uint256 redemptionDate);
    /// @dev During the grace period (until `graceEnd`) the pool holds `available` of the `owed` principal.
    error BondPrincipalShort(uint256 owed, uint256 available, uint256 graceEnd);
    error BondInGracePeriod(uint256 nowTs, uint256 graceEnd);
    error BondNotInDefault(bytes32 reason);
    error BondDefaulted();
    error BondNothingToPay(uint256 amount);
    /// @dev Call `index` is unknown, already made, too late for its notice (`noticeBy`), or the bond is already called.
    error BondCallRefused(uint256 index, uint256 callDate, uint256 noticeBy, uint256 nowTs);

    event SeriesTerms(string isin, string currency, uint256 faceValue, uint256 couponRateWad, uint256 couponCount);
    event AuctionOpened(uint256 cleanPrice, uint256 amount);
    event AuctionClosed(uint256 unsold);
    /// @notice `buyer` bought `amount` at `cleanPrice` plus `accrued` per whole token, paying `cost`.
    event Sold(address indexed buyer, uint256 amount, uint256 cleanPrice, int256 accrued, uint256 cost);
    event RateFixed(uint256 indexed coupon, uint256 rateWad, int256 referenceAnswer, uint80 roundId);
    event CouponFunded(uint256 indexed coupon, address indexed funder, uint256 amount, uint256 funded, uint256 owed);
    event CouponClaimed(uint256 indexed coupon, address indexed holder, uint256 amount);
    event PrincipalFunded(address indexed funder, uint256 amount);
    event Redeemed(address indexed holder, uint256 amount, uint256 payout);
    event Called(uint256 indexed index, uint256 callDate, uint256 callPrice);
    /// @notice The series defaulted on `coupon` (`couponCount` for the principal); `recoveryPool` is shared by `supply`.
    event SeriesDefaulted(uint256 coupon, uint256 recoveryPool, uint256 supply, address indexed by);

    /// @notice Thirty days after a payment date: the grace period of sovereign
    /// indentures for interest, before a missed coupon is an event of default.
    uint256 public constant COUPON_GRACE = 30 days;
    /// @notice Three days after the redemption date (as for bills): an operational
    /// cure period; principal has no contractual grace.
    uint256 public constant PRINCIPAL_GRACE = 3 days;
    uint256 private constant WAD = 1e18;
    uint256 private constant DAY = DateMath.SECONDS_PER_DAY;

    string public isin;
    string public currency;
    uint256 public immutable faceValue;
    uint256 public immutable couponRateWad;
    int256 public immutable marginWad;
    AggregatorV3Interface public immutable referenceRate;
    uint256 public immutable frequency;
    uint8 public immutable dayCount;
    uint256 public immutable recordDays;
    uint256 public immutable callNoticeDays;
    uint256 public immutable couponCountAtIssue;
    IERC20 public immutable cash;
    address public immutable proceedsRecipient;
    address public immutable registry;
    uint256 private immutable _issueDay;
    uint256 private immutable _firstCouponDay;
    uint256 private immutable _maturityDay;
    bool private immutable _eom;
    uint256 private immutable _firstMonthIndex;
    uint256 private immutable _firstDayOfMonth;
    uint8 private immutable _decimals;
    uint256 private immutable _one;

    struct Coupon {
        uint128 funded;
        uint128 claimed;
    }

    struct Fixing {
        uint128 rateWad;
        bool fixed_;
    }

    uint256[] private _callCoupons;
    uint256[] private _callPrices;
    /// @notice Coupons that will be paid: all of them, or up to a call date.
    uint256 public couponCount;
    /// @notice When principal is due [unix seconds]: maturity, or the call date.
    uint256 public redemptionDate;
    /// @notice Cash per whole token paid at {redemptionDate}: face, or the call price.
    uint256 public redemptionPrice;
    uint256 public auctionPrice;
    uint256 public auctionRemaining;
    /// @notice Cash set aside for principal.
    uint256 public principalPool;
    bool public defaulted;
    /// @notice In default: the recovery pool's cash still unpaid.
    uint256 public recoveryPool;
    /// @notice The recovery pool and the supply when the default was recorded: every
    /// token redeems for defaultPool / defaultSupply (rounded down).
    uint256 public defaultPool;
    uint256 public defaultSupply;

    mapping(uint256 coupon => Coupon) private _coupons;
    mapping(uint256 coupon => Fixing) private _fixings;
    mapping(address holder => BitMaps.BitMap) private _claimed;
    mapping(address holder => Checkpoints.Trace208) private _holdings;
    Checkpoints.Trace208 private _supply;

    constructor(BondTerms.Terms memory t, IERC20 cash_, address proceedsRecipient_) ERC20(t.name, t.isin) {
        CouponSchedule.Dates memory s;
        uint256 count;
        (s, count) = BondTerms.validate(t);
        if (address(cash_) == address(0) || proceedsRecipient_ == address(0)) revert BondInvalidArgument("address");
        isin = t.isin;
        currency = t.currency;
        faceValue = t.faceValue;
        couponRateWad = t.couponRateWad;
        marginWad = t.marginWad;
        referenceRate = t.referenceRate;
        frequency = t.frequency;
        dayCount = t.dayCount;
        recordDays = t.recordDays;
        callNoticeDays = t.callNoticeDays;
        _decimals = t.decimals;
        _one = 10 ** t.decimals;
        _issueDay = s.issueDay;
        _firstCouponDay = s.firstCouponDay;
        _maturityDay = s.maturityDay;
        _eom = s.endOfMonth;
        _firstMonthIndex = s.firstMonthIndex;
        _firstDayOfMonth = s.firstDayOfMonth;
        couponCountAtIssue = count;
        couponCount = count;
        redemptionDate = t.maturity;
        redemptionPrice = t.faceValue;
        for (uint256 i; i < t.callDates.length; ++i) {
            _callCoupons.push(CouponSchedule.paidBy(s, t.callDates[i] / DAY) - 1);
            _callPrices.push(t.callPrices[i]);
        }
        cash = cash_;
        proceedsRecipient = proceedsRecipient_;
        registry = msg.sender;
        emit SeriesTerms(t.isin, t.currency, t.faceValue, t.couponRateWad, count);
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    // ---------------------------------------------------------------- balances with record-date snapshots

    function balanceOf(address account) public view override returns (uint256) {
        return _holdings[account].latest();
    }

    function totalSupply() public view override returns (uint256) {
        return _supply.latest();
    }

    /// @notice `holder`'s balance when coupon `coupon`'s record date began.
    function balanceAtRecord(address holder, uint256 coupon) public view returns (uint256) {
        return _holdings[holder].upperLookupRecent(uint48(Math.min(coupon, couponCountAtIssue)));
    }

    /// @notice The supply when coupon `coupon`'s record date began.
    function supplyAtRecord(uint256 coupon) public view returns (uint256) {
        return _supply.upperLookupRecent(uint48(Math.min(coupon, couponCountAtIssue)));
    }

    /// @notice How many record dates have begun by `timestamp` (the coupon period a transfer then counts in).
    function recordsPassed(uint256 timestamp) public view returns (uint256) {
        uint256 n = CouponSchedule.paidBy(_dates(), timestamp / DAY + recordDays);
        return n < couponCountAtIssue ? n : couponCountAtIssue;
    }

    /// @dev Every balance change is a checkpoint in the current record period: one
    /// write per side within a period, a new slot on a holder's first change in one.
    function _update(address from, address to, uint256 value) internal override {
        uint48 period = uint48(recordsPassed(block.timestamp));
        if (from == address(0)) {
            _supply.push(period, (_supply.latest() + value).toUint208());
        } else {
            uint256 held = _holdings[from].latest();
            if (held < value) revert ERC20InsufficientBalance(from, held, value);
            _holdings[from].push(period, uint208(held - value));
        }
        if (to == address(0)) {
            _supply.push(period, uint208(_supply.latest() - value));
        } else {
            _holdings[to].push(period, (_holdings[to].latest() + value).toUint208());
        }
        emit Transfer(from, to, value);
    }

    // ---------------------------------------------------------------- schedule and accrual

    function issueDate() external view returns (uint256) {
        return _issueDay * DAY;
    }

    function maturity() external view returns (uint256) {
        return _maturityDay * DAY;
    }

    /// @notice Coupon `coupon`'s payment date [unix seconds].
    function couponDate(uint256 coupon) public view returns (uint256) {
        return CouponSchedule.payDay(_dates(), _checkCoupon(coupon, couponCountAtIssue)) * DAY;
    }

    /// @notice The date coupon `coupon` accrues from.
    function accrualStartDate(uint256 coupon) external view returns (uint256) {
        return CouponSchedule.accrualStart(_dates(), _checkCoupon(coupon, couponCountAtIssue)) * DAY;
    }

    /// @notice Coupon `coupon`'s record date: its holders are those of that moment.
    function recordDate(uint256 coupon) public view returns (uint256) {
        return couponDate(coupon) - recordDays * DAY;
    }

    /// @notice Coupon `coupon`'s annual rate [wad], and whether it is known (a floating one once fixed).
    function couponRate(uint256 coupon) public view returns (uint256 rateWad, bool known) {
        if (address(referenceRate) == address(0)) return (couponRateWad, true);
        Fixing memory f = _fixings[coupon];
        return (f.rateWad, f.fixed_);
    }

    /// @notice The cash coupon `coupon` pays on `amount` tokens (rounded down, as it is paid).
    function couponOn(uint256 amount, uint256 coupon) public view returns (uint256) {
        (uint256 n, uint256 d) = _couponFactor(_dates(), _checkCoupon(coupon, couponCountAtIssue));
        return Math.mulDiv(amount, n, d);
    }

    /// @notice Cash coupon `coupon` owes all its record-date holders (rounded down; their claims sum to at most this).
    function couponOwed(uint256 coupon) public view returns (uint256) {
        return couponOn(supplyAtRecord(coupon), coupon);
    }

    /// @notice Coupon `coupon`'s cash so far: funded and claimed.
    function couponFunding(uint256 coupon) external view returns (uint256 funded, uint256 claimed) {
        Coupon memory c = _coupons[coupon];
        return (c.funded, c.claimed);
    }

    /// @notice Whether `holder` has claimed coupon `coupon`.
    function claimed(address holder, uint256 coupon) external view returns (bool) {
        return _claimed[holder].get(coupon);
    }

    /// @notice Accrued interest per whole token at `timestamp`, rounded down (negative
    /// in the ex-coupon period, from the record date to the payment date, when the
    /// coupon belongs to the record-date holder). Zero before issue, from
    /// redemption, in default, and for a floating coupon not fixed yet.
    function accruedInterest(uint256 timestamp) public view returns (int256) {
        return _accrued(timestamp, Math.Rounding.Floor);
    }

    /// @notice The dirty price of one whole token: `cleanPrice` plus {accruedInterest}.
    function dirtyPrice(uint256 cleanPrice, uint256 timestamp) external view returns (int256) {
        return int256(cleanPrice) + accruedInterest(timestamp);
    }

    /// @notice The next coupon paid after `timestamp`, or {couponCount} when none is left.
    function nextCoupon(uint256 timestamp) public view returns (uint256) {
        uint256 n = CouponSchedule.paidBy(_dates(), timestamp / DAY);
        return n < couponCount ? n : couponCount;
    }

    // ---------------------------------------------------------------- primary issuance

    /// @notice Open (or re-price) the auction: `amount` tokens at the clean price `cleanPrice`.
    /// @dev Caller: the registry (for the debt office).
    function openAuction(uint256 cleanPrice, uint256 amount) external {
        _onlyRegistry();
        _checkSaleOpen();
        if (cleanPrice == 0) revert BondInvalidArgument("price");
        auctionPrice = cleanPrice;
        auctionRemaining = amount;
        emit AuctionOpened(cleanPrice, amount);
    }

    /// @notice Close the auction. @dev Caller: the registry.
    function closeAuction() external {
        _onlyRegistry();
        emit AuctionClosed(auctionRemaining);
        auctionPrice = 0;
        auctionRemaining = 0;
    }

    /// @notice The cash `amount` tokens cost now: clean price plus accrued interest,
    /// rounded up (the buyer pays the issuer; rounding favours the issuer).
    function quote(uint256 amount) public view returns (uint256) {
        int256 perToken = int256(auctionPrice) + _accrued(block.timestamp, Math.Rounding.Ceil);
        if (perToken <= 0) return 0;
        return Math.mulDiv(amount, uint256(perToken), _one, Math.Rounding.Ceil);
    }

    /// @notice Buy `amount` tokens, delivery against payment, at a clean price of at most `maxPrice`.
    /// @dev Caller: anyone with cash approved. Proceeds go to the treasury. Emits {Sold}.
    function buy(uint256 amount, uint256 maxPrice) external nonReentrant returns (uint256 cost) {
        _checkSaleOpen();
        uint256 price = auctionPrice;
        if (price == 0) revert BondSaleClosed("closed");
        if (amount == 0) revert BondZeroAmount();
        if (price > maxPrice) revert BondPriceAboveLimit(price, maxPrice);
        if (amount > auctionRemaining) revert BondAuctionExhausted(amount, auctionRemaining);
        cost = quote(amount);
        if (cost == 0) revert BondNothingToPay(amount);
        auctionRemaining -= amount;
        _mint(msg.sender, amount);
        emit Sold(msg.sender, amount, price, _accrued(block.timestamp, Math.Rounding.Ceil), cost);
        cash.safeTransferFrom(msg.sender, proceedsRecipient, cost);
    }

    // ---------------------------------------------------------------- floating rate

    /// @notice Fix floating coupon `coupon`'s rate: the reference rate in force when it
    /// starts to accrue (round `roundId` of the reference feed: published at or
    /// before that time, and the next round, if any, after it), plus the margin,
    /// floored at zero. @dev Caller: anyone; the rate is a fact of the feed's history.
    function fixRate(uint256 coupon, uint80 roundId) external {
        if (address(referenceRate) == address(0)) revert BondNotFloating();
        CouponSchedule.Dates memory s = _dates();
        _checkCoupon(coupon, couponCountAtIssue);
        Fixing memory f = _fixings[coupon];
        if (f.fixed_) revert BondRateAlreadyFixed(coupon, f.rateWad);
        uint256 fixingTime = CouponSchedule.accrualStart(s, coupon) * DAY;
        if (block.timestamp <= fixingTime) revert BondWrongFixingRound(roundId, 0, fixingTime);
        (, int256 answer,, uint256 updatedAt,) = referenceRate.getRoundData(roundId);
        if (updatedAt == 0 || updatedAt > fixingTime) revert BondWrongFixingRound(roundId, updatedAt, fixingTime);
        try referenceRate.getRoundData(roundId + 1) returns (uint80, int256, uint256, uint256 nextAt, uint80) {
            if (nextAt != 0 && nextAt <= fixingTime) revert BondWrongFixingRound(roundId, updatedAt, fixingTime);
        } catch {}
        if (answer < -1e36 || answer > 1e36) revert BondBadReferenceRate(answer);
        int256 rate = answer * int256(10 ** (18 - referenceRate.decimals())) + marginWad;
        if (rate < 0) rate = 0;
        if (rate > int256(BondTerms.MAX_RATE_WAD)) rate = int256(BondTerms.MAX_RATE_WAD);
        _fixings[coupon] = Fixing(uint128(uint256(rate)), true);
        emit RateFixed(coupon, uint256(rate), answer, roundId);
    }

    // ---------------------------------------------------------------- coupons

    /// @notice Add up to `amount` cash to coupon `coupon`, from its record date on;
    /// only what it still lacks is pulled. @dev Caller: anyone (normally the
    /// treasury). Funding before the record date is refused: the supply it owes is
    /// not known until then. Emits {CouponFunded}. Returns the cash taken.
    function fundCoupon(uint256 coupon, uint256 amount) external nonReentrant returns (uint256 taken) {
        if (defaulted) revert BondDefaulted();
        _checkCoupon(coupon, couponCount);
        if (amount == 0) revert BondZeroAmount();
        uint256 record = recordDate(coupon);
        if (block.timestamp < record) revert BondBeforeRecordDate(coupon, record, block.timestamp);
        (, bool known) = couponRate(coupon);
        if (!known) revert BondRateNotFixed(coupon);
        uint256 owed = couponOwed(coupon);
        Coupon storage c = _coupons[coupon];
        if (c.funded >= owed) revert BondCouponFullyFunded(coupon, owed);
        taken = Math.min(amount, owed - c.funded);
        c.funded += taken.toUint128();
        emit CouponFunded(coupon, msg.sender, taken, c.funded, owed);
        cash.safeTransferFrom(msg.sender, address(this), taken);
    }

    /// @notice What `holder` can claim of coupon `coupon` now (zero if not yet due, not
    /// fully funded, or claimed).
    function claimable(address holder, uint256 coupon) public view returns (uint256) {
        if (coupon >= couponCount || _claimed[holder].get(coupon)) return 0;
        if (block.timestamp < couponDate(coupon)) return 0;
        (, bool known) = couponRate(coupon);
        uint256 funded = _coupons[coupon].funded;
        if (!known || funded == 0) return 0;
        if (funded >= couponOwed(coupon)) return couponOn(balanceAtRecord(holder, coupon), coupon);
        return defaulted ? Math.mulDiv(balanceAtRecord(holder, coupon), funded, supplyAtRecord(coupon)) : 0;
    }

    /// @notice Pay `holder` its coupons `coupons`: to the holder at each record date,
    /// whoever calls (a keeper may claim for the reserve). @dev Each must be due and
    /// fully funded, and not claimed before. Emits {CouponClaimed} each. Returns the cash paid.
    function claim(address holder, uint256[] calldata coupons) external nonReentrant returns (uint256 paid) {
        CouponSchedule.Dates memory s = _dates();
        for (uint256 i; i < coupons.length; ++i) {
            paid += _claimOne(s, holder, _checkCoupon(coupons[i], couponCount));
        }
        cash.safeTransfer(holder, paid);
    }

    // ---------------------------------------------------------------- principal, call, default

    /// @notice Cash owed for every outstanding token at the redemption price (rounded up).
    function principalOwed() public view returns (uint256) {
        return Math.mulDiv(totalSupply(), redemptionPrice, _one, Math.Rounding.Ceil);
    }

    /// @notice Add up to `amount` cash to the principal pool; only what it lacks is pulled.
    /// @dev Caller: anyone. Refused in default. Emits {PrincipalFunded}. Returns the cash taken.
    function fundPrincipal(uint256 amount) external nonReentrant returns (uint256 taken) {
        if (defaulted) revert BondDefaulted();
        if (amount == 0) revert BondZeroAmount();
        uint256 owed = principalOwed();
        taken = owed > principalPool ? Math.min(amount, owed - principalPool) : 0;
        if (taken == 0) revert BondNothingToPay(amount);
        principalPool += taken;
        emit PrincipalFunded(msg.sender, taken);
        cash.safeTransferFrom(msg.sender, address(this), taken);
    }

    /// @notice Redeem `amount` of the caller's tokens: at the redemption price from the
    /// redemption date while the pool repays every token; in default, at once, for
    /// the same share of the recovery pool per token. @dev Emits {Redeemed}.
    function redeem(uint256 amount) external nonReentrant returns (uint256 payout) {
        return _redeem(msg.sender, amount);
    }

    /// @notice Redeem `amount` of `holder`'s tokens, paid to `holder` (as {redeem}).
    /// @dev Caller: anyone, so that a keeper can redeem for a holder that cannot call
    /// out, such as the reserve. Harmless to the holder: a redemption is possible only
    /// when it pays the full price, or in default at the fixed per-token rate that
    /// waiting cannot improve.
    function redeemFor(address holder, uint256 amount) external nonReentrant returns (uint256 payout) {
        return _redeem(holder, amount);
    }

    function _redeem(address holder, uint256 amount) private returns (uint256 payout) {
        if (amount == 0) revert BondZeroAmount();
        uint256 held = balanceOf(holder);
        if (amount > held) revert ERC20InsufficientBalance(holder, held, amount);
        if (!defaulted) {
            if (block.timestamp < redemptionDate) revert BondNotRedeemable(block.timestamp, redemptionDate);
            uint256 owed = principalOwed();
            if (principalPool < owed) {
                uint256 graceEnd = redemptionDate + PRINCIPAL_GRACE;
                if (block.timestamp < graceEnd) revert BondPrincipalShort(owed, principalPool, graceEnd);
                _recordDefault(couponCount);
            }
        }
        payout = redemptionValue(amount);
        if (payout == 0) revert BondNothingToPay(amount);
        if (defaulted) recoveryPool -= payout;
        else principalPool -= payout;
        _burn(holder, amount);
        emit Redeemed(holder, amount, payout);
        cash.safeTransfer(holder, payout);
    }

    /// @notice What `amount` tokens redeem for now (rounded down): in default their
    /// share of the recovery pool; from the redemption date the redemption price;
    /// before it, nothing.
    function redemptionValue(uint256 amount) public view returns (uint256) {
        if (defaulted) return defaultSupply == 0 ? 0 : Math.mulDiv(amount, defaultPool, defaultSupply);
        if (block.timestamp < redemptionDate) return 0;
        return Math.mulDiv(amount, redemptionPrice, _one);
    }

    /// @notice Record the default on coupon `coupon`, or on the principal when
    /// `coupon` is {couponCount}. @dev Caller: anyone, once the grace period is over
    /// and the payment is still short. Emits {SeriesDefaulted}.
    function markDefault(uint256 coupon) external {
        if (defaulted) revert BondDefaulted();
        uint256 graceEnd;
        if (coupon == couponCount) {
            graceEnd = redemptionDate + PRINCIPAL_GRACE;
            if (principalPool >= principalOwed()) revert BondNotInDefault("principal funded");
        } else {
            graceEnd = couponDate(_checkCoupon(coupon, couponCount)) + COUPON_GRACE;
            (, bool known) = couponRate(coupon);
            // An unfixed rate is not a missed payment: anyone can fix it from the feed's history.
            if (!known) revert BondRateNotFixed(coupon);
            if (_coupons[coupon].funded >= couponOwed(coupon)) revert BondNotInDefault("coupon funded");
        }
        if (block.timestamp < graceEnd) revert BondInGracePeriod(block.timestamp, graceEnd);
        _recordDefault(coupon);
    }

    /// @notice Call the bond at call option `index`: every token redeems at its price
    /// on its date, and later coupons are cancelled. @dev Caller: the registry (for
    /// the debt office), at least {callNoticeDays} before the call date. Emits {Called}.
    function callBond(uint256 index) external {
        _onlyRegistry();
        uint256 callDate = index < _callCoupons.length ? couponDate(_callCoupons[index]) : 0;
        uint256 noticeBy = callDate - Math.min(callDate, callNoticeDays * DAY);
        if (callDate == 0 || block.timestamp > noticeBy || defaulted || couponCount != couponCountAtIssue) {
            revert BondCallRefused(index, callDate, noticeBy, block.timestamp);
        }
        couponCount = _callCoupons[index] + 1;
        redemptionDate = callDate;
        redemptionPrice = _callPrices[index];
        auctionPrice = 0;
        auctionRemaining = 0;
        emit Called(index, callDate, _callPrices[index]);
    }

    /// @notice The call options: each one's date and price per whole token.
    function callSchedule() external view returns (uint256[] memory dates, uint256[] memory prices) {
        dates = new uint256[](_callCoupons.length);
        for (uint256 i; i < dates.length; ++i) dates[i] = couponDate(_callCoupons[i]);
        prices = _callPrices;
    }

    // ---------------------------------------------------------------- internals

    /// @dev Part-funded coupons keep their cash for their record-date holders (paid
    /// pro rata by {claim}); only the principal pool is shared by today's holders.
    function _recordDefault(uint256 coupon) private {
        uint256 pool = principalPool;
        defaulted = true;
        principalPool = 0;
        recoveryPool = pool;
        defaultPool = pool;
        defaultSupply = totalSupply();
        auctionPrice = 0;
        auctionRemaining = 0;
        emit SeriesDefaulted(coupon, pool, defaultSupply, msg.sender);
    }

    function _accrued(uint256 timestamp, Math.Rounding rounding) private view returns (int256) {
        if (defaulted || timestamp >= redemptionDate) return 0;
        CouponSchedule.Dates memory s = _dates();
        uint256 day = timestamp / DAY;
        if (day <= s.issueDay) return 0;
        // k < couponCount: the last coupon pays on the redemption date, not reached yet.
        uint256 k = CouponSchedule.paidBy(s, day);
        uint256 start = CouponSchedule.accrualStart(s, k);
        if (day == start) return 0;
        uint256 pay = CouponSchedule.payDay(s, k);
        (uint256 rate, bool known) = couponRate(k);
        if (!known) return 0;
        bool ex = day + recordDays >= pay;
        (uint256 num, uint256 den) = ex
            ? CouponSchedule.yearFraction(s, k, day, pay)
            : CouponSchedule.yearFraction(s, k, start, day);
        // Ex-coupon, the seller keeps the coupon: the buyer is owed the rest of the period.
        // Flip the rounding for the negative amount so that "down" stays down.
        Math.Rounding r = ex ? (rounding == Math.Rounding.Floor ? Math.Rounding.Ceil : Math.Rounding.Floor) : rounding;
        int256 amount = int256(Math.mulDiv(faceValue * rate, num, den * WAD, r));
        return ex ? -amount : amount;
    }

    function _claimOne(CouponSchedule.Dates memory s, address holder, uint256 k) private returns (uint256 amount) {
        uint256 payDate = CouponSchedule.payDay(s, k) * DAY;
        if (block.timestamp < payDate) revert BondCouponNotDue(k, payDate, block.timestamp);
        (, bool known) = couponRate(k);
        if (!known) revert BondRateNotFixed(k);
        (uint256 n, uint256 d) = _couponFactor(s, k);
        Coupon storage c = _coupons[k];
        uint256 supplyAt = supplyAtRecord(k);
        uint256 owed = Math.mulDiv(supplyAt, n, d);
        if (_claimed[holder].get(k)) revert BondAlreadyClaimed(holder, k);
        if (c.funded >= owed) {
            amount = Math.mulDiv(balanceAtRecord(holder, k), n, d);
        } else {
            // In default a part-funded coupon's cash (funding has stopped) is shared
            // by its record-date holders pro rata; before that nobody takes a part.
            if (!defaulted) revert BondCouponNotFunded(k, owed, c.funded);
            amount = Math.mulDiv(balanceAtRecord(holder, k), c.funded, supplyAt);
        }
        if (amount == 0) revert BondNothingToClaim(holder, k);
        _claimed[holder].set(k);
        c.claimed += amount.toUint128();
        emit CouponClaimed(k, holder, amount);
    }

    /// @dev Coupon `k` pays `amount * n / d` on `amount` tokens: face × rate × year fraction per whole token.
    function _couponFactor(CouponSchedule.Dates memory s, uint256 k) private view returns (uint256 n, uint256 d) {
        (uint256 rate,) = couponRate(k);
        (uint256 num, uint256 den) =
            CouponSchedule.yearFraction(s, k, CouponSchedule.accrualStart(s, k), CouponSchedule.payDay(s, k));
        return (faceValue * rate * num, _one * den * WAD);
    }

    function _dates() private view returns (CouponSchedule.Dates memory) {
        return CouponSchedule.Dates(
            _issueDay, _firstCouponDay, _maturityDay, 12 / frequency, _eom, dayCount, _firstMonthIndex, _firstDayOfMonth
        );
    }

    function _checkCoupon(uint256 coupon, uint256 count) private pure returns (uint256) {
        if (coupon >= count) revert BondUnknownCoupon(coupon, count);
        return coupon;
    }

    function _checkSaleOpen() private view {
        if (block.timestamp < _issueDay * DAY) revert BondSaleClosed("not issued");
        if (block.timestamp >= redemptionDate) revert BondSaleClosed("redeemed");
        if (couponCount != couponCountAtIssue) revert BondSaleClosed("called");
        if (defaulted) revert BondSaleClosed("defaulted");
        uint256 k = CouponSchedule.paidBy(_dates(), block.timestamp / DAY);
        (, bool known) = couponRate(k);
        if (!known) revert BondSaleClosed("rate not fixed");
    }

    function _onlyRegistry() private view {
        if (msg.sender != registry) revert BondNotRegistry(msg.sender);
    }
}
