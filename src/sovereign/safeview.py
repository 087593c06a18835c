"""Safe proposals shown to a person: the call in words (``sovereign.calls``, as
``governance pending`` says it), who approved it on-chain, the threshold, whether it can
execute now, and if not, why."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from io import BytesIO

from eth_utils import to_checksum_address

from sovereign.calls import Describer
from sovereign.safeops import DELEGATECALL, Check, Proposal, check


@dataclass(frozen=True)
class Shown:
    """One proposal as ``safe pending`` lists it."""

    check: Check
    words: str
    calls: list[dict]  # each call it makes: target, function, args, words

    @property
    def blocked(self) -> str | None:
        return self.check.not_executable()

    def as_dict(self, describer: Describer) -> dict:
        p, state = self.check.proposal, self.check.state
        return {
            "safe_tx_hash": p.hash,
            "safe": {"address": state.address, "label": describer.label(state.address)},
            "nonce": p.tx.nonce,
            "safe_nonce": state.nonce,
            "words": self.words,
            "calls": self.calls,
            "tx": asdict(p.tx),
            "proposed_by": p.proposed_by,
            "proposed_at": p.proposed_at,
            "rejects": p.rejects,
            "owners": list(state.owners),
            "approved_by": self.check.approvals,
            "approvals": len(self.check.approvals),
            "threshold": state.threshold,
            "executable": self.blocked is None,
            "blocked": self.blocked,
        }


def unpack_multisend(data: bytes) -> list[tuple[str, bytes]]:
    """MultiSendCallOnly's packed calls (operation, to, value, length, data) as
    (target, calldata) pairs; the calldata is ``multiSend(bytes)``'s argument."""
    from eth_abi import decode

    (packed,) = decode(["bytes"], data[4:])
    buffer, out = BytesIO(packed), []
    while buffer.tell() < len(packed):
        buffer.read(1)  # operation: always CALL in MultiSendCallOnly
        target = to_checksum_address(buffer.read(20))
        buffer.read(32)  # value
        length = int.from_bytes(buffer.read(32), "big")
        out.append((target, buffer.read(length)))
    return out


def describe(p: Proposal, describer: Describer, multisend: str | None) -> tuple[str, list]:
    """The proposal in words, and each call it makes."""
    tx = p.tx
    data = bytes.fromhex(tx.data[2:])
    if p.rejects:
        return (
            f"reject proposal {p.rejects} (a call of the Safe to itself at nonce {tx.nonce}: "
            "executing it moves the nonce on, so the rejected proposal can never execute)",
            [],
        )
    if tx.operation == DELEGATECALL and multisend and tx.to == multisend:
        pairs = unpack_multisend(data)
    else:
        pairs = [(tx.to, data)]
    calls = []
    for target, calldata in pairs:
        decoded = describer.describe(target, calldata)
        calls.append(
            {
                "target": target,
                "function": decoded.function,
                "args": decoded.args,
                "words": decoded.words,
            }
        )
    return summarise(calls, describer), calls


SHOWN_CALLS = 3  # a longer MultiSend (a batch chunk) is said by its first calls and a tally


def summarise(calls: list[dict], describer: Describer) -> str:
    """The calls in words, in order; past ``SHOWN_CALLS``, the first ones, "… N more" and
    a tally of the whole (``30 mints of 3,000.00 SSHL in all``); every call is still in
    ``calls`` (``--json``)."""
    words = "; then ".join(c["words"] for c in calls[:SHOWN_CALLS])
    if len(calls) == 1:
        return words
    if len(calls) <= SHOWN_CALLS:
        return f"in one transaction: {words}"
    return (
        f"in one transaction of {len(calls)} calls: {words}; … {len(calls) - SHOWN_CALLS} "
        f"more ({tally(calls, describer)})"
    )


_COUNTED = {"Reserve.mint": ("mint", "mints"), "Reserve.burn": ("burn", "burns")}


def tally(calls: list[dict], describer: Describer) -> str:
    """How many calls of each function, with the coin amounts of mints and burns."""
    counts: dict[str | None, list[int]] = {}
    for c in calls:
        entry = counts.setdefault(c["function"], [0, 0])
        entry[0] += 1
        if c["function"] in _COUNTED:
            entry[1] += int(c["args"].get("amount", 0))
    parts = []
    for function, (n, amount) in counts.items():
        if function in _COUNTED:
            noun = _COUNTED[function][n > 1]
            parts.append(f"{n:,} {noun} of {describer.amount(amount, describer.coin)}")
        else:
            parts.append(f"{n:,} × {function or 'an unknown call'}")
    return ", ".join(parts) + " in all"


def read_proposals(store, system, labels: dict, multisend: str | None, safe=None) -> list[Shown]:
    """Every proposal still live (neither cancelled nor executed, its nonce not passed)."""
    describer = Describer(system, labels)
    out = []
    for p in store.all(safe):
        found = check(p)
        if found.closed() is not None:
            continue
        words, calls = describe(p, describer, multisend)
        out.append(Shown(found, words, calls))
    return out


def render(shown: list[Shown], describer: Describer, console) -> None:
    """One block per proposal, each line whole (hashes and addresses are copied from it)."""
    if not shown:
        console.print("no Safe proposal is pending")
        return
    n = len(shown)
    console.print(f"{n} Safe proposal{'s' if n > 1 else ''} pending", style="bold")
    for item in shown:
        p, state, approvals = item.check.proposal, item.check.state, item.check.approvals
        blocked = item.blocked
        can = "[green]yes: executable now[/]" if blocked is None else f"[yellow]no: {blocked}[/]"
        who = ", ".join(describer.addr(a) for a in approvals) or "nobody yet"
        lines = [
            f"[bold]{p.hash}[/]  Safe {describer.addr(state.address)}, nonce {p.tx.nonce}",
            f"  {item.words}",
            f"  proposed by {describer.addr(p.proposed_by)} at {p.proposed_at}",
            f"  approvals (on-chain): {len(approvals)} of {state.threshold}: {who}",
            f"  can execute: {can}",
        ]
        console.print("\n".join(lines), soft_wrap=True, highlight=False)
