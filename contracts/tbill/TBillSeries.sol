// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title TBillSeries
/// @notice One tokenized treasury-bill series: a discount instrument sold below
/// face at auction and repaid at face, in settlement cash, from its maturity on.
/// @dev Created only by the TBillRegistry, which alone opens and closes auctions.
/// Repayment comes from this contract's own cash balance (the repayment pool),
/// funded by the treasury. The rule when money runs short, so that no holder is
/// paid ahead of another, whoever redeems first:
///  - from maturity, while the pool repays every outstanding token at face, each
///    redemption pays face;
///  - while it does not, during the grace period ({GRACE_PERIOD} after maturity)
///    nobody is paid ({TBillRepaymentShort}) and the treasury may still cure it;
///  - after the grace period, a short pool is a default: the first redemption, or
///    anyone's {markDefault}, records it with the pool and supply of that moment,
///    and every redemption pays that recovery rate per token, pool/supply at
///    default (rounded down), whoever redeems first.
/// Why the rate is fixed at default and the pool closes: cash added later
/// ({fundRepayment} refuses it; a plain transfer cannot be refused) would pay those
/// still holding more than those already paid. Cash beyond what the rate owes the
/// remaining tokens goes back to the treasury ({sweepSurplus}); a recovery after a
/// default is settled off-chain.
/// Units: `faceValue` and `auctionPrice` are cash units per whole token
/// (10**decimals token units); times are unix seconds.
contract TBillSeries is ERC20, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @dev The caller is not the registry.
    error TBillNotRegistry(address caller);
    /// @dev Invalid construction parameters: a zero face value, a maturity not after
    /// the issue date, more than 18 decimals, or a zero cash token or proceeds recipient.
    error TBillInvalidTerms(
        uint256 faceValue, uint256 issueDate, uint256 maturity, uint8 decimals, address cash, address proceedsRecipient
    );
    /// @dev `nowTs` is before the maturity `maturity`.
    error TBillNotMatured(uint256 nowTs, uint256 maturity);
    /// @dev The series has matured (no more sales).
    error TBillMatured(uint256 maturity);
    /// @dev No sale at `nowTs`: no auction is open (`price` zero) or it is before the `issueDate`.
    error TBillAuctionClosed(uint256 price, uint256 nowTs, uint256 issueDate);
    /// @dev The auction price `price` is zero or not below face value `faceValue`.
    error TBillInvalidPrice(uint256 price, uint256 faceValue);
    /// @dev `amount` exceeds the `remaining` tokens offered.
    error TBillAuctionExhausted(uint256 amount, uint256 remaining);
    /// @dev The price `price` is above the buyer's limit `maxPrice`.
    error TBillPriceAboveLimit(uint256 price, uint256 maxPrice);
    /// @dev During the grace period the pool holds `available` cash, short of the
    /// `owed` face of every outstanding token; nobody is paid before `graceEnd`.
    error TBillRepaymentShort(uint256 owed, uint256 available, uint256 graceEnd);
    /// @dev A default cannot be recorded before `graceEnd` (maturity + grace period); it is `nowTs`.
    error TBillInGracePeriod(uint256 nowTs, uint256 graceEnd);
    /// @dev The series is already in default.
    error TBillAlreadyDefaulted();
    /// @dev The pool of `available` cash repays the `owed` face of every outstanding token: no default.
    error TBillFullyFunded(uint256 owed, uint256 available);
    /// @dev The series is in default: its pool takes no more cash.
    error TBillPoolClosed();
    /// @dev The series is not in default.
    error TBillNotDefaulted();
    /// @dev Redeeming `amount` tokens would pay nothing (an empty pool, or a share below one cash unit).
    error TBillNothingToPay(uint256 amount);
    /// @dev A zero amount.
    error TBillZeroAmount();

    /// @notice The series was created with these immutable terms.
    event SeriesTerms(
        string code, uint256 faceValue, uint256 issueDate, uint256 maturity, uint8 decimals, address cash
    );
    /// @notice An auction opened: `amount` tokens at `price` cash per whole token.
    event AuctionOpened(uint256 price, uint256 amount);
    /// @notice The auction closed with `unsold` tokens not sold.
    event AuctionClosed(uint256 unsold);
    /// @notice `buyer` bought `amount` tokens for `cost` cash at `price`.
    event Sold(address indexed buyer, uint256 amount, uint256 price, uint256 cost);
    /// @notice `funder` added `amount` cash to the repayment pool.
    event RepaymentFunded(address indexed funder, uint256 amount);
    /// @notice `holder` redeemed `amount` tokens for `payout` cash.
    event Redeemed(address indexed holder, uint256 amount, uint256 payout);
    /// @notice Cash beyond what the recovery rate owes the remaining tokens went back to the treasury.
    event SurplusReturned(uint256 amount);
    /// @notice After the grace period the pool could not repay `outstandingFace`; it held `pool`.
    event SeriesDefaulted(uint256 outstandingFace, uint256 pool, address indexed by);

    /// @notice ISIN-like code, e.g. "SLTB-2027-03-A" (also the token symbol).
    string public seriesCode;
    /// @notice Cash units paid per whole token at maturity.
    uint256 public immutable faceValue;
    /// @notice First moment the series may be sold [unix seconds].
    uint256 public immutable issueDate;
    /// @notice First moment the series may be redeemed at face [unix seconds].
    uint256 public immutable maturity;
    /// @notice The settlement cash token.
    IERC20 public immutable cash;
    /// @notice Where auction proceeds go (the treasury).
    address public immutable proceedsRecipient;
    /// @notice The registry that created the series.
    address public immutable registry;
    uint8 private immutable _decimals;

    /// @notice The open auction's price (cash per whole token); zero when closed.
    uint256 public auctionPrice;
    /// @notice Tokens still offered in the open auction.
    uint256 public auctionRemaining;
    /// @notice Whether the series is in default (recorded after the grace period).
    bool public defaulted;
    /// @notice The pool when the default was recorded [cash units]: with {defaultSupply},
    /// the recovery rate every token is paid at.
    uint256 public defaultPool;
    /// @notice The outstanding tokens when the default was recorded.
    uint256 public defaultSupply;

    /// @notice Three days after maturity: time for the treasury to cure an
    /// operational shortfall (a late transfer, a weekend) before a short pool
    /// becomes a default; while it runs and the pool is short, nobody is paid.
    uint256 public constant GRACE_PERIOD = 3 days;

    constructor(
        string memory code_,
        string memory name_,
        uint8 decimals_,
        uint256 faceValue_,
        uint256 issueDate_,
        uint256 maturity_,
        IERC20 cash_,
        address proceedsRecipient_
    ) ERC20(name_, code_) {
        if (
            faceValue_ == 0 || maturity_ <= issueDate_ || decimals_ > 18 || address(cash_) == address(0)
                || proceedsRecipient_ == address(0)
        ) revert TBillInvalidTerms(faceValue_, issueDate_, maturity_, decimals_, address(cash_), proceedsRecipient_);
        seriesCode = code_;
        _decimals = decimals_;
        faceValue = faceValue_;
        issueDate = issueDate_;
        maturity = maturity_;
        cash = cash_;
        proceedsRecipient = proceedsRecipient_;
        registry = msg.sender;
        emit SeriesTerms(code_, faceValue_, issueDate_, maturity_, decimals_, address(cash_));
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    // ---------------------------------------------------------------- primary issuance

    /// @notice Open (or re-price) the auction: `amount` tokens at `price` cash per whole token.
    /// @dev Caller: the registry (for the debt office). Emits {AuctionOpened}.
    function openAuction(uint256 price, uint256 amount) external {
        _onlyRegistry();
        if (block.timestamp >= maturity) revert TBillMatured(maturity);
        if (price == 0 || price >= faceValue) revert TBillInvalidPrice(price, faceValue);
        auctionPrice = price;
        auctionRemaining = amount;
        emit AuctionOpened(price, amount);
    }

    /// @notice Close the auction. @dev Caller: the registry. Emits {AuctionClosed}.
    function closeAuction() external {
        _onlyRegistry();
        emit AuctionClosed(auctionRemaining);
        auctionPrice = 0;
        auctionRemaining = 0;
    }

    /// @notice The cash `amount` tokens cost at the open auction (rounded up: the buyer pays).
    function quote(uint256 amount) public view returns (uint256) {
        return Math.mulDiv(amount, auctionPrice, 10 ** _decimals, Math.Rounding.Ceil);
    }

    /// @notice Buy `amount` tokens at the open auction, paying at most `maxPrice` per whole token.
    /// @dev Caller: anyone with cash approved to this contract. Proceeds go to the
    /// treasury. Emits {Sold}. Returns the cash paid.
    function buy(uint256 amount, uint256 maxPrice) external nonReentrant returns (uint256 cost) {
        uint256 price = auctionPrice;
        if (price == 0 || block.timestamp < issueDate) revert TBillAuctionClosed(price, block.timestamp, issueDate);
        if (block.timestamp >= maturity) revert TBillMatured(maturity);
        if (amount == 0) revert TBillZeroAmount();
        if (price > maxPrice) revert TBillPriceAboveLimit(price, maxPrice);
        if (amount > auctionRemaining) revert TBillAuctionExhausted(amount, auctionRemaining);
        cost = quote(amount);
        auctionRemaining -= amount;
        _mint(msg.sender, amount);
        emit Sold(msg.sender, amount, price, cost);
        cash.safeTransferFrom(msg.sender, proceedsRecipient, cost);
    }

    // ---------------------------------------------------------------- repayment

    /// @notice Add `amount` cash to the repayment pool (pulled from the caller).
    /// @dev Caller: anyone (normally the treasury). Refused once in default
    /// ({TBillPoolClosed}; see the contract doc). Emits {RepaymentFunded}.
    function fundRepayment(uint256 amount) external nonReentrant {
        if (amount == 0) revert TBillZeroAmount();
        if (defaulted) revert TBillPoolClosed();
        emit RepaymentFunded(msg.sender, amount);
        cash.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Cash owed for every outstanding token at face (rounded up: what is owed).
    function outstandingFace() public view returns (uint256) {
        return Math.mulDiv(totalSupply(), faceValue, 10 ** _decimals, Math.Rounding.Ceil);
    }

    /// @notice The repayment pool's cash.
    function pool() public view returns (uint256) {
        return cash.balanceOf(address(this));
    }

    /// @notice The end of the grace period [unix seconds].
    function graceEnd() public view returns (uint256) {
        return maturity + GRACE_PERIOD;
    }

    /// @notice What `amount` tokens are worth to a holder now, by the rule of the
    /// contract doc: zero before maturity; face while the pool repays every token and
    /// the series is not in default; in default, the recovery rate fixed then; before
    /// that, with a short pool, the pro-rata share of the pool (what a default now
    /// would pay, though a redemption during the grace period reverts). Rounded down.
    function redemptionValue(uint256 amount) public view returns (uint256) {
        if (block.timestamp < maturity || amount == 0) return 0;
        if (defaulted) return Math.mulDiv(amount, defaultPool, defaultSupply);
        uint256 atFace = Math.mulDiv(amount, faceValue, 10 ** _decimals);
        uint256 available = pool();
        if (available >= outstandingFace()) return atFace;
        // Short, so tokens are outstanding: totalSupply() > 0. A short pool's share
        // per token is below face.
        return Math.mulDiv(amount, available, totalSupply());
    }

    /// @notice Redeem `amount` of the caller's tokens for cash, from the maturity date on.
    /// @dev Pays {redemptionValue}: face from a full pool; during the grace period a
    /// short pool pays nobody ({TBillRepaymentShort}); after it, the first
    /// redemption from a short pool records the default ({SeriesDefaulted}) and
    /// every redemption is pro rata. Never burns tokens for nothing
    /// ({TBillNothingToPay}). Emits {Redeemed}.
    function redeem(uint256 amount) external nonReentrant returns (uint256 payout) {
        if (block.timestamp < maturity) revert TBillNotMatured(block.timestamp, maturity);
        if (amount == 0) revert TBillZeroAmount();
        uint256 held = balanceOf(msg.sender);
        // Checked first so that a second redemption names the real reason.
        if (amount > held) revert ERC20InsufficientBalance(msg.sender, held, amount);
        if (!defaulted) {
            uint256 owed = outstandingFace();
            uint256 available = pool();
            if (available < owed) {
                if (block.timestamp < graceEnd()) revert TBillRepaymentShort(owed, available, graceEnd());
                _recordDefault(owed, available);
            }
        }
        payout = redemptionValue(amount);
        if (payout == 0) revert TBillNothingToPay(amount);
        _burn(msg.sender, amount);
        emit Redeemed(msg.sender, amount, payout);
        cash.safeTransfer(msg.sender, payout);
    }

    /// @notice Record the default: the grace period is over and the pool cannot repay
    /// every outstanding token. (The first redemption from a short pool records it too.)
    /// @dev Caller: anyone. Emits {SeriesDefaulted}.
    function markDefault() external {
        if (block.timestamp < graceEnd()) revert TBillInGracePeriod(block.timestamp, graceEnd());
        if (defaulted) revert TBillAlreadyDefaulted();
        uint256 owed = outstandingFace();
        uint256 available = pool();
        if (available >= owed) revert TBillFullyFunded(owed, available);
        _recordDefault(owed, available);
    }

    /// @notice Send the treasury the cash beyond what the recovery rate owes the
    /// remaining tokens (cash that reached the pool after the default).
    /// @dev Caller: anyone; only once in default. Emits {SurplusReturned}. Returns the amount.
    function sweepSurplus() external nonReentrant returns (uint256 surplus) {
        if (!defaulted) revert TBillNotDefaulted();
        uint256 owed = Math.mulDiv(totalSupply(), defaultPool, defaultSupply, Math.Rounding.Ceil);
        uint256 available = pool();
        surplus = available > owed ? available - owed : 0;
        if (surplus == 0) revert TBillNothingToPay(0);
        emit SurplusReturned(surplus);
        cash.safeTransfer(proceedsRecipient, surplus);
    }

    /// @notice Whether the pool repays every outstanding token at face.
    function fullyFunded() public view returns (bool) {
        return pool() >= outstandingFace();
    }

    function _recordDefault(uint256 owed, uint256 available) private {
        defaulted = true;
        defaultPool = available;
        defaultSupply = totalSupply(); // > 0: a short pool owes something
        emit SeriesDefaulted(owed, available, msg.sender);
    }

    function _onlyRegistry() private view {
        if (msg.sender != registry) revert TBillNotRegistry(msg.sender);
    }
}
