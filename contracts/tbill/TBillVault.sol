// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {TBillSeries} from "./TBillSeries.sol";
import {TBillRegistry} from "./TBillRegistry.sol";

/// @notice The AML freeze list the vault obeys (the stablecoin's).
interface IFreezeList {
    function frozen(address account) external view returns (bool);
}

/// @title TBillVault
/// @notice A permissioned ERC-4626 vault over settlement cash that holds a ladder
/// of T-bill series, valued on-chain: each lot accretes linearly from its purchase
/// price to face at maturity, so anyone can reproduce the NAV from public data.
/// @dev NAV (totalAssets), in cash units, rounded down:
///     idle cash (the vault's cash balance)
///   + floor( sum over accruing lots of (cost'·S + rate'·(now − purchasedAt)) / S )
///   + sum over matured lots of series.redemptionValue-like value (face if the
///     series' pool repays every token and it is not in default, else a pro-rata
///     share of its pool)
/// where S = 10**(18 − cash decimals) (so cost·S is an 18-decimal amount),
/// rate = floor((face − cost)·S / (maturity − purchasedAt)) and the primes apply
/// the lot's markdown: x' = floor(x · (10000 − markdownBps) / 10000).
/// The accruing sum is kept as aggregates (base + rate·now, before markdowns, and
/// the markdowns' deduction, read only while a lot is marked down), so a deposit
/// reads three slots however many bills are held; lots move to the matured set
/// when their maturity passes (in views on the fly, in transactions for good).
///
/// Two prices, so that no round trip timed around a value-moving event gains:
/// the NAV above ({totalAssets}, the exit NAV) prices withdrawals, redemptions and
/// the share's value everywhere (the reserve's feed included); deposits and mints
/// pay the entry NAV, which is the same but without markdowns and with matured
/// lots at face until their series is in default: the value the bills would have
/// if every doubt were lifted. The entry NAV is never below the exit NAV, and the
/// two are equal in the common case (no markdown, no short pool). Every event that
/// can move the NAV up at once (a markdown lowered or lifted, a short pool cured,
/// a marked-down bill maturing at face) moves the exit NAV toward the entry NAV,
/// never above it, and the entry NAV moves only with accretion and cash; so
/// depositing before such an event and redeeming after it pays the gap, not takes
/// it. Events that move the NAV down (a markdown set or raised, a pool found short
/// at maturity, a default) price the round trip lower on the way out. Why this and
/// not a ramped NAV or forward pricing: a ramp only stretches the window in which
/// the jump can be bought, and forward pricing makes every deposit asynchronous;
/// the spread costs nothing unless a markdown or a shortfall is in force, and then
/// it charges the newcomer, not the holders who carry the doubtful bill.
///
/// Donations: idle cash is the vault's balance, so a donation raises both NAVs, a
/// gift to the holders of the moment that takes value from no one but the donor;
/// OpenZeppelin's virtual shares (offset 6) make the first-depositor inflation
/// attack cost the attacker nearly all of the donation (see the test). A cash
/// token that delivers less than asked (fee on transfer) is refused.
///
/// Matured lots are valued as their series pays (face from a full pool; a short
/// pool's pro-rata share from maturity on, in the exit NAV), so the vault's
/// holders bear a shortfall exactly as every other holder of the bill does.
contract TBillVault is ERC4626, AccessManaged, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    // ================================================================ errors

    /// @dev `account` is not on the KYC allowlist.
    error VaultNotAllowlisted(address account);
    /// @dev `account` is frozen on the AML freeze list.
    error VaultAccountFrozen(address account);
    /// @dev The operation is paused (`flag`: 1 deposits, 2 withdrawals).
    error VaultPaused(uint8 flag);
    /// @dev Idle cash `available` is short of `requested`; the next bill matures at `nextMaturity` (0: none).
    error VaultInsufficientIdleCash(uint256 requested, uint256 available, uint256 nextMaturity);
    /// @dev `series` is not a series of the registry.
    error VaultUnknownSeries(address series);
    /// @dev Buying would pay `cost` for `face`: a premium (or zero discount) purchase.
    error VaultNotADiscount(uint256 cost, uint256 face);
    /// @dev The bill matures too soon (`maturity`) to be bought at `nowTs`.
    error VaultMaturityTooClose(uint256 maturity, uint256 nowTs);
    /// @dev The vault holds `max` lots already.
    error VaultTooManyLots(uint256 max);
    /// @dev The cash token delivered `received` instead of `expected`.
    error VaultCashDeliveryMismatch(uint256 expected, uint256 received);
    /// @dev A markdown above `max` basis points.
    error VaultMarkdownOutOfBounds(uint256 markdownBps, uint256 max);
    /// @dev `series` is marked down by `markdownBps`: the vault does not buy more of it.
    error VaultSeriesMarkedDown(address series, uint256 markdownBps);
    /// @dev No matured lot at `index`.
    error VaultNoMaturedLot(uint256 index);
    /// @dev Invalid pause flags.
    error VaultInvalidPauseFlags(uint8 flags);

    // ================================================================ events

    /// @notice The vault bought `amount` of `series` for `cost` cash (face `face`).
    event BillBought(address indexed series, uint256 amount, uint256 cost, uint256 face, uint256 maturity);
    /// @notice A lot of `series` matured and left the accruing set.
    event LotMatured(address indexed series, uint256 amount, uint256 face);
    /// @notice The vault redeemed `amount` of matured `series` for `payout` cash.
    event BillRedeemed(address indexed series, uint256 amount, uint256 payout);
    /// @notice `series` was marked down by `markdownBps` below its accreted value.
    event MarkdownSet(address indexed series, uint256 markdownBps);
    /// @notice `account` was added to (true) or removed from (false) the KYC allowlist.
    event AllowlistSet(address indexed account, bool allowed, bytes32 indexed kycRef);
    /// @notice The deposit cap changed.
    event DepositCapSet(uint256 cap);
    /// @notice The pauses in `flags` were switched on by `by`.
    event Paused(uint8 flags, address indexed by);
    /// @notice The pauses in `flags` were switched off by `by`.
    event Unpaused(uint8 flags, address indexed by);

    // ================================================================ constants

    uint256 private constant BPS = 10_000;
    /// @dev Blocks deposits and mints.
    uint8 public constant PAUSE_DEPOSIT = 1;
    /// @dev Blocks withdrawals and redemptions.
    uint8 public constant PAUSE_WITHDRAW = 2;
    /// @dev Bounds every valuation loop (and the `make bench` ladder of 50).
    uint256 public constant MAX_LOTS = 64;
    /// @dev A reporter may mark a bill down by at most half; a deeper loss is a default.
    uint256 public constant MAX_MARKDOWN_BPS = 5_000;
    /// @dev A bill bought less than a day before maturity is cash in all but name.
    uint256 public constant MIN_TIME_TO_MATURITY = 1 days;

    // ================================================================ storage

    struct Lot {
        TBillSeries series;
        uint40 maturity; // [unix seconds]
        uint40 purchasedAt; // [unix seconds]
        uint16 markdownBps; // [bps] below accreted value
        uint128 amount; // [series token units]
        uint128 face; // [cash] amount × faceValue, rounded down
        uint128 cost; // [cash] what the vault paid
        uint256 rate; // [cash·S per second] (face − cost)·S / (maturity − purchasedAt)
    }

    /// @notice The series registry (only its series may be bought).
    TBillRegistry public immutable registry;
    /// @notice The AML freeze list (the stablecoin's), shared with the stablecoin.
    IFreezeList public immutable freezeList;

    /// @notice S: cost·S is an 18-decimal amount of cash (10**(18 − cash decimals)).
    uint256 public immutable scale;

    // One slot: everything a deposit reads besides the accrual base. The rate
    // fits 128 bits for any ladder below ~2.9e25 whole cash units of face.
    uint128 private _accrualRate; // sum of rate, before markdowns [cash·S per second]
    uint40 private _nextMaturity; // maturity of _accruing[_head], or type(uint40).max
    /// @notice Active pauses (PAUSE_DEPOSIT | PAUSE_WITHDRAW).
    uint8 public pausedFlags;
    bool private _capped; // whether depositCap applies (read only then)
    uint32 private _head; // _accruing[_head..] are the accruing lots, by maturity
    bool private _hasMatured; // _matured is not empty (spares a cold read of its length)
    uint16 private _markedLots; // accruing lots under a markdown (the deduction is read only then)

    int256 private _accrualBase; // sum of cost·S − rate·purchasedAt, before markdowns [cash·S]
    int256 private _markdownBase; // sum of (cost − cost')·S − (rate − rate')·purchasedAt [cash·S]
    uint256 private _markdownRate; // sum of rate − rate' [cash·S per second]
    Lot[] private _accruing;
    Lot[] private _matured;

    /// @notice Whether `account` passed KYC and may deposit, receive or hold shares.
    mapping(address account => bool) public isAllowlisted;
    /// @notice The markdown per series [bps], applied to every lot of it.
    mapping(address series => uint16) public markdownBps;
    /// @notice The most cash the vault accepts in total [cash units], when {capped}.
    uint256 public depositCap;

    constructor(
        address authority,
        IERC20 cash,
        TBillRegistry registry_,
        IFreezeList freezeList_,
        string memory name_,
        string memory symbol_
    ) ERC4626(cash) ERC20(name_, symbol_) AccessManaged(authority) {
        registry = registry_;
        freezeList = freezeList_;
        _nextMaturity = type(uint40).max;
        scale = 10 ** (18 - IERC20Metadata(address(cash)).decimals());
    }

    // ================================================================ NAV

    /// @notice The (exit) NAV in cash units (see the contract doc), rounded down.
    function totalAssets() public view override returns (uint256 nav) {
        (nav,,) = _nav();
    }

    /// @notice The entry NAV that deposits and mints pay (see the contract doc), rounded down.
    function entryAssets() public view returns (uint256 entryNav) {
        (, entryNav,) = _nav();
    }

    /// @dev The accruing aggregates as of now: before markdowns, and the markdowns' deduction.
    struct Accrual {
        int256 base;
        uint256 rate;
        int256 markdownBase;
        uint256 markdownRate;
    }

    /// @dev The exit and entry NAVs and, within them, the idle cash (so callers need not read it twice).
    function _nav() private view returns (uint256 exitNav, uint256 entryNav, uint256 idle) {
        idle = idleCash();
        Accrual memory a = Accrual(_accrualBase, _accrualRate, 0, 0);
        if (_markedLots != 0) (a.markdownBase, a.markdownRate) = (_markdownBase, _markdownRate);
        uint256 maturedExit;
        uint256 maturedEntry;
        if (block.timestamp >= _nextMaturity) (maturedExit, maturedEntry) = _pendingMaturities(a);
        if (_hasMatured) {
            for (uint256 i; i < _matured.length; ++i) {
                (uint256 exitValue, uint256 entryValue) = _maturedValues(_matured[i]);
                maturedExit += exitValue;
                maturedEntry += entryValue;
            }
        }
        int256 grossNow = a.base + int256(a.rate * block.timestamp);
        // Both sums are of non-negative lot contributions, so both are >= 0.
        entryNav = idle + uint256(grossNow) / scale + maturedEntry;
        exitNav = idle + uint256(grossNow - a.markdownBase - int256(a.markdownRate * block.timestamp)) / scale
            + maturedExit;
    }

    /// @inheritdoc ERC4626
    /// @dev At the entry NAV.
    function previewDeposit(uint256 assets) public view override returns (uint256) {
        return _toShares(assets, entryAssets(), Math.Rounding.Floor);
    }

    /// @inheritdoc ERC4626
    /// @dev At the entry NAV.
    function previewMint(uint256 shares) public view override returns (uint256) {
        return _toAssets(shares, entryAssets(), Math.Rounding.Ceil);
    }

    /// @notice Cash held idle by the vault (its balance) [cash units].
    function idleCash() public view returns (uint256) {
        return IERC20(asset()).balanceOf(address(this));
    }

    /// @notice The maturity of the next accruing bill, or 0 when none is held.
    function nextMaturity() public view returns (uint256) {
        for (uint256 j = _head; j < _accruing.length; ++j) {
            if (_accruing[j].maturity > block.timestamp) return _accruing[j].maturity;
        }
        return 0;
    }

    /// @notice Every lot still accruing (including ones whose maturity passed since the last transaction).
    function accruingLots() external view returns (Lot[] memory lots) {
        lots = new Lot[](_accruing.length - _head);
        for (uint256 j = _head; j < _accruing.length; ++j) {
            lots[j - _head] = _accruing[j];
        }
    }

    /// @notice Every matured lot not yet redeemed (as of the last transaction).
    function maturedLots() external view returns (Lot[] memory) {
        return _matured;
    }

    /// @notice The value of one lot now, as counted in the (exit) NAV.
    function lotValue(Lot memory lot) public view returns (uint256) {
        if (block.timestamp >= lot.maturity) return lot.series.redemptionValue(lot.amount);
        (uint256 c, uint256 r) = _marked(lot);
        return (c * scale + r * (block.timestamp - lot.purchasedAt)) / scale;
    }

    // ================================================================ manager

    /// @notice Buy `amount` of `series` at its open auction, paying at most `maxPrice` per whole token.
    /// @dev Caller: the vault-manager role. Pays from idle cash. Emits {BillBought}.
    /// Reverts with {VaultSeriesMarkedDown} for a series under a markdown: the lot
    /// would be paid at the auction price and valued at once below it, moving
    /// holders' value to the auction's proceeds (the treasury).
    function buy(TBillSeries series, uint256 amount, uint256 maxPrice) external restricted nonReentrant {
        if (!registry.isSeries(address(series))) revert VaultUnknownSeries(address(series));
        uint16 markdown = markdownBps[address(series)];
        if (markdown != 0) revert VaultSeriesMarkedDown(address(series), markdown);
        _sync();
        uint256 maturity = series.maturity();
        if (maturity < block.timestamp + MIN_TIME_TO_MATURITY) {
            revert VaultMaturityTooClose(maturity, block.timestamp);
        }
        if (_accruing.length - _head + _matured.length >= MAX_LOTS) revert VaultTooManyLots(MAX_LOTS);
        uint256 cost = series.quote(amount);
        if (cost > idleCash()) revert VaultInsufficientIdleCash(cost, idleCash(), nextMaturity());
        uint256 face = Math.mulDiv(amount, series.faceValue(), 10 ** series.decimals());
        if (cost >= face) revert VaultNotADiscount(cost, face);

        IERC20 cash = IERC20(asset());
        uint256 cashBefore = cash.balanceOf(address(this));
        uint256 billsBefore = series.balanceOf(address(this));
        cash.forceApprove(address(series), cost);
        uint256 paid = series.buy(amount, maxPrice);
        // Trust nothing the series says: check what actually moved.
        if (cashBefore - cash.balanceOf(address(this)) != cost || paid != cost) {
            revert VaultCashDeliveryMismatch(cost, cashBefore - cash.balanceOf(address(this)));
        }
        if (series.balanceOf(address(this)) - billsBefore != amount) {
            revert VaultCashDeliveryMismatch(amount, series.balanceOf(address(this)) - billsBefore);
        }

        Lot memory lot = Lot({
            series: series,
            maturity: uint40(maturity),
            purchasedAt: uint40(block.timestamp),
            markdownBps: 0, // a marked-down series is refused above
            amount: uint128(amount),
            face: uint128(face),
            cost: uint128(cost),
            rate: Math.mulDiv(face - cost, scale, maturity - block.timestamp)
        });
        _insertAccruing(lot);
        emit BillBought(address(series), amount, cost, face, maturity);
    }

    /// @notice Redeem the matured lot at `index` of {maturedLots} at its series.
    /// @dev Caller: the vault-manager role. Paid as the series pays every holder:
    /// face, or pro rata after the grace period of a short pool; reverts with the
    /// series' {TBillSeries-TBillRepaymentShort} during that grace period. Emits {BillRedeemed}.
    function redeemMatured(uint256 index) external restricted nonReentrant {
        _sync();
        if (index >= _matured.length) revert VaultNoMaturedLot(index);
        Lot memory lot = _matured[index];
        _matured[index] = _matured[_matured.length - 1];
        _matured.pop();
        _hasMatured = _matured.length != 0;
        IERC20 cash = IERC20(asset());
        uint256 before = cash.balanceOf(address(this));
        lot.series.redeem(lot.amount);
        uint256 payout = cash.balanceOf(address(this)) - before;
        emit BillRedeemed(address(lot.series), lot.amount, payout);
    }

    // ================================================================ reporter, compliance, governance

    /// @notice Mark every lot of `series` down by `bps` below its accreted value (0 clears it).
    /// @dev Caller: the oracle-reporter role. A haircut, never a mark-up: at most
    /// MAX_MARKDOWN_BPS. Moves the exit NAV only (see the contract doc). Emits {MarkdownSet}.
    function setMarkdown(TBillSeries series, uint16 bps) external restricted {
        if (bps > MAX_MARKDOWN_BPS) revert VaultMarkdownOutOfBounds(bps, MAX_MARKDOWN_BPS);
        _sync();
        markdownBps[address(series)] = bps;
        for (uint256 j = _head; j < _accruing.length; ++j) {
            Lot storage lot = _accruing[j];
            if (lot.series != series) continue;
            _removeMarkdown(lot);
            lot.markdownBps = bps;
            _addMarkdown(lot);
        }
        emit MarkdownSet(address(series), bps);
    }

    /// @notice Add or remove `account` on the KYC allowlist, citing `kycRef`.
    /// @dev Caller: the compliance role. Emits {AllowlistSet}.
    function setAllowlisted(address account, bool allowed, bytes32 kycRef) external restricted {
        isAllowlisted[account] = allowed;
        emit AllowlistSet(account, allowed, kycRef);
    }

    /// @notice Set the deposit cap [cash units]; type(uint256).max removes it.
    /// @dev Caller: the governor role. Emits {DepositCapSet}.
    function setDepositCap(uint256 cap) external restricted {
        depositCap = cap;
        _capped = cap != type(uint256).max;
        emit DepositCapSet(cap);
    }

    /// @notice Switch on pauses. @dev Caller: the guardian role. Emits {Paused}.
    function pause(uint8 flags) external restricted {
        _checkFlags(flags);
        pausedFlags |= flags;
        emit Paused(flags, msg.sender);
    }

    /// @notice Switch off pauses. @dev Caller: the governor role. Emits {Unpaused}.
    function unpause(uint8 flags) external restricted {
        _checkFlags(flags);
        pausedFlags &= ~flags;
        emit Unpaused(flags, msg.sender);
    }

    /// @notice Move lots whose maturity passed into the matured set (anyone; also done by every transaction).
    function sync() external nonReentrant {
        _sync();
    }

    // ================================================================ ERC-4626 limits

    /// @inheritdoc ERC4626
    /// @dev Zero while deposits are paused or `receiver` is not allowlisted or is frozen.
    function maxDeposit(address receiver) public view override returns (uint256) {
        if (pausedFlags & PAUSE_DEPOSIT != 0 || !_canHold(receiver)) return 0;
        if (!_capped) return type(uint256).max; // no cap: skip the NAV
        uint256 nav = totalAssets();
        return depositCap > nav ? depositCap - nav : 0;
    }

    /// @inheritdoc ERC4626
    /// @dev Shares at the entry NAV.
    function maxMint(address receiver) public view override returns (uint256) {
        uint256 assets = maxDeposit(receiver);
        if (assets == type(uint256).max) return type(uint256).max;
        return _toShares(assets, entryAssets(), Math.Rounding.Floor);
    }

    /// @inheritdoc ERC4626
    /// @dev Limited by idle cash: bills are not sold before maturity.
    function maxWithdraw(address owner) public view override returns (uint256) {
        if (pausedFlags & PAUSE_WITHDRAW != 0 || freezeList.frozen(owner)) return 0;
        return Math.min(super.maxWithdraw(owner), idleCash());
    }

    /// @inheritdoc ERC4626
    function maxRedeem(address owner) public view override returns (uint256) {
        if (pausedFlags & PAUSE_WITHDRAW != 0 || freezeList.frozen(owner)) return 0;
        return Math.min(balanceOf(owner), _convertToShares(idleCash(), Math.Rounding.Floor));
    }

    // The four entry points below follow OpenZeppelin's flow (limit, preview,
    // _deposit/_withdraw) but compute the NAV once and check each party once:
    // the NAV is the expensive part, and the generic limit errors would not say
    // why (pause, allowlist, freeze, idle cash). nonReentrant: a cash token that
    // calls back mid-transfer finds every entry point closed.

    /// @inheritdoc ERC4626
    /// @dev Priced at the entry NAV.
    function deposit(uint256 assets, address receiver) public override nonReentrant returns (uint256 shares) {
        (, uint256 entryNav, uint256 idle) = _checkDepositPath(receiver, assets, false);
        shares = _toShares(assets, entryNav, Math.Rounding.Floor);
        _depositChecked(receiver, assets, shares, idle);
    }

    /// @inheritdoc ERC4626
    /// @dev Priced at the entry NAV.
    function mint(uint256 shares, address receiver) public override nonReentrant returns (uint256 assets) {
        (uint256 nav, uint256 entryNav, uint256 idle) = _checkDepositPath(receiver, 0, true);
        assets = _toAssets(shares, entryNav, Math.Rounding.Ceil);
        _checkCap(receiver, nav, assets);
        _depositChecked(receiver, assets, shares, idle);
    }

    /// @inheritdoc ERC4626
    /// @dev Names idle cash and the next maturity when idle cash is short.
    function withdraw(uint256 assets, address receiver, address owner) public override nonReentrant returns (uint256 shares) {
        uint256 nav = _checkWithdrawPath(owner, receiver);
        uint256 maxAssets = _toAssets(balanceOf(owner), nav, Math.Rounding.Floor);
        if (assets > maxAssets) revert ERC4626ExceededMaxWithdraw(owner, assets, maxAssets);
        _checkIdle(assets);
        shares = _toShares(assets, nav, Math.Rounding.Ceil);
        _withdraw(msg.sender, receiver, owner, assets, shares);
    }

    /// @inheritdoc ERC4626
    function redeem(uint256 shares, address receiver, address owner) public override nonReentrant returns (uint256 assets) {
        uint256 nav = _checkWithdrawPath(owner, receiver);
        uint256 maxShares = balanceOf(owner);
        if (shares > maxShares) revert ERC4626ExceededMaxRedeem(owner, shares, maxShares);
        assets = _toAssets(shares, nav, Math.Rounding.Floor);
        _checkIdle(assets);
        _withdraw(msg.sender, receiver, owner, assets, shares);
    }

    // ================================================================ ERC-4626 / ERC-20 hooks

    /// @dev Virtual shares and assets (OpenZeppelin): with internal idle accounting
    /// this makes a first-depositor donation attack cost the attacker, not the victim.
    function _decimalsOffset() internal pure override returns (uint8) {
        return 6;
    }

    /// @dev OpenZeppelin's _deposit (pull the cash, mint, emit), then the delivery
    /// check: a cash token that delivers less than asked (fee on transfer) is
    /// refused, so shares are never minted for cash not received. Deposits and
    /// withdrawals do not move matured lots (views value them correctly anyway);
    /// manager operations and {sync} do.
    function _depositChecked(address receiver, uint256 assets, uint256 shares, uint256 idleBefore) private {
        _deposit(msg.sender, receiver, assets, shares);
        uint256 received = idleCash() - idleBefore;
        if (received != assets) revert VaultCashDeliveryMismatch(assets, received);
    }

    /// @dev Share transfers: a frozen account cannot move shares, and only
    /// allowlisted, unfrozen accounts may receive them. Mints and burns are checked
    /// once, in the entry points above.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            if (freezeList.frozen(from)) revert VaultAccountFrozen(from);
            _requireCanHold(to);
        }
        super._update(from, to, value);
    }

    /// @dev As on the stablecoin, a frozen account neither grants nor receives an
    /// allowance (`approve`: `emitEvent` is true only there; the spending path below
    /// lowers allowances with it false)...
    function _approve(address owner, address spender, uint256 value, bool emitEvent) internal override {
        if (emitEvent) {
            if (freezeList.frozen(owner)) revert VaultAccountFrozen(owner);
            if (freezeList.frozen(spender)) revert VaultAccountFrozen(spender);
        }
        super._approve(owner, spender, value, emitEvent);
    }

    /// @dev ...nor spends one (transferFrom, and withdraw or redeem for an owner),
    /// infinite allowances included, which OpenZeppelin spends without `_approve`.
    function _spendAllowance(address owner, address spender, uint256 value) internal override {
        if (freezeList.frozen(spender)) revert VaultAccountFrozen(spender);
        super._spendAllowance(owner, spender, value);
    }

    // ================================================================ internals

    /// @dev Pause, allowlist and freeze of the caller and receiver; the cap for a
    /// deposit of `assets` (mint checks it after pricing). Returns both NAVs and idle cash.
    function _checkDepositPath(address receiver, uint256 assets, bool isMint)
        private
        view
        returns (uint256 nav, uint256 entryNav, uint256 idle)
    {
        if (pausedFlags & PAUSE_DEPOSIT != 0) revert VaultPaused(PAUSE_DEPOSIT);
        _requireCanHold(receiver);
        if (msg.sender != receiver) _requireCanHold(msg.sender);
        (nav, entryNav, idle) = _nav();
        if (!isMint) _checkCap(receiver, nav, assets);
    }

    function _checkCap(address receiver, uint256 nav, uint256 assets) private view {
        if (!_capped) return;
        uint256 room = depositCap > nav ? depositCap - nav : 0;
        if (assets > room) revert ERC4626ExceededMaxDeposit(receiver, assets, room);
    }

    /// @dev Pause and freeze of owner, caller and receiver. Returns the NAV.
    function _checkWithdrawPath(address owner, address receiver) private view returns (uint256) {
        if (pausedFlags & PAUSE_WITHDRAW != 0) revert VaultPaused(PAUSE_WITHDRAW);
        if (freezeList.frozen(owner)) revert VaultAccountFrozen(owner);
        if (msg.sender != owner && freezeList.frozen(msg.sender)) revert VaultAccountFrozen(msg.sender);
        if (receiver != owner && freezeList.frozen(receiver)) revert VaultAccountFrozen(receiver);
        return totalAssets();
    }

    function _checkIdle(uint256 assets) private view {
        uint256 idle = idleCash();
        if (assets > idle) revert VaultInsufficientIdleCash(assets, idle, nextMaturity());
    }

    /// @dev OpenZeppelin's conversions with the NAV passed in (computed once per call).
    function _toShares(uint256 assets, uint256 nav, Math.Rounding rounding) private view returns (uint256) {
        return Math.mulDiv(assets, totalSupply() + 10 ** _decimalsOffset(), nav + 1, rounding);
    }

    function _toAssets(uint256 shares, uint256 nav, Math.Rounding rounding) private view returns (uint256) {
        return Math.mulDiv(shares, nav + 1, totalSupply() + 10 ** _decimalsOffset(), rounding);
    }

    function _canHold(address account) private view returns (bool) {
        return isAllowlisted[account] && !freezeList.frozen(account);
    }

    function _requireCanHold(address account) private view {
        if (!isAllowlisted[account]) revert VaultNotAllowlisted(account);
        if (freezeList.frozen(account)) revert VaultAccountFrozen(account);
    }

    /// @dev The lot's cost and rate after its markdown, rounded down.
    function _marked(Lot memory lot) private pure returns (uint256 cost, uint256 rate) {
        uint256 keep = BPS - lot.markdownBps;
        return (Math.mulDiv(lot.cost, keep, BPS), Math.mulDiv(lot.rate, keep, BPS));
    }

    /// @dev A matured lot's exit value (what its series pays every holder now: face
    /// from a full pool, else the pro-rata share) and entry value (face until the
    /// series is in default).
    function _maturedValues(Lot memory lot) private view returns (uint256 exitValue, uint256 entryValue) {
        exitValue = lot.series.redemptionValue(lot.amount);
        entryValue = lot.series.defaulted() ? exitValue : lot.face;
    }

    /// @dev What {_sync} would do, without writing: takes the newly matured lots out
    /// of the aggregates `a` and returns their matured values.
    function _pendingMaturities(Accrual memory a) private view returns (uint256 exitValue, uint256 entryValue) {
        for (uint256 j = _head; j < _accruing.length && _accruing[j].maturity <= block.timestamp; ++j) {
            Lot memory lot = _accruing[j];
            a.base -= int256(lot.cost * scale) - int256(lot.rate * lot.purchasedAt);
            a.rate -= lot.rate;
            if (lot.markdownBps != 0) {
                (uint256 dc, uint256 dr) = _deduction(lot);
                a.markdownBase -= int256(dc * scale) - int256(dr * lot.purchasedAt);
                a.markdownRate -= dr;
            }
            (uint256 e, uint256 n) = _maturedValues(lot);
            exitValue += e;
            entryValue += n;
        }
    }

    function _sync() private {
        if (block.timestamp < _nextMaturity) return;
        uint256 j = _head;
        uint256 n = _accruing.length;
        for (; j < n && _accruing[j].maturity <= block.timestamp; ++j) {
            Lot memory lot = _accruing[j];
            _removeAccrual(lot);
            _matured.push(lot);
            _hasMatured = true;
            delete _accruing[j];
            emit LotMatured(address(lot.series), lot.amount, lot.face);
        }
        // The array only grows (bounded by the lots ever bought); entries before
        // _head are deleted and never read again.
        _head = uint32(j);
        _nextMaturity = j == n ? type(uint40).max : _accruing[j].maturity;
    }

    /// @dev Insert keeping _accruing[_head..] sorted by maturity (a manager operation: the shift is bounded by MAX_LOTS).
    function _insertAccruing(Lot memory lot) private {
        _accruing.push(lot);
        uint256 i = _accruing.length - 1;
        while (i > _head && _accruing[i - 1].maturity > lot.maturity) {
            _accruing[i] = _accruing[i - 1];
            --i;
        }
        _accruing[i] = lot;
        _addAccrual(lot);
        _nextMaturity = _accruing[_head].maturity;
    }

    /// @dev The part of the lot's cost and rate its markdown takes away.
    function _deduction(Lot memory lot) private pure returns (uint256 cost, uint256 rate) {
        (uint256 c, uint256 r) = _marked(lot);
        return (lot.cost - c, lot.rate - r);
    }

    /// @dev A new lot joins the aggregates before markdowns (bought unmarked).
    function _addAccrual(Lot memory lot) private {
        _accrualBase += int256(uint256(lot.cost) * scale) - int256(lot.rate * lot.purchasedAt);
        _accrualRate += lot.rate.toUint128();
    }

    /// @dev A lot leaves every aggregate (it matured).
    function _removeAccrual(Lot memory lot) private {
        _accrualBase -= int256(uint256(lot.cost) * scale) - int256(lot.rate * lot.purchasedAt);
        _accrualRate -= uint128(lot.rate); // added with the same value before
        _removeMarkdown(lot);
    }

    function _addMarkdown(Lot memory lot) private {
        if (lot.markdownBps == 0) return;
        (uint256 dc, uint256 dr) = _deduction(lot);
        _markdownBase += int256(dc * scale) - int256(dr * lot.purchasedAt);
        _markdownRate += dr;
        ++_markedLots; // at most MAX_LOTS
    }

    function _removeMarkdown(Lot memory lot) private {
        if (lot.markdownBps == 0) return;
        (uint256 dc, uint256 dr) = _deduction(lot);
        _markdownBase -= int256(dc * scale) - int256(dr * lot.purchasedAt);
        _markdownRate -= dr; // added with the same value before
        --_markedLots;
    }

    function _checkFlags(uint8 flags) private pure {
        if (flags == 0 || flags & ~(PAUSE_DEPOSIT | PAUSE_WITHDRAW) != 0) revert VaultInvalidPauseFlags(flags);
    }
}
