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
/// funded by the treasury. If the pool cannot repay every outstanding token at
/// maturity, anyone may mark the series in default; from then on redemptions are
/// pro rata to the pool, so no holder is paid ahead of another.
/// Units: `faceValue` and `auctionPrice` are cash units per whole token
/// (10**decimals token units); times are unix seconds.
contract TBillSeries is ERC20, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @dev The caller is not the registry.
    error TBillNotRegistry(address caller);
    /// @dev Invalid construction parameters.
    error TBillInvalidTerms();
    /// @dev `nowTs` is before the maturity `maturity`.
    error TBillNotMatured(uint256 nowTs, uint256 maturity);
    /// @dev The series has matured (no more sales).
    error TBillMatured(uint256 maturity);
    /// @dev The series cannot be sold yet (before its issue date) or no auction is open.
    error TBillAuctionClosed();
    /// @dev The auction price `price` is zero or not below face value `faceValue`.
    error TBillInvalidPrice(uint256 price, uint256 faceValue);
    /// @dev `amount` exceeds the `remaining` tokens offered.
    error TBillAuctionExhausted(uint256 amount, uint256 remaining);
    /// @dev The price `price` is above the buyer's limit `maxPrice`.
    error TBillPriceAboveLimit(uint256 price, uint256 maxPrice);
    /// @dev The pool holds `available` cash, short of the `required` repayment; see {markDefault}.
    error TBillRepaymentShort(uint256 required, uint256 available);
    /// @dev The series cannot be marked in default: `reason` 1 = before maturity, 2 = already, 3 = fully funded.
    error TBillCannotDefault(uint8 reason);
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
    /// @notice The pool could not repay `outstandingFace` at maturity; it held `pool`.
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
    /// @notice Whether the series was marked in default.
    bool public defaulted;

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
        ) revert TBillInvalidTerms();
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
        if (price == 0 || block.timestamp < issueDate) revert TBillAuctionClosed();
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
    /// @dev Caller: anyone (normally the treasury). Emits {RepaymentFunded}.
    function fundRepayment(uint256 amount) external nonReentrant {
        if (amount == 0) revert TBillZeroAmount();
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

    /// @notice What redeeming `amount` tokens pays now: face, or a pro-rata share of
    /// the pool once in default (both rounded down). Zero before maturity.
    function redemptionValue(uint256 amount) public view returns (uint256) {
        if (block.timestamp < maturity || amount == 0) return 0;
        if (defaulted) return Math.mulDiv(amount, pool(), totalSupply());
        return Math.mulDiv(amount, faceValue, 10 ** _decimals);
    }

    /// @notice Redeem `amount` of the caller's tokens for cash, from the maturity date on.
    /// @dev Before default: face value, reverting with {TBillRepaymentShort} when the
    /// pool is short (then anyone may {markDefault}). After default: pro rata. Emits {Redeemed}.
    function redeem(uint256 amount) external nonReentrant returns (uint256 payout) {
        if (block.timestamp < maturity) revert TBillNotMatured(block.timestamp, maturity);
        if (amount == 0) revert TBillZeroAmount();
        uint256 held = balanceOf(msg.sender);
        // Checked first so that a second redemption names the real reason.
        if (amount > held) revert ERC20InsufficientBalance(msg.sender, held, amount);
        payout = redemptionValue(amount);
        uint256 available = pool();
        if (payout > available) revert TBillRepaymentShort(payout, available);
        _burn(msg.sender, amount);
        emit Redeemed(msg.sender, amount, payout);
        cash.safeTransfer(msg.sender, payout);
    }

    /// @notice Mark the series in default: matured, and the pool cannot repay every outstanding token.
    /// @dev Caller: anyone. Emits {SeriesDefaulted}.
    function markDefault() external {
        if (block.timestamp < maturity) revert TBillCannotDefault(1);
        if (defaulted) revert TBillCannotDefault(2);
        uint256 owed = outstandingFace();
        uint256 available = pool();
        if (available >= owed) revert TBillCannotDefault(3);
        defaulted = true;
        emit SeriesDefaulted(owed, available, msg.sender);
    }

    /// @notice Whether the pool repays every outstanding token at face.
    function fullyFunded() public view returns (bool) {
        return pool() >= outstandingFace();
    }

    function _onlyRegistry() private view {
        if (msg.sender != registry) revert TBillNotRegistry(msg.sender);
    }
}
