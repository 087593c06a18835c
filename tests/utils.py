"""Helpers for tests: signing permits, dummy arguments from an ABI, time travel."""

from __future__ import annotations

from ape import chain
from eth_account import Account
from eth_account.messages import encode_typed_data

from sovereign.units import text_to_bytes32


def ref(text: str) -> bytes:
    """A readable bytes32 id / case reference."""
    return text_to_bytes32(text)


def travel(seconds: int) -> None:
    """Move the chain's clock forward and mine a block at the new time."""
    chain.mine(1, timestamp=chain.pending_timestamp + seconds)


def sign_permit(
    token,
    owner,
    spender: str,
    value: int,
    deadline: int,
    nonce: int | None = None,
    chain_id: int | None = None,
    name: str | None = None,
):
    """EIP-2612 permit signed with ``owner``'s test key; returns (v, r, s)."""
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": {
            "name": name or token.name(),
            "version": "1",
            "chainId": chain_id if chain_id is not None else chain.chain_id,
            "verifyingContract": token.address,
        },
        "message": {
            "owner": owner.address,
            "spender": str(spender),
            "value": value,
            "nonce": token.nonces(owner) if nonce is None else nonce,
            "deadline": deadline,
        },
    }
    signed = Account.sign_message(encode_typed_data(full_message=typed), owner.private_key)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


def dummy_args(abi, filler_address: str) -> list:
    """Plausible arguments for every input of ``abi`` (used to hit access checks)."""
    out = []
    for inp in abi.inputs:
        t = inp.type
        if t == "address":
            out.append(filler_address)
        elif t.startswith("uint") or t.startswith("int"):
            out.append(1)
        elif t == "bytes32":
            out.append(ref("dummy"))
        elif t == "bool":
            out.append(True)
        elif t.endswith("[]"):
            out.append([])
        elif t in ("string", "bytes"):
            out.append("x" if t == "string" else b"x")
        else:
            raise NotImplementedError(f"no dummy for {t}")
    return out
