"""EIP-2612 permits, signed by any ape account (tests, benchmarks and operators alike).

The message is eip712's ERC-2612 ``Permit`` definition; its EIP-712 domain is the one the
token reports itself (ERC-5267 ``eip712Domain()``), so nothing about the token's name,
version or chain is assumed. ``account.sign_message`` signs it: a test account with its
key, a keystore account after its passphrase, a hardware wallet on the device.
"""

from __future__ import annotations

from eip712.common import create_permit_def
from eip712.messages import EIP712Message

# ERC-5267 ``fields`` bits: which domain fields the token uses.
_DOMAIN_FIELDS = ("name", "version", "chainId", "verifyingContract", "salt")


class PermitNotSigned(Exception):
    """The account declined to sign (a prompt answered no, a device that refused)."""


def permit_domain(token) -> dict:
    """The token's EIP-712 domain from its ``eip712Domain()`` (ERC-5267): the fields the
    token declares, by name (``name``, ``version``, ``chainId``, ``verifyingContract``)."""
    fields, *values, extensions = token.eip712Domain()
    if extensions:
        raise ValueError(f"{token.address} declares EIP-712 domain extensions {extensions}")
    flags = int.from_bytes(bytes(fields), "big")
    return {
        key: value for bit, (key, value) in enumerate(zip(_DOMAIN_FIELDS, values, strict=True))
        if flags & (1 << bit)
    }  # fmt: skip


def permit_message(
    token,
    owner: str,
    spender: str,
    value: int,
    nonce: int,
    deadline: int,
    *,
    domain: dict | None = None,
    chain_id: int | None = None,
    name: str | None = None,
) -> EIP712Message:
    """The ERC-2612 message ``token.permit`` verifies. ``domain`` (``permit_domain``)
    saves reading it again; ``chain_id`` and ``name`` replace the domain's (a signature
    for another chain or token, which the token must refuse)."""
    domain = dict(domain or permit_domain(token))
    if chain_id is not None:
        domain["chainId"] = chain_id
    if name is not None:
        domain["name"] = name
    permit = create_permit_def(**domain)
    return permit(owner=owner, spender=spender, value=value, nonce=nonce, deadline=deadline)


def sign_permit(
    token,
    owner,
    spender: str,
    value: int,
    deadline: int,
    nonce: int | None = None,
    chain_id: int | None = None,
    name: str | None = None,
    *,
    domain: dict | None = None,
):
    """A permit signed by the ape account ``owner``; returns (v, r, s) for ``permit``.
    ``nonce`` defaults to the token's next one for ``owner``; see ``permit_message``
    for the other arguments."""
    message = permit_message(
        token,
        owner.address,
        str(spender),
        value,
        token.nonces(owner) if nonce is None else nonce,
        deadline,
        domain=domain,
        chain_id=chain_id,
        name=name,
    )
    signature = owner.sign_message(message)
    if signature is None:
        raise PermitNotSigned(f"{owner.address} did not sign the permit")
    # ape gives r and s as minimal big-endian bytes (a leading zero byte dropped): pad them.
    return signature.v, bytes(signature.r).rjust(32, b"\0"), bytes(signature.s).rjust(32, b"\0")
