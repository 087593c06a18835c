"""``ape treasury safe …``: writes proposed through a Safe (``--safe`` on any write),
listed, approved by the other owners, executed, cancelled; and new Safes.

The approvals are the Safe's own (``approveHash``, read back from ``approvedHashes``), so
each owner approves from their own process and machine; the proposal's call is in
``deployments/<network>.safe-proposals.json`` beside the manifest (sovereign.safeops).
"""

from __future__ import annotations

from dataclasses import replace

import click

from sovereign.cli.base import treasury_command
from sovereign.inputs import InputError
from sovereign.operations import OperationRefused, is_local
from sovereign.safeops import (
    ProposalStore,
    SafeSender,
    check,
    next_step,
    now_utc,
    preapproved_signatures,
    propose,
    rejection,
    resolve_safe,
    safe_at,
    simulate_safe_call,
)

group = click.Group(
    "safe",
    help="Writes proposed through a Safe (--safe on any write): list, approve, execute, "
    "cancel; create a Safe.",
)


def register(cli: click.Group) -> None:
    cli.add_command(group)


def _multisend(s) -> str | None:
    return (s.manifest.get("safe") or {}).get("multisend")


def _describer(s):
    from sovereign.calls import Describer

    return Describer(s.system, s.op.labels)


def _words(s, p) -> str:
    from sovereign.safeview import describe

    return describe(p, _describer(s), _multisend(s))[0]


def _open(s, safe_tx_hash: str):
    """The proposal SAFE_TX_HASH names, read with its Safe's state; refused in one line
    when it was cancelled, executed or overtaken by the Safe's nonce."""
    p = ProposalStore.beside_manifest().find(safe_tx_hash)
    found = check(p)
    if (why := found.closed()) is not None:
        raise OperationRefused(f"refused: proposal {p.hash} {why}; nothing sent")
    return p, found


def _owner(s, found):
    owner = s.signer()
    if owner.address not in found.state.owners:
        raise OperationRefused(
            f"refused: {owner.address} is not an owner of the Safe {found.state.address} "
            f"(owners: {', '.join(found.state.owners)}); nothing sent"
        )
    return owner


@treasury_command(group, "pending", write=False)
@click.option("--safe", "safe_name", help="only this Safe's proposals (alias, label, address)")
def pending(s, safe_name):
    """Every proposal still pending: the call in words (amounts with their symbols), who
    approved it (on-chain approvedHashes), the threshold, and whether it can execute now
    (if not, why: approvals missing, an earlier nonce first)."""
    from sovereign.safeview import read_proposals, render

    safe = resolve_safe(safe_name, s.manifest) if safe_name else None
    store = ProposalStore.beside_manifest()
    shown = read_proposals(store, s.system, s.op.labels, _multisend(s), safe)
    describer = _describer(s)
    if not s.as_json:
        render(shown, describer, s.console)
    return {"store": str(store.path), "proposals": [x.as_dict(describer) for x in shown]}


@treasury_command(group, "approve", role=None, safe=False)
@click.argument("safe_tx_hash")
def approve(s, safe_tx_hash):
    """Approve the proposal SAFE_TX_HASH on-chain (approveHash) as the owner --account.
    SAFE_TX_HASH: as `safe pending` shows it (or its first 8+ hex digits)."""
    p, found = _open(s, safe_tx_hash)
    owner = _owner(s, found)
    if owner.address in found.approvals:
        raise OperationRefused(f"refused: {owner.address} approved {p.hash} already")
    words = _words(s, p)
    s.print(f"proposal {p.hash} (nonce {p.tx.nonce}): {words}")
    result = s.op.send(
        safe_at(p.tx.safe),
        "approveHash",
        (p.hash,),
        owner,
        f"approving Safe transaction {p.hash[:10]}… as {owner.address}",
    )
    approvals = found.state.approvals(p.hash) if result["status"] == "sent" else found.approvals
    if result["status"] == "sent":
        s.print(next_step(p.hash, len(approvals), found.state.threshold))
    return result | {
        "safe_tx_hash": p.hash,
        "words": words,
        "approvals": len(approvals),
        "threshold": found.state.threshold,
    }


@treasury_command(group, "execute", role=None, safe=False)
@click.argument("safe_tx_hash")
def execute(s, safe_tx_hash):
    """Execute the proposal SAFE_TX_HASH (execTransaction with the owners' on-chain
    approvals as signatures) once enough owners approved it; any account may send it.
    Refused if approvals are missing or the Safe's nonce moved on."""
    p, found = _open(s, safe_tx_hash)
    if (why := found.not_executable()) is not None:
        raise OperationRefused(f"refused: proposal {p.hash} {why}; nothing sent")
    words = _words(s, p)
    # The call from the Safe first: execTransaction itself only says "GS013" on a revert.
    revert = simulate_safe_call(p.tx)
    if revert is not None:
        raise OperationRefused(
            f"refused: proposal {p.hash} ({words}) would fail: {s.op._sentence(revert)}; "
            "nothing sent"
        )
    executor = s.signer()
    signatures = preapproved_signatures(found.approvals[: found.state.threshold])
    s.print(f"proposal {p.hash} (nonce {p.tx.nonce}): {words}")
    result = s.op.send(
        safe_at(p.tx.safe),
        "execTransaction",
        (*p.tx.exec_args(), signatures),
        executor,
        f"executing Safe transaction {p.hash[:10]}… ({words})",
    )
    if result["status"] == "sent":
        store = ProposalStore.beside_manifest()
        store.put(replace(p, executed_tx=result["transactions"][0]["tx"]))
    return result | {"safe_tx_hash": p.hash, "words": words}


@treasury_command(group, "cancel", role=None, safe=False)
@click.argument("safe_tx_hash")
def cancel(s, safe_tx_hash):
    """Cancel the proposal SAFE_TX_HASH, as an owner (--account).

    Below its threshold it is dropped from the store: nothing is sent, and this tool
    refuses to approve or execute it. Approved to threshold, anyone holding its call could
    still execute it, so a rejection is proposed too (a call of the Safe to itself at the
    same nonce, approved by you): once the other owners approve and execute it, the nonce
    has moved on and the proposal can never execute."""
    p, found = _open(s, safe_tx_hash)
    owner = _owner(s, found)
    words = _words(s, p)
    result = s.op.header(owner)
    s.print(f"proposal {p.hash} (nonce {p.tx.nonce}): {words}")
    cancelled = {"by": owner.address, "at": now_utc(), "rejection": None}
    if len(found.approvals) < found.state.threshold:
        if s.dry_run:
            s.print("dry run: nothing changed")
            return result | {"status": "dry-run", "safe_tx_hash": p.hash}
        if not s.yes and not s.op.confirm(f"Cancel (drop) proposal {p.hash[:10]}…?"):
            raise OperationRefused("not confirmed; nothing changed")
        ProposalStore.beside_manifest().put(replace(p, cancelled=cancelled))
        s.print(
            f"cancelled: {p.hash} dropped ({len(found.approvals)} of "
            f"{found.state.threshold} approvals; nothing sent)"
        )
        return result | {"status": "cancelled", "safe_tx_hash": p.hash, "rejection": None}
    if s.dry_run:
        s.print("dry run: a rejection would be proposed; nothing sent")
        return result | {"status": "dry-run", "safe_tx_hash": p.hash}
    sender = SafeSender(p.tx.safe, owner, p.tx.safe, _multisend(s))
    out = propose(
        s.op, sender, rejection(p), f"rejecting proposal {p.hash[:10]}… ({words})", p.hash
    )
    cancelled["rejection"] = out["safe_tx_hash"]
    ProposalStore.beside_manifest().put(replace(p, cancelled=cancelled))
    s.print(
        f"cancelled: {p.hash} is approved to threshold, so the rejection "
        f"{out['safe_tx_hash']} was proposed at its nonce {p.tx.nonce}; until it executes, "
        "another tool holding the call could still execute the proposal"
    )
    return result | out | {"status": "cancelled", "safe_tx_hash": p.hash, "rejection": out}


@treasury_command(group, "create", role=None, safe=False)
@click.argument("alias")
@click.option("--owners", required=True, metavar="A,B,C", help="owner addresses, comma-separated")
@click.option("--threshold", type=click.IntRange(1), default=2, show_default=True)
def create(s, alias, owners, threshold):
    """Create a Safe of OWNERS needing THRESHOLD approvals, and register it as the ape
    account ALIAS (a Safe alias: `ape accounts list`), for --safe ALIAS. Uses the
    deployment's Safe contracts; on a local chain without them ape-safe injects them."""
    from ape import accounts
    from eth_utils import is_checksum_address

    from sovereign import safedeploy

    parts = [p.strip() for p in owners.split(",")]
    if not all(is_checksum_address(p) for p in parts) or len(set(parts)) != len(parts):
        raise InputError(f"--owners: {owners!r} must be distinct checksummed addresses")
    if threshold > len(parts):
        raise InputError(f"--threshold {threshold} exceeds the {len(parts)} owners")
    container = accounts.containers["safe"]
    if alias in set(container.aliases):
        raise InputError(f"an ape Safe alias {alias!r} exists already")
    sender = s.signer()
    contracts = _contracts(s, sender)
    data = safedeploy.setup_data(parts, threshold)
    salt = safedeploy.label_salt(f"{alias} {now_utc()}")
    result = s.op.send(
        contracts.factory,
        "createProxyWithNonce",
        (contracts.singleton.address, data, salt),
        sender,
        f"creating a {threshold}-of-{len(parts)} Safe of {', '.join(parts)}",
    )
    if result["status"] != "sent":
        return result
    from ape import chain

    receipt = chain.get_receipt(result["transactions"][0]["tx"])
    address = receipt.decode_logs(contracts.factory.ProxyCreation)[0].proxy
    container.save_account(alias, address)
    s.print(f"Safe {address} registered as the ape account {alias!r}")
    return result | {"safe": address, "alias": alias, "owners": parts, "threshold": threshold}


def _contracts(s, sender):
    from sovereign import artifacts
    from sovereign.safedeploy import SafeContracts

    recorded = s.manifest.get("safe")
    if recorded:
        return SafeContracts(
            *(
                artifacts.at(n, recorded[k])
                for n, k in zip(
                    artifacts.SAFE_TYPES, ("singleton", "factory", "multisend"), strict=True
                )
            )
        )
    if not is_local():
        raise OperationRefused("this deployment records no Safe contracts on this network")
    from ape_safe.factory import SafeFactory
    from packaging.version import Version

    if s.dry_run:
        raise OperationRefused("a dry run cannot inject the Safe contracts first; nothing sent")
    SafeFactory.inject(Version("1.4.1"), sender)
    version = Version("1.4.1")
    return SafeContracts(SafeFactory._singleton[version], SafeFactory._factory[version], None)
