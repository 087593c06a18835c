// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title ReserveAttestations
/// @notice Proof of reserve for commodity tokens: custodians and auditors sign, M of
/// N per asset, an EIP-712 statement of the lot list (a Merkle root), its total
/// quantity, when it was true (as-of) and until when it may be relied on (expiry).
/// Anyone may submit a signed statement; the signatures carry the authority.
/// @dev Replay: each statement names its asset and a nonce, one more than the last
/// accepted, and the EIP-712 domain binds it to this chain and this registry. Its
/// as-of is later than the last one's, and not in the future. Signers are listed
/// in increasing address order (no signer counts twice); a contract signer (a
/// custodian's multisig) signs by ERC-1271. Only the latest statement is stored;
/// history lives in {AttestationAccepted} events. An expired or missing statement
/// is not an error here: {current} says it is not live, and the valuation counts
/// the asset at zero (AttestedValueFeed) without reverting. The guardian can
/// suspend the live statement at once (a compromised attester, a custodian in
/// trouble); a new attester set suspends it too, since the set that signed it is
/// no longer trusted. Either way only a newer statement makes the asset count
/// again. Attesters should be distinct persons: a Safe attester whose owners are
/// attesters too would let one person count twice.
contract ReserveAttestations is AccessManaged, EIP712 {
    /// @notice What the attesters sign. `lotsRoot` is the root of OpenZeppelin's
    /// StandardMerkleTree over (serial, custodian, location, grade, quantity).
    struct Attestation {
        address asset;
        uint64 nonce;
        uint64 asOf;
        uint64 expiresAt;
        bytes32 lotsRoot;
        uint256 totalQuantity;
        uint32 lotCount;
    }

    struct Stored {
        uint64 nonce;
        uint64 asOf;
        uint64 expiresAt;
        uint32 lotCount;
        bytes32 lotsRoot;
        uint256 totalQuantity;
    }

    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "Attestation(address asset,uint64 nonce,uint64 asOf,uint64 expiresAt,bytes32 lotsRoot,uint256 totalQuantity,uint32 lotCount)"
    );
    /// @dev An attester set is small: signatures are checked one by one.
    uint256 public constant MAX_ATTESTERS = 16;
    /// @dev The longest a statement may be relied on after its as-of: a month and a
    /// few days, as monthly bar-list audits need.
    uint64 public constant MAX_VALIDITY = 35 days;

    error AttestationWrongNonce(address asset, uint64 nonce, uint64 expected);
    error AttestationNotNewer(address asset, uint64 asOf, uint64 lastAsOf);
    error AttestationBadTimes(uint64 asOf, uint64 expiresAt, uint256 nowTs);
    error AttestationEmptyRoot();
    error AttestationLengthMismatch(uint256 signers, uint256 signatures);
    error AttestationSignersNotSorted(address previous, address signer);
    error AttestationNotAttester(address asset, address signer);
    error AttestationBadSignature(address signer);
    error AttestationTooFewSigners(address asset, uint256 signers, uint256 threshold);
    error AttestationNoAttesters(address asset);
    error AttestationInvalidAttesters(address asset, uint256 count, uint256 threshold);

    event AttestersSet(address indexed asset, address[] attesters, uint256 threshold);
    event AttestationSuspended(address indexed asset, uint64 indexed nonce, bytes32 reason, address by);
    event AttestationAccepted(
        address indexed asset,
        uint64 indexed nonce,
        uint64 asOf,
        uint64 expiresAt,
        bytes32 lotsRoot,
        uint256 totalQuantity,
        uint32 lotCount,
        address[] signers
    );

    mapping(address asset => mapping(address account => bool)) public isAttester;
    mapping(address asset => address[]) private _attesters;
    mapping(address asset => uint256) public threshold;
    mapping(address asset => Stored) private _latest;
    /// @notice The nonce of `asset`'s suspended statement (0: none).
    mapping(address asset => uint64) public suspendedNonce;

    constructor(address authority) AccessManaged(authority) EIP712("Sovereign Reserve Attestations", "1") {}

    /// @notice Set `asset`'s attesters and how many of them must sign (M of N).
    /// @dev Caller: the governor role (with its delay). 1 <= M <= N <= MAX_ATTESTERS,
    /// no zero or repeated address. Replaces the previous set. Emits {AttestersSet}.
    function setAttesters(address asset, address[] calldata attesters, uint256 threshold_) external restricted {
        uint256 n = attesters.length;
        if (asset == address(0) || threshold_ == 0 || threshold_ > n || n > MAX_ATTESTERS) {
            revert AttestationInvalidAttesters(asset, n, threshold_);
        }
        address[] storage old = _attesters[asset];
        for (uint256 i; i < old.length; ++i) {
            isAttester[asset][old[i]] = false;
        }
        delete _attesters[asset];
        for (uint256 i; i < n; ++i) {
            address a = attesters[i];
            if (a == address(0) || isAttester[asset][a]) revert AttestationInvalidAttesters(asset, n, threshold_);
            isAttester[asset][a] = true;
            _attesters[asset].push(a);
        }
        threshold[asset] = threshold_;
        emit AttestersSet(asset, attesters, threshold_);
        _suspend(asset, "attesters replaced");
    }

    /// @notice Stop relying on `asset`'s live statement until a newer one is accepted.
    /// @dev Caller: the guardian role (no delay). Emits {AttestationSuspended}.
    function suspend(address asset, bytes32 reason) external restricted {
        _suspend(asset, reason);
    }

    function _suspend(address asset, bytes32 reason) private {
        uint64 nonce = _latest[asset].nonce;
        if (nonce == 0 || suspendedNonce[asset] == nonce) return;
        suspendedNonce[asset] = nonce;
        emit AttestationSuspended(asset, nonce, reason, msg.sender);
    }

    /// @notice Accept a statement signed by at least M of `a.asset`'s attesters.
    /// @dev Caller: anyone. `signers` in increasing order, `signatures[i]` by
    /// `signers[i]` over {digest}. Emits {AttestationAccepted}.
    function submit(Attestation calldata a, address[] calldata signers, bytes[] calldata signatures) external {
        uint256 m = threshold[a.asset];
        if (m == 0) revert AttestationNoAttesters(a.asset);
        Stored storage last = _latest[a.asset];
        if (a.nonce != last.nonce + 1) revert AttestationWrongNonce(a.asset, a.nonce, last.nonce + 1);
        if (a.asOf <= last.asOf) revert AttestationNotNewer(a.asset, a.asOf, last.asOf);
        if (a.asOf > block.timestamp || a.expiresAt <= block.timestamp || a.expiresAt - a.asOf > MAX_VALIDITY) {
            revert AttestationBadTimes(a.asOf, a.expiresAt, block.timestamp);
        }
        if (a.lotsRoot == bytes32(0)) revert AttestationEmptyRoot();
        if (signers.length != signatures.length) revert AttestationLengthMismatch(signers.length, signatures.length);
        if (signers.length < m) revert AttestationTooFewSigners(a.asset, signers.length, m);
        bytes32 hash = digest(a);
        address previous;
        for (uint256 i; i < signers.length; ++i) {
            address signer = signers[i];
            if (signer <= previous) revert AttestationSignersNotSorted(previous, signer);
            if (!isAttester[a.asset][signer]) revert AttestationNotAttester(a.asset, signer);
            if (!SignatureChecker.isValidSignatureNow(signer, hash, signatures[i])) {
                revert AttestationBadSignature(signer);
            }
            previous = signer;
        }
        _latest[a.asset] = Stored(a.nonce, a.asOf, a.expiresAt, a.lotCount, a.lotsRoot, a.totalQuantity);
        emit AttestationAccepted(
            a.asset, a.nonce, a.asOf, a.expiresAt, a.lotsRoot, a.totalQuantity, a.lotCount, signers
        );
    }

    /// @notice The EIP-712 digest the attesters sign for `a`.
    function digest(Attestation calldata a) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    ATTESTATION_TYPEHASH, a.asset, a.nonce, a.asOf, a.expiresAt, a.lotsRoot, a.totalQuantity, a.lotCount
                )
            )
        );
    }

    /// @notice `asset`'s latest statement and whether it is live now (accepted, not
    /// expired, not suspended). Never reverts: a missing statement is all zeros, not live.
    function current(address asset)
        external
        view
        returns (bool live, bytes32 lotsRoot, uint256 totalQuantity, uint64 asOf, uint64 expiresAt, uint64 nonce)
    {
        Stored memory s = _latest[asset];
        live = s.nonce != 0 && block.timestamp < s.expiresAt && suspendedNonce[asset] != s.nonce;
        return (live, s.lotsRoot, s.totalQuantity, s.asOf, s.expiresAt, s.nonce);
    }

    /// @notice The number of lots in `asset`'s latest statement.
    function lotCount(address asset) external view returns (uint32) {
        return _latest[asset].lotCount;
    }

    /// @notice `asset`'s attesters, in the order set.
    function attesters(address asset) external view returns (address[] memory) {
        return _attesters[asset];
    }
}
