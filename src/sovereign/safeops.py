"""Two-person approval: writes proposed as transactions of a Safe (Safe 1.4.1, from ape-safe).

A role can be held by a Safe, an m-of-n multisig contract, instead of one key. A write
given ``--safe`` is then not sent: the plan the operator asked for is simulated *from the
Safe's address* (so the Safe must hold the role), and *proposed* as a Safe transaction:

- the call (to, value, data, operation, the gas fields, the Safe nonce) is stored in a
  small JSON file beside the manifest (``ProposalStore``), keyed by Safe address and
  safeTxHash, so that another owner in another process finds it;
- the proposing owner approves it on-chain with ``approveHash(safeTxHash)``. Approvals
  are read back only from the Safe's ``approvedHashes(owner, hash)``: the chain is the
  truth for who approved, the file only carries the call. (ape-safe's local
  MockSafeClient keeps proposals in memory, per process, so it is not used.)
- once ``threshold`` owners approved it, anyone executes it with ``execTransaction``
  and the pre-approved signatures (v=1: r = the owner's address, s = 0), sorted by owner.

A plan of several steps (approve then deposit) becomes one atomic proposal: a
delegatecall to MultiSendCallOnly. Its address comes from the manifest, because
ape-safe's own lookup asks the network first, over HTTP, which fails offline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import cache

from ape.api.address import Address
from eth_utils import to_checksum_address

from sovereign.inputs import InputError
from sovereign.operations import OperationRefused, unlock
from sovereign.safestore import (
    CALL,
    DELEGATECALL,
    SAFE_VERSION,
    Proposal,
    ProposalStore,
    SafeTx,
    now_utc,
)


@cache
def safe_contract_type(name: str):
    """SafeL2, SafeProxyFactory or MultiSendCallOnly as ape-safe ships them compiled."""
    from ape_safe.packages import MANIFESTS_BY_VERSION
    from ethpm_types import ContractType
    from packaging.version import Version

    manifest = json.loads(MANIFESTS_BY_VERSION[Version(SAFE_VERSION)].read_text())
    return ContractType.model_validate(manifest["contractTypes"][name])


def safe_at(address: str):
    from sovereign import artifacts

    return artifacts.at("SafeL2", address)


def safe_nonce(safe) -> int:
    # ``ContractInstance.nonce`` is the account nonce of the address, not the Safe's.
    return int(safe._view_methods_["nonce"]())


# ------------------------------------------------------------------ reading a Safe


@dataclass(frozen=True)
class SafeState:
    address: str
    owners: tuple[str, ...]
    threshold: int
    nonce: int

    @classmethod
    def read(cls, address: str) -> SafeState:
        safe = safe_at(address)
        owners = tuple(to_checksum_address(o) for o in safe.getOwners())
        return cls(address, owners, int(safe.getThreshold()), safe_nonce(safe))

    def approvals(self, safe_tx_hash: str) -> list[str]:
        """The owners whose approveHash of ``safe_tx_hash`` is on-chain, sorted."""
        safe = safe_at(self.address)
        return sorted(
            (o for o in self.owners if int(safe.approvedHashes(o, safe_tx_hash)) != 0),
            key=lambda a: int(a, 16),
        )


def preapproved_signatures(owners: list[str]) -> bytes:
    """Safe's v=1 signatures (the owner approved the hash on-chain), sorted by owner as
    ``checkNSignatures`` requires: r = the owner's address, s = 0, v = 1."""
    from ape.types import MessageSignature
    from ape_safe.utils import encode_signatures

    sigs = {
        o: MessageSignature(v=1, r=bytes(12) + bytes.fromhex(o[2:]), s=bytes(32)) for o in owners
    }
    return bytes(encode_signatures(sigs))


MULTISEND_SELECTOR = bytes.fromhex("8d80ff0a")  # multiSend(bytes)
SIMULATED_PER_BLOCK = 100


def simulate_safe_call(tx: SafeTx):
    """``None`` when the proposal's call would succeed from the Safe now, else the decoded
    revert. A MultiSendCallOnly delegatecall (a plan of several steps, a batch chunk) is
    judged by its calls, simulated in order from the Safe (``eth_simulateV1``): the first
    that would fail is the reason, where execTransaction itself would only say GS013."""
    from ape import chain
    from web3.exceptions import ContractCustomError, ContractLogicError

    from sovereign.preflight import Revert, decode_revert

    if tx.operation == DELEGATECALL:
        return _simulate_multisend(tx)
    if tx.operation != CALL:
        return None
    call = {"from": tx.safe, "to": tx.to, "data": tx.data, "value": tx.value}
    try:
        chain.provider.web3.eth.call(call, "pending")
    except ContractCustomError as err:
        return decode_revert(err.data or err.message)
    except ContractLogicError as err:
        return decode_revert(err.data) if err.data else Revert("Error", {"reason": str(err)}, "")
    return None


def _simulate_multisend(tx: SafeTx):
    """The first call of a MultiSend proposal that would fail from the Safe, decoded;
    ``None`` when all would pass, or when the node cannot simulate calls in sequence
    (then execTransaction's own simulation refuses a failing one, as GS013)."""
    from ape import chain

    from sovereign.preflight import decode_revert
    from sovereign.safeview import unpack_multisend

    data = bytes.fromhex(tx.data[2:])
    if data[:4] != MULTISEND_SELECTOR:
        return None
    calls = [
        {"from": tx.safe, "to": target, "data": "0x" + calldata.hex()}
        for target, calldata in unpack_multisend(data)
    ]
    blocks = [
        {"calls": calls[i : i + SIMULATED_PER_BLOCK]}
        for i in range(0, len(calls), SIMULATED_PER_BLOCK)
    ]
    try:
        answer = chain.provider.make_request(
            "eth_simulateV1", [{"blockStateCalls": blocks, "validation": False}, "latest"]
        )
    except Exception:  # noqa: BLE001 - "method not found" is worded per node
        return None
    for block in answer:
        for result in block["calls"]:
            if int(str(result["status"]), 16) != 1:
                error = result.get("error") or {}
                return decode_revert(result.get("returnData") or error.get("data") or "0x")
    return None


def is_safe(address: str) -> bool:
    try:
        return str(safe_at(address).VERSION()) == SAFE_VERSION
    except Exception:  # noqa: BLE001 - no code, or no VERSION(): not a Safe of this version
        return False


def resolve_safe(text: str, manifest: dict) -> str:
    """A Safe named by an ape Safe alias, a manifest label (``minter``) whose holder is a
    Safe, or its address."""
    from ape import accounts

    from sovereign.manifest import labels

    text = text.strip()
    container = accounts.containers.get("safe")
    if container is not None and text in set(container.aliases):
        address = container.load_account(text).address
    elif text in labels(manifest):
        address = labels(manifest)[text]
    else:
        try:
            address = to_checksum_address(text)
        except ValueError:
            raise InputError(
                f"--safe {text!r}: neither an ape Safe alias, a manifest label nor an address"
            ) from None
    if not is_safe(address):
        raise InputError(f"--safe {text!r}: {address} is not a Safe {SAFE_VERSION} on this chain")
    return to_checksum_address(address)


# ------------------------------------------------------------------ proposing


def next_nonce(state: SafeState, store: ProposalStore) -> int:
    """The first Safe nonce from the on-chain one that no live proposal holds: proposals
    queue one after another, and a cancelled one's nonce is taken by the next."""
    held = {p.tx.nonce for p in store.all(state.address) if live(p, state)}
    nonce = state.nonce
    while nonce in held:
        nonce += 1
    return nonce


def live(p: Proposal, state: SafeState) -> bool:
    return p.cancelled is None and p.executed_tx is None and p.tx.nonce >= state.nonce


def multisend_payload(calls, multisend: str) -> tuple[str, int, str, int]:
    """Several calls as one delegatecall to MultiSendCallOnly (CALLs only, in order)."""
    pairs = [(c.contract.address, bytes.fromhex(c.tx()["data"][2:])) for c in calls]
    return multisend, 0, multisend_data(pairs, multisend), DELEGATECALL


def multisend_data(pairs: list[tuple[str, bytes]], multisend: str) -> str:
    """``multiSend(bytes)`` calldata (0x hex) for (target, calldata) pairs, each a CALL
    of no value, in order: what a MultiSend proposal's ``data`` is."""
    from ape_safe.multisend import MultiSend

    batch = MultiSend(version=SAFE_VERSION)
    batch.calls = [{"target": t, "value": 0, "callData": bytes(d)} for t, d in pairs]
    packed = b"".join(batch.encoded_calls)
    from sovereign import artifacts

    # Not ``batch.contract``: that lookup asks the network over HTTP first.
    encoded = artifacts.at("MultiSendCallOnly", multisend).multiSend.encode_input(packed)
    return "0x" + bytes(encoded).hex()


class SafeSender(Address):
    """The sender of a write given ``--safe``: the Safe's address, for the preflight and the
    permission checks, with the owner who proposes (``--account``)."""

    def __init__(self, address: str, owner, label: str, multisend: str | None):
        super().__init__(address)
        self.owner, self.label, self.multisend = owner, label, multisend

    @classmethod
    def resolve(cls, text: str, owner, manifest: dict) -> SafeSender:
        if owner is None:
            raise InputError(f"--safe {text}: name the owner who proposes with --account")
        address = resolve_safe(text, manifest)
        owner = unlock(owner, getattr(owner, "alias", None) or "")
        state = SafeState.read(address)
        if owner.address not in state.owners:
            raise OperationRefused(
                f"refused: {owner.address} is not an owner of the Safe {address}; nothing sent"
            )
        multisend = (manifest.get("safe") or {}).get("multisend")
        return cls(address, owner, text, multisend)

    @property
    def shown(self) -> str:
        return (
            f"Safe [bold]{self.address}[/] ({self.label}), proposed by owner "
            f"[bold]{self.owner.address}[/]"
        )

    @property
    def fields(self) -> dict:
        return {"safe": self.address, "proposer": self.owner.address}

    def propose(self, op, calls, steps) -> dict:
        """Called by ``Operator._send`` instead of sending: store the plan as one Safe
        transaction and approve it on-chain as the proposing owner."""
        if len(calls) == 1:
            call = calls[0]
            to, value, data, operation = call.contract.address, 0, call.tx()["data"], CALL
        elif self.multisend:
            to, value, data, operation = multisend_payload(calls, self.multisend)
        else:
            raise OperationRefused(
                f"a plan of {len(calls)} steps through a Safe needs MultiSendCallOnly, and the "
                "manifest records none (deploy with --safe-owners); nothing sent"
            )
        plan = "; ".join(s.description for s in steps)
        return propose(op, self, SafeTx(self.address, to, value, data, operation, 0), plan)


def propose(
    op, sender: SafeSender, tx: SafeTx, description: str, rejects=None, before_store=None
) -> dict:
    """Store ``tx`` (at the next free nonce unless it carries one) and approve it as
    ``sender.owner``; the other owners approve it with ``ape treasury safe approve``.
    ``before_store(tx, safe_tx_hash)``, if given, runs once the nonce (so the hash) is
    fixed and before the proposal is stored: a batch journals its rows' intents there."""
    store = ProposalStore.beside_manifest()
    state = SafeState.read(sender.address)
    if rejects is None:
        tx = replace(tx, nonce=next_nonce(state, store))
    safe_tx_hash = tx.hash
    prompt = f"Propose through the Safe {sender.address} (nonce {tx.nonce}): {description}?"
    if not op.yes and not op.confirm(prompt):
        raise OperationRefused("not confirmed; nothing sent")
    owner = sender.owner.address
    proposal = Proposal(tx, description, owner, now_utc(), rejects=rejects)
    if before_store is not None:
        before_store(tx, safe_tx_hash)
    store.put(proposal)  # first: the call is never lost, whatever happens to the approval
    receipt = safe_at(sender.address).approveHash(safe_tx_hash, sender=sender.owner)
    store.put(replace(proposal, proposal_tx=receipt.txn_hash))
    approved = len(state.approvals(safe_tx_hash))
    op.console.print(
        f"proposed: Safe transaction {safe_tx_hash} (nonce {tx.nonce}), approved by {owner} "
        f"in {receipt.txn_hash}, block {receipt.block_number}, gas {receipt.gas_used:,}"
    )
    op.console.print(next_step(safe_tx_hash, approved, state.threshold))
    return {
        "status": "proposed",
        "safe_tx_hash": safe_tx_hash,
        "nonce": tx.nonce,
        "approvals": approved,
        "threshold": state.threshold,
        "transactions": [
            {
                "step": f"approveHash by {owner}",
                "tx": receipt.txn_hash,
                "block": receipt.block_number,
                "gas": receipt.gas_used,
            }
        ],
    }


def next_step(safe_tx_hash: str, approved: int, threshold: int) -> str:
    if approved >= threshold:
        return (
            f"{approved} of {threshold} approvals: executable now "
            f"(ape treasury safe execute {safe_tx_hash} --account ANY)"
        )
    return (
        f"{approved} of {threshold} approvals: another owner approves with "
        f"ape treasury safe approve {safe_tx_hash} --account OWNER"
    )


def rejection(p: Proposal) -> SafeTx:
    """A zero-value call of the Safe to itself at ``p``'s nonce: executing it moves the
    nonce on, after which ``p`` can never execute."""
    return SafeTx(p.tx.safe, p.tx.safe, 0, "0x", CALL, p.tx.nonce)


@dataclass
class Check:
    """Why a proposal cannot be approved or executed now (``None``: it can)."""

    proposal: Proposal
    state: SafeState
    approvals: list[str] = field(default_factory=list)

    def closed(self) -> str | None:
        p, state = self.proposal, self.state
        if p.cancelled:
            return f"was cancelled by {p.cancelled['by']} at {p.cancelled['at']}"
        if p.executed_tx:
            return f"was executed in {p.executed_tx}"
        if p.tx.nonce < state.nonce:
            return (
                f"has nonce {p.tx.nonce}, but the Safe's nonce moved on to {state.nonce} "
                "(executed, or another proposal took its nonce)"
            )
        return None

    def not_executable(self) -> str | None:
        if (why := self.closed()) is not None:
            return why
        p, state = self.proposal, self.state
        if p.tx.nonce > state.nonce:
            return f"waits for nonce {state.nonce} first (it has nonce {p.tx.nonce})"
        if len(self.approvals) < state.threshold:
            return (
                f"has {len(self.approvals)} of {state.threshold} approvals; another owner "
                f"must approve first (ape treasury safe approve {p.hash} --account OWNER)"
            )
        return None


def check(p: Proposal) -> Check:
    state = SafeState.read(p.tx.safe)
    return Check(p, state, state.approvals(p.hash))
