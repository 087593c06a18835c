"""EIP-2612 permits signed off-chain (tests, benchmarks and operators alike)."""

from __future__ import annotations

from ape import chain
from eth_account import Account
from eth_account.messages import encode_typed_data


def permit_typed_data(
    token,
    owner: str,
    spender: str,
    value: int,
    nonce: int,
    deadline: int,
    chain_id: int | None = None,
    name: str | None = None,
) -> dict:
    """The EIP-712 message a token's ``permit`` verifies (OpenZeppelin's version "1" domain)."""
    return {
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
            "owner": owner,
            "spender": spender,
            "value": value,
            "nonce": nonce,
            "deadline": deadline,
        },
    }


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
    """A permit signed with ``owner``'s private key (test accounts); returns (v, r, s)."""
    typed = permit_typed_data(
        token,
        owner.address,
        str(spender),
        value,
        token.nonces(owner) if nonce is None else nonce,
        deadline,
        chain_id,
        name,
    )
    signed = Account.sign_message(encode_typed_data(full_message=typed), owner.private_key)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
