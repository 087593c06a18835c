// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Arrays} from "@openzeppelin/contracts/utils/Arrays.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Reserve} from "../reserve/Reserve.sol";
import {SovereignStablecoin} from "../token/SovereignStablecoin.sol";
import {OutflowBuckets} from "./OutflowBuckets.sol";
import {ProRataPool} from "./ProRataPool.sol";

/// @title RedemptionDesk
/// @notice The bank-run brake: the one way to redeem the stablecoin for cash once the
/// reserve names it. A redemption inside the outflow limits is paid at once; one above
/// them (or while anyone is queued) joins a queue in the style of ERC-7540: the coins
/// are locked here (still counted in supply), a keeper processes the queue as the
/// limits refill or cash arrives, and the participant claims its cash.
/// @dev The rules, in plain words:
/// - Limits. Two refilling buckets over 1 hour and 24 hours, and one per participant
///   over 24 hours (instant redemptions only), each a share of the supply set by the
///   governor within bounds. Every capacity is multiplied by a factor that falls as the
///   collateral ratio nears its minimum: 100% at `minimum + band` and above, linearly
///   down to `floorBps` at the minimum and below (a stale feed counts its asset zero,
///   so it tightens too). Never zero: a brake that stops every payment at the edge
///   would itself start the run it is meant to slow.
/// - Order. A redemption is instant only when the queue is empty and every bucket and
///   the reserve's cash can pay it; otherwise it is queued (never refused for the
///   limit). Queued requests are admitted to the paying pool first in, first out, once
///   `admissionDelay` old; a payment round waits until every request old enough is
///   admitted, so none is left out of a round it was eligible for.
/// - Payment. A round pays X = min(pool, room in both buckets, the reserve's cash).
///   When X covers the pool every request is paid in full; otherwise every admitted
///   coin is paid the same fraction X / pool: the whole queue pro-rata, whoever asked
///   first. So a request's paid fraction is never below that of a later one.
/// - Fee. The reserve's redemption fee (at most 1%), charged when a round is paid, at
///   the rate then in force.
/// - Cancel. After `cancelAfter` (default 7 days, as Spiko) the owner may cancel what is
///   unpaid: the coins come back; cash already earned stays claimable.
/// - Denial of service. A request is at least `minRequest` coins, a participant has at
///   most MAX_OPEN open requests, participants are the reserve's licensed ones, and
///   processing costs the keeper a bounded loop per call (`maxAdmit`).
contract RedemptionDesk is AccessManaged, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeERC20 for SovereignStablecoin;
    using OutflowBuckets for OutflowBuckets.Bucket;
    using ProRataPool for ProRataPool.Pool;

    // ================================================================ errors

    error DeskNotParticipant(address account);
    error DeskBelowMinimum(uint256 amount, uint256 minimum);
    error DeskInstructionUsed(address participant, bytes32 instructionId);
    error DeskInvalidInstructionId();
    error DeskTooManyOpen(address participant, uint256 open, uint256 max);
    error DeskUnknownRequest(uint256 id);
    error DeskNotOwner(uint256 id, address caller, address owner);
    error DeskCancelTooEarly(uint256 id, uint256 earliest);
    error DeskRequestClosed(uint256 id, uint8 state);
    error DeskParameterOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);
    error DeskInvalidAddress(address account);
    error DeskOwnerFrozen(uint256 id, address owner);
    /// @dev The stablecoin's redemption pause is on: nothing is paid, and nothing queued.
    error DeskRedemptionPaused();
    /// @dev The reserve names another desk (`named`) or none: this one takes no request.
    error DeskNotNamed(address named);

    // ================================================================ events

    event RedeemedInstantly(
        address indexed participant, bytes32 indexed instructionId, uint256 coins, uint256 cashPaid
    );
    event RedeemRequested(
        uint256 indexed id, address indexed participant, bytes32 indexed instructionId, uint256 coins
    );
    event Admitted(uint256 indexed batch, uint256 firstId, uint256 endId, uint256 coins);
    event RoundPaid(
        uint256 indexed round, uint256 coins, uint256 cashPaid, uint256 poolBefore, bool fullyPaid
    );
    event Claimed(uint256 indexed id, address indexed owner, uint256 cash);
    event Cancelled(uint256 indexed id, address indexed owner, uint256 coinsReturned);
    /// @notice The pool held less than one cash unit: counted paid, its dust kept here.
    event PoolClosed(uint256 indexed epoch, uint256 dustCoins);
    event LimitsSet(uint16 hourBps, uint16 dayBps, uint16 participantDayBps, uint16 floorBps, uint64 bandWad);
    event QueueRulesSet(uint256 minRequest, uint32 admissionDelay, uint32 cancelAfter);

    // ================================================================ constants

    uint256 private constant BPS = 10_000;
    uint8 private constant PAUSE_REDEEM = 2; // SovereignStablecoin.PAUSE_REDEEM
    uint32 public constant FAST_WINDOW = 1 hours;
    uint32 public constant SLOW_WINDOW = 1 days;
    /// @dev A participant's open requests: bounds what one can make a keeper loop over.
    uint256 public constant MAX_OPEN = 8;
    /// @dev A fast window may pass 0.1% to 50% of the supply, a slow one up to all of it.
    uint16 public constant MIN_HOUR_BPS = 10;
    uint16 public constant MAX_HOUR_BPS = 5_000;
    /// @dev At the minimum ratio the limits keep at least a tenth of their capacity.
    uint16 public constant MIN_FLOOR_BPS = 1_000;
    /// @dev The band above the minimum ratio over which limits tighten: up to 100 points.
    uint64 public constant MAX_BAND_WAD = 1e18;
    /// @dev The smallest request: 1 coin to 1,000,000 coins.
    uint256 public constant MIN_MIN_REQUEST = 1e18;
    uint256 public constant MAX_MIN_REQUEST = 1e24;
    /// @dev How old a request must be to join a round: at most a day.
    uint32 public constant MAX_ADMISSION_DELAY = 1 days;
    /// @dev When the owner may cancel: 1 to 30 days after the request.
    uint32 public constant MIN_CANCEL_AFTER = 1 days;
    uint32 public constant MAX_CANCEL_AFTER = 30 days;

    uint8 public constant STATE_NONE = 0;
    uint8 public constant STATE_PENDING = 1; // queued, not yet in the paying pool
    uint8 public constant STATE_ADMITTED = 2; // in the pool: paid round by round
    uint8 public constant STATE_CANCELLED = 3; // the unpaid coins went back
    uint8 public constant STATE_CLOSED = 4; // paid in full and claimed

    // ================================================================ storage

    struct Request {
        uint128 amount; // coins locked
        uint40 requestedAt;
        uint8 state;
        address owner;
        uint128 claimed; // cash claimed so far (its own slot: any cash token's units fit)
    }

    /// @notice The reserve this desk redeems at (it names this desk).
    Reserve public immutable reserve;
    SovereignStablecoin public immutable stablecoin;
    IERC20 public immutable cash;
    uint256 private immutable _cashUnit;

    // Defaults: ERC-7265's reference (70% retained over 4 hours) lets 7.5% of the
    // liquidity out an hour, for DeFi pools; a sovereign coin's ordinary daily outflow is
    // a few percent of its supply, so 5% an hour and 20% a day pass every ordinary day at
    // once and brake a run within its first hour. One participant's instant redemptions
    // are held to 5% a day, so that no single exchange empties the hour for the others.
    uint16 public hourBps = 500; // 5% of the supply an hour
    uint16 public dayBps = 2_000; // 20% a day
    uint16 public participantDayBps = 500; // 5% a day for one participant's instant redemptions
    uint16 public floorBps = 2_500; // a quarter of the capacity at the minimum ratio
    uint64 public bandWad = 0.2e18; // full capacity from 20 points above the minimum
    uint256 public minRequest = 1_000e18;
    uint32 public admissionDelay = 1 hours;
    uint32 public cancelAfter = 7 days;

    OutflowBuckets.Bucket private _hour;
    OutflowBuckets.Bucket private _day;
    mapping(address participant => OutflowBuckets.Bucket) private _participantDay;

    Request[] private _requests; // id = index + 1
    /// @notice The next request id to admit (1-based): every id below it is admitted or cancelled.
    uint256 public nextToAdmit = 1;
    /// @notice Coins requested and not yet admitted (cancelled ones excluded).
    uint256 public pendingCoins;
    /// @notice Requests not closed or cancelled, per participant.
    mapping(address participant => uint256) public openRequests;
    /// @dev The end id (exclusive) of each admission batch, increasing: a request's
    /// batch is found by search, so admitting one writes nothing to it.
    uint256[] private _batchEnd;
    ProRataPool.Pool private _pool;
    uint256 public rounds;
    mapping(address participant => mapping(bytes32 instructionId => bool)) private _used;

    constructor(address authority, Reserve reserve_) AccessManaged(authority) {
        if (address(reserve_) == address(0)) revert DeskInvalidAddress(address(reserve_));
        reserve = reserve_;
        stablecoin = reserve_.stablecoin();
        cash = reserve_.cash();
        _cashUnit = reserve_.cashUnit();
        _pool.init();
    }

    // ================================================================ participants

    /// @notice Redeem `amount` coins: paid now when the limits and the cash allow and no
    /// one is queued, else queued. Returns the request id, or 0 when paid now.
    /// @dev Caller: a registered participant that approved this desk for `amount`. Only
    /// whole cash units are taken: the part below one cash unit stays with the caller.
    function redeem(uint256 amount, bytes32 instructionId) external nonReentrant returns (uint256 id) {
        uint256 coins = _accept(amount, instructionId);
        // Paid at once only when the room and the cash would also pay everything queued
        // (whose admission waits): nobody queued then gets a smaller share for it.
        if (coins <= _instantRoom(msg.sender, pendingCoins + _pool.remaining)) {
            uint256 paid = _redeemAtReserve(coins, keccak256(abi.encode("instant", msg.sender, instructionId)));
            _participantDay[msg.sender].consume(coins);
            emit RedeemedInstantly(msg.sender, instructionId, coins, paid);
            cash.safeTransfer(msg.sender, paid);
            return 0;
        }
        return _queue(coins, instructionId);
    }

    /// @notice Queue a redemption of `amount` coins whatever the limits (ERC-7540's requestRedeem).
    /// @dev Caller: a registered participant that approved this desk.
    function requestRedeem(uint256 amount, bytes32 instructionId) external nonReentrant returns (uint256) {
        return _queue(_accept(amount, instructionId), instructionId);
    }

    /// @notice Claim the cash `id` has earned; a request paid in full is then closed.
    /// @dev Caller: anyone; the cash always goes to the request's owner.
    function claim(uint256 id) external nonReentrant returns (uint256 amount) {
        Request storage r = _request(id);
        if (r.state != STATE_ADMITTED) revert DeskRequestClosed(id, r.state);
        amount = _claim(id, r);
        if (_remaining(id, r) == 0) {
            r.state = STATE_CLOSED;
            --openRequests[r.owner];
        }
    }

    /// @notice Cancel what `id` has not been paid: the coins return to the owner, with
    /// any cash already earned. @dev Caller: the owner, `cancelAfter` after the request.
    function cancel(uint256 id) external nonReentrant {
        Request storage r = _request(id);
        if (msg.sender != r.owner) revert DeskNotOwner(id, msg.sender, r.owner);
        uint8 state = r.state;
        if (state != STATE_PENDING && state != STATE_ADMITTED) revert DeskRequestClosed(id, state);
        uint256 earliest = uint256(r.requestedAt) + cancelAfter;
        if (block.timestamp < earliest) revert DeskCancelTooEarly(id, earliest);
        uint256 back;
        if (state == STATE_PENDING) {
            back = r.amount;
            pendingCoins -= back;
        } else {
            back = _remaining(id, r);
            _claim(id, r); // what it earned is paid now: a cancelled request earns no more
            _pool.withdraw(back);
            if (_pool.remaining < _cashUnit) _closePool();
        }
        r.state = STATE_CANCELLED;
        --openRequests[r.owner];
        emit Cancelled(id, r.owner, back);
        if (back != 0) stablecoin.safeTransfer(r.owner, back);
    }

    // ================================================================ keepers

    /// @notice Admit up to `maxAdmit` requests old enough, first in first out; then, once
    /// every request old enough is admitted, pay a round. @dev Caller: anyone.
    /// @return admitted requests admitted; paidCoins the coins paid in the round (0: none).
    function process(uint256 maxAdmit) external nonReentrant returns (uint256 admitted, uint256 paidCoins) {
        bool complete;
        (admitted, complete) = _admit(maxAdmit);
        if (!complete) return (admitted, 0);
        // The pool is empty or holds at least one cash unit: a round that leaves less, and a
        // cancellation that does, close it (`full`, `_closePool`).
        uint256 pool = _pool.remaining;
        if (pool == 0) return (admitted, 0);
        (uint256 supply, uint256 factor) = _conditions();
        uint256 x = Math.min(pool, _hour.refresh(_scaled(supply, hourBps, factor), FAST_WINDOW));
        x = Math.min(x, _day.refresh(_scaled(supply, dayBps, factor), SLOW_WINDOW));
        x = Math.min(x, cash.balanceOf(address(reserve)) * _cashUnit);
        x -= x % _cashUnit; // the reserve pays whole cash units
        if (x == 0 || _paysNothing(x)) return (admitted, 0);
        bool full = pool - x < _cashUnit; // what is left is below one cash unit: dust
        uint256 round = ++rounds;
        uint256 paid = _redeemAtReserve(x, keccak256(abi.encode("round", round)));
        _pool.pay(x, paid, full);
        emit RoundPaid(round, x, paid, pool, full);
        return (admitted, x);
    }

    // ================================================================ governance

    /// @notice Set the outflow limits. @dev Caller: the governor role (its delay).
    function setLimits(uint16 hourBps_, uint16 dayBps_, uint16 participantDayBps_, uint16 floorBps_, uint64 bandWad_)
        external
        restricted
    {
        _bounds("hourBps", hourBps_, MIN_HOUR_BPS, MAX_HOUR_BPS);
        _bounds("dayBps", dayBps_, hourBps_, BPS);
        _bounds("participantDayBps", participantDayBps_, 1, dayBps_);
        _bounds("floorBps", floorBps_, MIN_FLOOR_BPS, BPS);
        _bounds("bandWad", bandWad_, 0, MAX_BAND_WAD);
        // Drain the buckets at the old capacities before the new ones apply.
        (uint256 supply, uint256 factor) = _conditions();
        _hour.refresh(_scaled(supply, hourBps, factor), FAST_WINDOW);
        _day.refresh(_scaled(supply, dayBps, factor), SLOW_WINDOW);
        (hourBps, dayBps, participantDayBps, floorBps, bandWad) =
            (hourBps_, dayBps_, participantDayBps_, floorBps_, bandWad_);
        emit LimitsSet(hourBps_, dayBps_, participantDayBps_, floorBps_, bandWad_);
    }

    /// @notice Set the queue's rules. @dev Caller: the governor role (its delay).
    function setQueueRules(uint256 minRequest_, uint32 admissionDelay_, uint32 cancelAfter_) external restricted {
        _bounds("minRequest", minRequest_, MIN_MIN_REQUEST, MAX_MIN_REQUEST);
        _bounds("admissionDelay", admissionDelay_, 0, MAX_ADMISSION_DELAY);
        _bounds("cancelAfter", cancelAfter_, MIN_CANCEL_AFTER, MAX_CANCEL_AFTER);
        (minRequest, admissionDelay, cancelAfter) = (minRequest_, admissionDelay_, cancelAfter_);
        emit QueueRulesSet(minRequest_, admissionDelay_, cancelAfter_);
    }

    // ================================================================ views

    /// @notice Request `id`: owner, coins locked, when, state, coins still unpaid,
    /// cash earned in all and cash claimable now.
    function request(uint256 id)
        external
        view
        returns (address owner, uint256 amount, uint256 requestedAt, uint8 state, uint256 unpaid, uint256 earned, uint256 claimable)
    {
        Request storage r = _request(id);
        (owner, amount, requestedAt, state) = (r.owner, r.amount, r.requestedAt, r.state);
        if (state == STATE_PENDING) return (owner, amount, requestedAt, state, amount, 0, 0);
        if (state == STATE_ADMITTED) unpaid = _remaining(id, r);
        earned = _earned(id, r);
        claimable = earned - r.claimed;
    }

    /// @notice Whether `participant` used `instructionId` for a redemption, here or at the
    /// reserve directly (before the desk was named).
    function instructionUsed(address participant, bytes32 instructionId) public view returns (bool) {
        return _used[participant][instructionId] || reserve.redemptionExecuted(participant, instructionId);
    }

    /// @notice How many requests were ever made (ids run from 1 to this).
    function requestCount() external view returns (uint256) {
        return _requests.length;
    }

    /// @notice Coins in the paying pool (admitted, unpaid).
    function poolCoins() external view returns (uint256) {
        return _pool.remaining;
    }

    /// @notice The capacity factor in force [bps]: 10,000 when the ratio is comfortable.
    function capacityFactorBps() public view returns (uint256) {
        return _ratioFactor();
    }

    /// @notice Whether a redemption may be paid at once as far as the queue goes: nothing
    /// pending and less than one cash unit in the pool.
    function queueEmpty() external view returns (bool) {
        return _queueEmpty();
    }

    /// @dev The factor of the reserve's ratio; a valuation that reverts (a feed that
    /// cannot answer) counts as the worst ratio: the limits at their floor, never a halt.
    function _ratioFactor() private view returns (uint256) {
        try reserve.collateralRatio() returns (uint256 ratio) {
            return _factor(ratio);
        } catch {
            return floorBps;
        }
    }

    function _factor(uint256 ratio) private view returns (uint256) {
        uint256 minimum = reserve.minCollateralRatioWad();
        if (ratio >= minimum + bandWad) return BPS;
        if (ratio <= minimum) return floorBps;
        return floorBps + Math.mulDiv(BPS - floorBps, ratio - minimum, bandWad);
    }

    /// @notice Each bucket's capacity and room now: the hour, the day, and `participant`'s day.
    function buckets(address participant)
        external
        view
        returns (uint256 hourCapacity, uint256 hourRoom, uint256 dayCapacity, uint256 dayRoom, uint256 ownCapacity, uint256 ownRoom)
    {
        (uint256 supply, uint256 factor) = _conditions();
        hourCapacity = _scaled(supply, hourBps, factor);
        dayCapacity = _scaled(supply, dayBps, factor);
        ownCapacity = _scaled(supply, participantDayBps, factor);
        hourRoom = _hour.roomAt(hourCapacity, FAST_WINDOW);
        dayRoom = _day.roomAt(dayCapacity, SLOW_WINDOW);
        ownRoom = _participantDay[participant].roomAt(ownCapacity, SLOW_WINDOW);
    }

    // ================================================================ internals

    function _accept(uint256 amount, bytes32 instructionId) private returns (uint256 coins) {
        // A request made while redemption is paused would lock coins for a week at least
        // (the cancel timeout) with nothing to gain: refused, as the reserve refuses.
        if (stablecoin.pausedFlags() & PAUSE_REDEEM != 0) revert DeskRedemptionPaused();
        if (reserve.redemptionDesk() != address(this)) revert DeskNotNamed(reserve.redemptionDesk());
        if (!reserve.isParticipant(msg.sender)) revert DeskNotParticipant(msg.sender);
        if (instructionId == bytes32(0)) revert DeskInvalidInstructionId();
        // One id, one redemption, whether it went through this desk or the reserve itself.
        if (instructionUsed(msg.sender, instructionId)) revert DeskInstructionUsed(msg.sender, instructionId);
        if (amount < minRequest) revert DeskBelowMinimum(amount, minRequest);
        _used[msg.sender][instructionId] = true;
        coins = amount - amount % _cashUnit; // whole cash units only; minRequest >= 1 coin >= one unit
        stablecoin.safeTransferFrom(msg.sender, address(this), coins);
    }

    function _queue(uint256 coins, bytes32 instructionId) private returns (uint256 id) {
        uint256 open = openRequests[msg.sender];
        if (open >= MAX_OPEN) revert DeskTooManyOpen(msg.sender, open, MAX_OPEN);
        openRequests[msg.sender] = open + 1;
        _requests.push(Request(SafeCast.toUint128(coins), uint40(block.timestamp), STATE_PENDING, msg.sender, 0));
        id = _requests.length;
        pendingCoins += coins;
        emit RedeemRequested(id, msg.sender, instructionId, coins);
    }

    function _admit(uint256 maxAdmit) private returns (uint256 admitted, bool complete) {
        uint256 next = nextToAdmit;
        uint256 end = _requests.length + 1;
        uint256 cutoff = block.timestamp - admissionDelay;
        uint256 coins;
        uint256 first = next;
        while (next < end && admitted < maxAdmit) {
            Request storage r = _requests[next - 1];
            if (r.requestedAt > cutoff) break;
            if (r.state == STATE_PENDING) {
                r.state = STATE_ADMITTED;
                coins += r.amount;
            }
            ++next;
            ++admitted;
        }
        complete = next == end || _requests[next - 1].requestedAt > cutoff;
        if (next == first) return (0, complete);
        nextToAdmit = next;
        pendingCoins -= coins;
        _batchEnd.push(next);
        _pool.admit(_batchEnd.length - 1, coins);
        emit Admitted(_batchEnd.length - 1, first, next, coins);
    }

    function _instantRoom(address participant, uint256 queued) private returns (uint256) {
        (uint256 supply, uint256 factor) = _conditions();
        uint256 room = _hour.refresh(_scaled(supply, hourBps, factor), FAST_WINDOW);
        room = Math.min(room, _day.refresh(_scaled(supply, dayBps, factor), SLOW_WINDOW));
        room = Math.min(room, cash.balanceOf(address(reserve)) * _cashUnit);
        room = room > queued ? room - queued : 0;
        return Math.min(room, _participantDay[participant].refresh(_scaled(supply, participantDayBps, factor), SLOW_WINDOW));
    }

    /// @dev The supply and the capacity factor: one valuation per call.
    function _conditions() private view returns (uint256 supply, uint256 factor) {
        supply = stablecoin.totalSupply();
        factor = supply == 0 ? BPS : _ratioFactor();
    }

    function _queueEmpty() private view returns (bool) {
        return pendingCoins == 0 && _pool.remaining < _cashUnit;
    }

    function _closePool() private {
        if (_pool.remaining != 0) emit PoolClosed(_pool.epoch, _pool.remaining);
        _pool.close();
    }

    function _scaled(uint256 supply, uint16 bps, uint256 factorBps) private pure returns (uint256) {
        return Math.mulDiv(supply, uint256(bps) * factorBps, BPS * BPS);
    }

    /// @dev Whether the reserve's fee would take every cash unit of `coins` (it would revert).
    function _paysNothing(uint256 coins) private view returns (bool) {
        uint256 gross = coins / _cashUnit;
        return gross <= Math.mulDiv(gross, reserve.redemptionFeeBps(), BPS, Math.Rounding.Ceil);
    }

    /// @dev Burn `coins` of the desk's at the reserve; both global buckets take them.
    function _redeemAtReserve(uint256 coins, bytes32 reserveId) private returns (uint256 paid) {
        _hour.consume(coins);
        _day.consume(coins);
        uint256 before = cash.balanceOf(address(this));
        reserve.redeem(coins, reserveId);
        paid = cash.balanceOf(address(this)) - before;
    }

    function _claim(uint256 id, Request storage r) private returns (uint256 amount) {
        if (stablecoin.frozen(r.owner)) revert DeskOwnerFrozen(id, r.owner);
        amount = _earned(id, r) - r.claimed;
        if (amount == 0) return 0;
        r.claimed = SafeCast.toUint128(r.claimed + amount);
        emit Claimed(id, r.owner, amount);
        cash.safeTransfer(r.owner, amount);
    }

    function _batchOf(uint256 id) private view returns (uint256) {
        return Arrays.upperBound(_batchEnd, id); // the first batch whose end is above id
    }

    function _remaining(uint256 id, Request storage r) private view returns (uint256) {
        return _pool.remainingOf(_batchOf(id), r.amount);
    }

    function _earned(uint256 id, Request storage r) private view returns (uint256) {
        // Called for admitted, cancelled and closed requests only (a pending one earned nothing
        // and `request` answers for it itself).
        if (r.state == STATE_CANCELLED || r.state == STATE_CLOSED) return r.claimed; // settled
        return _pool.earnedOf(_batchOf(id), r.amount);
    }

    function _request(uint256 id) private view returns (Request storage) {
        if (id == 0 || id > _requests.length) revert DeskUnknownRequest(id);
        return _requests[id - 1];
    }

    function _bounds(bytes32 name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert DeskParameterOutOfBounds(name, value, min, max);
    }
}
