"""Proof-of-reserve statements: lot lists, their Merkle roots, EIP-712 signatures.

A statement (``ReserveAttestations.Attestation``) says that a commodity token's
custodians hold the lots of a list (its ``StandardMerkleTree`` root) totalling a
quantity, as of a time, until an expiry. Each attester signs it with an ape account
(``account.sign_message``: a test key, a keystore after its passphrase, a device);
the EIP-712 domain is the one the registry reports (ERC-5267), so a signature for
another chain or another registry cannot verify.
"""

from __future__ import annotations

from dataclasses import dataclass

from eip712.messages import EIP712Domain, EIP712Message
from eth_pydantic_types import abi

from sovereign.merkle import LOT_TYPES, MultiProof, StandardMerkleTree
from sovereign.permit import permit_domain
from sovereign.units import text_to_bytes32


class AttestationNotSigned(Exception):
    """An attester declined to sign."""


@dataclass(frozen=True)
class Lot:
    """One lot of a custodian's list; ``quantity`` in token units."""

    serial: str
    custodian: str
    location: str
    grade: str
    quantity: int

    def values(self) -> tuple:
        texts = (self.serial, self.custodian, self.location, self.grade)
        return (*(text_to_bytes32(t) for t in texts), self.quantity)


class Attestation(EIP712Message):
    """The typed message (its class name is the EIP-712 type name the contract hashes)."""

    asset: abi.address
    nonce: abi.uint64
    asOf: abi.uint64
    expiresAt: abi.uint64
    lotsRoot: abi.bytes32
    totalQuantity: abi.uint256
    lotCount: abi.uint32


@dataclass(frozen=True)
class Statement:
    asset: str
    nonce: int
    as_of: int
    expires_at: int
    lots_root: bytes
    total_quantity: int
    lot_count: int

    def as_struct(self) -> tuple:
        return (
            self.asset, self.nonce, self.as_of, self.expires_at, self.lots_root,
            self.total_quantity, self.lot_count,
        )  # fmt: skip


def lot_tree(lots: list[Lot]) -> StandardMerkleTree:
    keys = [(lot.custodian, lot.serial) for lot in lots]
    if len(set(keys)) != len(keys):
        raise ValueError("a lot list names each (custodian, serial) once")
    return StandardMerkleTree([lot.values() for lot in lots], LOT_TYPES)


def statement(asset: str, lots: list[Lot], nonce: int, as_of: int, expires_at: int) -> Statement:
    tree = lot_tree(lots)
    total = sum(lot.quantity for lot in lots)
    return Statement(str(asset), nonce, as_of, expires_at, tree.root, total, len(lots))


def message(registry, s: Statement, *, domain: dict | None = None) -> EIP712Message:
    """The typed message the attesters sign; ``domain`` replaces the registry's own
    (a signature meant for another chain or registry, which must be refused)."""
    fields = domain or permit_domain(registry)
    return Attestation(
        asset=s.asset, nonce=s.nonce, asOf=s.as_of, expiresAt=s.expires_at,
        lotsRoot=s.lots_root, totalQuantity=s.total_quantity, lotCount=s.lot_count,
        eip712_domain=EIP712Domain(**fields),
    )  # fmt: skip


def sign(account, registry, s: Statement, *, domain: dict | None = None) -> bytes:
    """``account``'s 65-byte signature (r, s, v) of ``s``."""
    signature = account.sign_message(message(registry, s, domain=domain))
    if signature is None:
        raise AttestationNotSigned(f"{account.address} did not sign the attestation")
    return (
        bytes(signature.r).rjust(32, b"\0")
        + bytes(signature.s).rjust(32, b"\0")
        + bytes([signature.v])
    )


def signed(registry, s: Statement, accounts) -> tuple[list[str], list[bytes]]:
    """Signers in increasing address order (as ``submit`` wants) and their signatures."""
    ordered = sorted(accounts, key=lambda a: int(a.address, 16))
    return [a.address for a in ordered], [sign(a, registry, s) for a in ordered]


def mint_arguments(lots: list[Lot], minting: list[int]) -> tuple[list[tuple], list, list]:
    """``CommodityToken.mint``'s lots, proof and flags for ``lots[i]`` for i in ``minting``."""
    tree = lot_tree(lots)
    multi: MultiProof = tree.multiproof(minting)
    return list(multi.leaves), multi.proof, multi.flags
