"""Safes on a local chain: the Safe 1.4.1 contracts, 2-of-3 Safes holding roles, and the
governor Safe's acceptance of the admin role.

ape-safe's ``SafeFactory.inject`` deploys the singleton and the factory, but outside any
journal; here each is a step of the deploy journal (``deploysteps``) under its own label,
sent by the deployer like every other deployment transaction, so an interrupted deploy
resumes past them. A Safe is created by ``createProxyWithNonce`` with a salt derived
from its label: the same deployment gives the same addresses.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from eth_utils import keccak, to_checksum_address

from sovereign import artifacts
from sovereign.safeops import CALL, SafeTx, preapproved_signatures, safe_at

THRESHOLD = 2  # of the three owners --safe-owners names
SAFE_ROLES = ("governor", "minter")  # the governor is also the admin once it accepts


@dataclass(frozen=True)
class SafeContracts:
    singleton: object
    factory: object
    multisend: object

    def as_dict(self) -> dict:
        return {
            "version": "1.4.1",
            "singleton": self.singleton.address,
            "factory": self.factory.address,
            "multisend": self.multisend.address,
        }


def deploy_safe_contracts(run) -> SafeContracts:
    """The Safe singleton (SafeL2), its proxy factory and MultiSendCallOnly, from
    ape-safe's compiled manifest; ``run`` is a ``deployphases.Deployment``."""
    return SafeContracts(*(run.deploy(name) for name in artifacts.SAFE_TYPES))


def setup_data(owners: list[str], threshold: int) -> bytes:
    """``Safe.setup``: the owners and threshold, no module, fallback handler or payment."""
    zero = "0x" + "0" * 40
    setup = artifacts.at("SafeL2", zero).setup
    return bytes(setup.encode_input(owners, threshold, zero, b"", zero, zero, 0, zero))


def create_safe(
    contracts: SafeContracts, owners: list[str], threshold: int, sender, salt: int | None = None
):
    """A new Safe (a proxy of the singleton) with ``owners`` and ``threshold``, as a SafeL2
    instance at the address the factory's ProxyCreation event names."""
    salt = secrets.randbits(256) if salt is None else salt
    factory = contracts.factory
    receipt = factory.createProxyWithNonce(
        contracts.singleton.address, setup_data(owners, threshold), salt, sender=sender
    )
    return safe_at(to_checksum_address(receipt.decode_logs(factory.ProxyCreation)[0].proxy))


def label_salt(label: str) -> int:
    return int.from_bytes(keccak(text=f"sovereign safe {label}"), "big")


def predicted_address(contracts: SafeContracts, initializer: bytes, salt: int) -> str:
    """Where ``createProxyWithNonce`` puts the Safe (CREATE2, SafeProxyFactory 1.4.1):
    salt = keccak(keccak(initializer) . saltNonce), code = proxy code . singleton."""
    create2_salt = keccak(keccak(initializer) + salt.to_bytes(32, "big"))
    code = (
        bytes(contracts.factory.proxyCreationCode())
        + bytes(12)
        + bytes.fromhex(contracts.singleton.address[2:])
    )
    raw = keccak(
        b"\xff" + bytes.fromhex(contracts.factory.address[2:]) + create2_salt + keccak(code)
    )
    return to_checksum_address(raw[12:])


def deploy_role_safes(run, contracts: SafeContracts, owners: list[str]) -> dict[str, object]:
    """A 2-of-3 Safe for each of ``SAFE_ROLES``, each a journaled step of the deployer.
    Its address is computed, not read from the receipt: a resumed journal keeps only the
    transaction of a step that created no contract itself (the factory did)."""
    safes = {}
    for role in SAFE_ROLES:
        initializer, salt = setup_data(owners, THRESHOLD), label_salt(role)
        address = predicted_address(contracts, initializer, salt)
        run.send(
            f"create Safe {role}",
            lambda i=initializer, s=salt: contracts.factory.createProxyWithNonce(
                contracts.singleton.address, i, s, sender=run.deployer
            ),
        )
        safes[role] = safe_at(address)
    return safes


def accept_admin(run, manager, governor_safe, owner_accounts: list) -> None:
    """The governor Safe accepts the admin role: its first ``THRESHOLD`` owners approve
    ``acceptAdminTransfer`` on-chain, then the deployer executes it (three journaled
    steps). The Safe's nonce is 0 then: nothing else was ever proposed to it."""
    data = "0x" + bytes(manager.acceptAdminTransfer.encode_input()).hex()
    tx = SafeTx(governor_safe.address, manager.address, 0, data, CALL, 0)
    safe = safe_at(governor_safe.address)
    signers = owner_accounts[:THRESHOLD]
    for owner in signers:
        run.send(
            f"approveHash acceptAdminTransfer {owner.address}",
            lambda o=owner: safe.approveHash(tx.hash, sender=o),
            sender=owner,
        )
    signatures = preapproved_signatures([o.address for o in signers])  # sorted there
    run.send(
        "execTransaction acceptAdminTransfer",
        lambda: safe.execTransaction(*tx.exec_args(), signatures, sender=run.deployer),
    )
