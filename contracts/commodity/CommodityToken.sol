// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {FxConvertedFeed} from "../oracle/FxConvertedFeed.sol";
import {ProgramCeilings} from "../program/ProgramCeilings.sol";
import {ReserveAttestations} from "./ReserveAttestations.sol";

/// @title CommodityToken
/// @notice One token per commodity (fine gold, a crude grade, ...), in a named unit.
/// Tokens exist only for attested lots: each mint names lots of the live
/// attestation's lot list, proven against its Merkle root, and mints exactly their
/// quantities, each lot once ever. Holders redeem in kind, whole lots only: the
/// lots' tokens (plus a bounded fee) are held from the request and burned when the
/// custodian confirms delivery.
/// @dev Supply never exceeds the backing, checked with the mint included (TrueUSD's
/// check before the mint let one mint overshoot). The backing is the live
/// statement's total less what was delivered since its as-of: a delivered lot has
/// left the vault even while the statement still lists it. A lot is identified by
/// its serial alone, which must name it whatever vault holds it (refiner and bar
/// number, a warehouse-receipt id): once minted it can never be minted again, not
/// after a move to another custodian, not after delivery. Every mint is recorded
/// at book value, in the peg currency at the price times the spot FX rate (no
/// closed-market cut, no lag: a legal ceiling must not be passed by choosing
/// when to mint), against the program ceiling of the token's asset class.
/// Delivery: a request names whole lots of one custodian; that custodian's
/// registered account accepts it (from then on the holder can no longer cancel:
/// the metal may be on its way), then confirms delivery (the tokens burn) or
/// rejects it (they return). A request never accepted can be cancelled by its
/// holder after DELIVERY_TIMEOUT.
contract CommodityToken is ERC20, AccessManaged, ReentrancyGuard {
    using Checkpoints for Checkpoints.Trace208;

    /// @notice One lot of the custodian's list: a bar, a tank's batch, a warehouse
    /// receipt. Text fields are bytes32 (left-aligned ASCII).
    struct Lot {
        bytes32 serial; // bar number or warehouse-receipt id
        bytes32 custodian;
        bytes32 location;
        bytes32 grade; // purity (e.g. "999.9") or grade (e.g. "Brent")
        uint256 quantity; // in token units
    }

    enum LotState {
        None,
        Minted,
        Requested,
        Delivered
    }

    enum RequestState {
        None,
        Open,
        Accepted,
        Delivered,
        Cancelled
    }

    struct Request {
        address holder;
        uint64 requestedAt;
        RequestState state;
        bytes32 custodian;
        uint256 quantity;
        uint256 fee;
        bytes32[] lots;
    }

    uint256 private constant BPS = 10_000;
    /// @dev 1%: delivery in kind is a right of holders, not a source of revenue.
    uint16 public constant MAX_DELIVERY_FEE_BPS = 100;
    /// @notice After this long without delivery a holder may cancel and get its tokens back.
    uint64 public constant DELIVERY_TIMEOUT = 30 days;
    /// @dev Bounds the gas of a mint or a request.
    uint256 public constant MAX_LOTS_PER_CALL = 64;

    ReserveAttestations public immutable attestations;
    ProgramCeilings public immutable ceilings;
    /// @notice The price of one whole token in the peg currency (FX included).
    FxConvertedFeed public immutable priceFeed;
    /// @notice The program ceiling's class, e.g. "METALS".
    bytes32 public immutable assetClass;
    /// @notice The unit one whole token is, e.g. "troy ounce of fine gold".
    string public unit;
    uint8 private immutable _decimals;
    /// @notice The oldest price a mint accepts for its book value [seconds].
    uint32 public immutable priceHeartbeat;

    uint16 public deliveryFeeBps;
    address public feeRecipient;
    /// @notice The book value of the supply [peg currency, wad].
    uint256 public bookValue;
    uint256 public requestCount;

    /// @dev A lot's state and quantity share one slot: a mint writes two slots per lot
    /// (this and its custodian), not three.
    struct LotRecord {
        LotState state;
        uint248 quantity;
    }

    mapping(bytes32 lotKey => LotRecord) private _lots;
    mapping(bytes32 lotKey => bytes32) public lotCustodian;
    /// @notice The account that speaks for custodian `custodian` (its lots' deliveries).
    mapping(bytes32 custodian => address) public custodianAccount;
    mapping(uint256 requestId => Request) private _requests;
    /// @dev Cumulative quantity delivered, by time: what left the vaults since a
    /// statement's as-of.
    Checkpoints.Trace208 private _delivered;

    error CommodityNoLiveAttestation(uint64 expiresAt, uint256 nowTs);
    error CommodityBadProof();
    error CommodityLotNotMintable(bytes32 lotKey, LotState state);
    error CommodityExceedsAttested(uint256 supplyAfter, uint256 attested);
    error CommodityNoLots(uint256 count, uint256 max);
    error CommodityZeroQuantity(bytes32 lotKey);
    error CommodityQuantityTooLarge(bytes32 lotKey, uint256 quantity);
    error CommodityNoPrice(int256 answer, uint256 updatedAt);
    error CommodityLotNotDeliverable(bytes32 lotKey, LotState state);
    error CommodityRequestNotOpen(uint256 requestId, RequestState state);
    error CommodityNotHolder(uint256 requestId, address holder, address caller);
    error CommodityTooEarlyToCancel(uint256 requestId, uint256 allowedAt, uint256 nowTs);
    error CommodityFeeOutOfBounds(uint256 feeBps, uint256 max);
    error CommodityInvalidAddress(address account);
    error CommodityMixedCustodians(bytes32 lotKey, bytes32 custodian, bytes32 requestCustodian);
    error CommodityNotCustodian(uint256 requestId, bytes32 custodian, address caller);

    event LotMinted(bytes32 indexed lotKey, address indexed to, uint256 quantity, bytes32 serial, bytes32 custodian);
    event Minted(address indexed to, uint256 quantity, uint256 lots, uint256 bookValueWad, uint64 attestationNonce);
    event DeliveryRequested(uint256 indexed requestId, address indexed holder, uint256 quantity, uint256 fee, bytes32[] lots);
    event DeliveryConfirmed(uint256 indexed requestId, address indexed holder, uint256 quantity, bytes32 deliveryRef);
    event DeliveryCancelled(uint256 indexed requestId, address indexed holder, address by, bytes32 reason);
    event DeliveryFeeSet(uint16 feeBps, address recipient);
    event DeliveryAccepted(uint256 indexed requestId, bytes32 indexed custodian);
    event CustodianAccountSet(bytes32 indexed custodian, address account);

    constructor(
        string memory name_,
        string memory symbol_,
        string memory unit_,
        uint8 decimals_,
        bytes32 assetClass_,
        address authority,
        ReserveAttestations attestations_,
        ProgramCeilings ceilings_,
        FxConvertedFeed priceFeed_,
        uint32 priceHeartbeat_
    ) ERC20(name_, symbol_) AccessManaged(authority) {
        if (address(attestations_) == address(0)) revert CommodityInvalidAddress(address(attestations_));
        if (address(ceilings_) == address(0)) revert CommodityInvalidAddress(address(ceilings_));
        if (address(priceFeed_) == address(0)) revert CommodityInvalidAddress(address(priceFeed_));
        unit = unit_;
        _decimals = decimals_;
        assetClass = assetClass_;
        attestations = attestations_;
        ceilings = ceilings_;
        priceFeed = priceFeed_;
        priceHeartbeat = priceHeartbeat_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice The key of a lot: its serial, whichever custodian holds it.
    function lotKey(bytes32 serial) public pure returns (bytes32) {
        return keccak256(abi.encode(serial));
    }

    /// @notice What backs the supply now: the live statement's total less what was
    /// delivered since its as-of (0 without a live statement).
    function backing() public view returns (bool live, uint256 quantity, uint64 nonce) {
        (bool ok,, uint256 total, uint64 asOf,, uint64 n) = attestations.current(address(this));
        uint256 since = deliveredSince(asOf);
        return (ok, ok && total > since ? total - since : 0, n);
    }

    /// @notice The quantity delivered from `timestamp` on (a delivery in the same second
    /// as a statement's as-of counts as after it: the backing errs low).
    function deliveredSince(uint256 timestamp) public view returns (uint256) {
        if (timestamp == 0) return _delivered.latest();
        return _delivered.latest() - _delivered.upperLookupRecent(uint48(timestamp - 1));
    }

    /// @notice The Merkle leaf of a lot (OpenZeppelin StandardMerkleTree encoding,
    /// types bytes32 x4 and uint256).
    function leaf(Lot calldata lot) public pure returns (bytes32) {
        return keccak256(
            bytes.concat(keccak256(abi.encode(lot.serial, lot.custodian, lot.location, lot.grade, lot.quantity)))
        );
    }

    // ---------------------------------------------------------------- issuance

    /// @notice Mint the quantities of `lots` to `to`. `lots` are leaves of the live
    /// attestation's tree in the order of the multiproof (`proof`, `proofFlags`).
    /// @dev Caller: the commodity office's role. Emits {LotMinted} each and {Minted}.
    function mint(address to, Lot[] calldata lots, bytes32[] calldata proof, bool[] calldata proofFlags)
        external
        restricted
        nonReentrant
    {
        if (lots.length == 0 || lots.length > MAX_LOTS_PER_CALL) revert CommodityNoLots(lots.length, MAX_LOTS_PER_CALL);
        if (to == address(this)) revert CommodityInvalidAddress(to);
        (bytes32 root, uint256 attested, uint64 nonce) = _liveAttestation();
        (bytes32[] memory leaves, uint256 quantity) = _takeLots(to, lots);
        if (!MerkleProof.multiProofVerifyCalldata(proof, proofFlags, root, leaves)) revert CommodityBadProof();
        uint256 supplyAfter = totalSupply() + quantity;
        if (supplyAfter > attested) revert CommodityExceedsAttested(supplyAfter, attested);
        uint256 value = _valueOf(quantity);
        ceilings.recordIssue(assetClass, value);
        bookValue += value;
        _mint(to, quantity);
        emit Minted(to, quantity, lots.length, value, nonce);
    }

    // ---------------------------------------------------------------- delivery in kind

    /// @notice Ask for delivery of the whole lots `lots` (keys). Their tokens and the
    /// fee move from the caller into this contract until delivery or cancellation.
    /// @dev Caller: any holder of enough tokens. Returns the request id.
    function requestDelivery(bytes32[] calldata lots) external nonReentrant returns (uint256 requestId) {
        uint256 n = lots.length;
        if (n == 0 || n > MAX_LOTS_PER_CALL) revert CommodityNoLots(n, MAX_LOTS_PER_CALL);
        bytes32 custodian = lotCustodian[lots[0]];
        uint256 quantity;
        for (uint256 i; i < n; ++i) {
            bytes32 key = lots[i];
            LotRecord storage record = _lots[key];
            LotState state = record.state;
            if (state != LotState.Minted) revert CommodityLotNotDeliverable(key, state);
            if (lotCustodian[key] != custodian) revert CommodityMixedCustodians(key, lotCustodian[key], custodian);
            record.state = LotState.Requested;
            quantity += record.quantity;
        }
        // Rounded down: the fee never passes its bound, whatever the token's decimals.
        uint256 fee = Math.mulDiv(quantity, deliveryFeeBps, BPS);
        _transfer(msg.sender, address(this), quantity + fee);
        requestId = ++requestCount;
        _requests[requestId] =
            Request(msg.sender, uint64(block.timestamp), RequestState.Open, custodian, quantity, fee, lots);
        emit DeliveryRequested(requestId, msg.sender, quantity, fee, lots);
    }

    /// @notice The custodian takes the request on: from now on only delivery or
    /// rejection ends it. @dev Caller: the request's custodian (its account, with the
    /// custodian role).
    function acceptDelivery(uint256 requestId) external restricted {
        Request storage r = _custodianOf(requestId);
        if (r.state != RequestState.Open) revert CommodityRequestNotOpen(requestId, r.state);
        r.state = RequestState.Accepted;
        emit DeliveryAccepted(requestId, r.custodian);
    }

    /// @notice The custodian delivered: burn the lots' tokens, pay the fee, retire the
    /// book value. @dev Caller: the request's custodian. `deliveryRef`: the delivery note.
    function confirmDelivery(uint256 requestId, bytes32 deliveryRef) external restricted nonReentrant {
        Request storage r = _custodianOf(requestId);
        r.state = RequestState.Delivered;
        _delivered.push(uint48(block.timestamp), _delivered.latest() + uint208(r.quantity));
        for (uint256 i; i < r.lots.length; ++i) {
            _lots[r.lots[i]].state = LotState.Delivered;
        }
        uint256 retired = Math.mulDiv(bookValue, r.quantity, totalSupply());
        bookValue -= retired;
        ceilings.recordRetire(assetClass, retired);
        _burn(address(this), r.quantity);
        if (r.fee != 0) _transfer(address(this), feeRecipient, r.fee);
        emit DeliveryConfirmed(requestId, r.holder, r.quantity, deliveryRef);
    }

    /// @notice Cancel an open request after {DELIVERY_TIMEOUT}: tokens and fee return.
    /// @dev Caller: the request's holder.
    function cancelDelivery(uint256 requestId) external nonReentrant {
        Request storage r = _requests[requestId];
        if (r.state != RequestState.Open) revert CommodityRequestNotOpen(requestId, r.state);
        if (msg.sender != r.holder) revert CommodityNotHolder(requestId, r.holder, msg.sender);
        uint256 allowedAt = uint256(r.requestedAt) + DELIVERY_TIMEOUT;
        if (block.timestamp < allowedAt) revert CommodityTooEarlyToCancel(requestId, allowedAt, block.timestamp);
        _cancel(r, requestId, bytes32("timeout"));
    }

    /// @notice The custodian cannot deliver: tokens and fee return to the holder.
    /// @dev Caller: the request's custodian.
    function rejectDelivery(uint256 requestId, bytes32 reason) external restricted nonReentrant {
        _cancel(_custodianOf(requestId), requestId, reason);
    }

    /// @notice Register the account that speaks for `custodian`. @dev Caller: the
    /// governor role (the account must also hold the custodian role).
    function setCustodianAccount(bytes32 custodian, address account) external restricted {
        if (account == address(0) || account == address(this)) revert CommodityInvalidAddress(account);
        custodianAccount[custodian] = account;
        emit CustodianAccountSet(custodian, account);
    }

    /// @dev The token itself holds only requested lots' tokens: sending it tokens
    /// would strand them in the supply.
    function transfer(address to, uint256 value) public override returns (bool) {
        if (to == address(this)) revert CommodityInvalidAddress(to);
        return super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (to == address(this)) revert CommodityInvalidAddress(to);
        return super.transferFrom(from, to, value);
    }

    /// @notice Set the delivery fee and who receives it. @dev Caller: the governor role.
    function setDeliveryFee(uint16 feeBps, address recipient) external restricted {
        if (feeBps > MAX_DELIVERY_FEE_BPS) revert CommodityFeeOutOfBounds(feeBps, MAX_DELIVERY_FEE_BPS);
        if (recipient == address(0) || recipient == address(this)) revert CommodityInvalidAddress(recipient);
        deliveryFeeBps = feeBps;
        feeRecipient = recipient;
        emit DeliveryFeeSet(feeBps, recipient);
    }

    /// @notice A lot's state (None: never minted).
    function lotState(bytes32 key) external view returns (LotState) {
        return _lots[key].state;
    }

    /// @notice The quantity a lot was minted for.
    function lotQuantity(bytes32 key) external view returns (uint256) {
        return _lots[key].quantity;
    }

    /// @notice A delivery request.
    function request(uint256 requestId) external view returns (Request memory) {
        return _requests[requestId];
    }

    // ---------------------------------------------------------------- internals

    function _liveAttestation() private view returns (bytes32 root, uint256 attested, uint64 nonce) {
        (bool live, bytes32 r,,, uint64 expiresAt,) = attestations.current(address(this));
        if (!live) revert CommodityNoLiveAttestation(expiresAt, block.timestamp);
        (, attested, nonce) = backing();
        root = r;
    }

    /// @dev Mark each lot minted (each once ever); their leaves and total quantity.
    function _takeLots(address to, Lot[] calldata lots) private returns (bytes32[] memory leaves, uint256 quantity) {
        uint256 n = lots.length;
        leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            Lot calldata lot = lots[i];
            bytes32 key = lotKey(lot.serial);
            if (lot.quantity == 0) revert CommodityZeroQuantity(key);
            if (_lots[key].state != LotState.None) revert CommodityLotNotMintable(key, _lots[key].state);
            if (lot.quantity > type(uint128).max) revert CommodityQuantityTooLarge(key, lot.quantity);
            _lots[key] = LotRecord(LotState.Minted, uint248(lot.quantity));
            lotCustodian[key] = lot.custodian;
            leaves[i] = leaf(lot);
            quantity += lot.quantity;
            emit LotMinted(key, to, lot.quantity, lot.serial, lot.custodian);
        }
    }

    /// @dev An open or accepted request, called by its custodian's account.
    function _custodianOf(uint256 requestId) private view returns (Request storage r) {
        r = _requests[requestId];
        if (r.state != RequestState.Open && r.state != RequestState.Accepted) {
            revert CommodityRequestNotOpen(requestId, r.state);
        }
        if (msg.sender != custodianAccount[r.custodian]) revert CommodityNotCustodian(requestId, r.custodian, msg.sender);
    }

    function _cancel(Request storage r, uint256 requestId, bytes32 reason) private {
        r.state = RequestState.Cancelled;
        for (uint256 i; i < r.lots.length; ++i) {
            _lots[r.lots[i]].state = LotState.Minted;
        }
        _transfer(address(this), r.holder, r.quantity + r.fee);
        emit DeliveryCancelled(requestId, r.holder, msg.sender, reason);
    }

    /// @dev `quantity` token units at price x spot rate now [peg currency, wad]. A mint
    /// with no usable price or rate is refused: its book value could not be known.
    function _valueOf(uint256 quantity) private view returns (uint256) {
        (int256 answer, uint256 updatedAt) = priceFeed.spotValue();
        if (answer <= 0 || updatedAt == 0 || updatedAt > block.timestamp || block.timestamp - updatedAt > priceHeartbeat)
        {
            revert CommodityNoPrice(answer, updatedAt);
        }
        // quantity / 10**decimals × answer [wad]
        return Math.mulDiv(quantity, uint256(answer), 10 ** uint256(_decimals));
    }
}
