"""A batch journal reconciled with the chain: what is done, what is not, what differs.

The chain is the truth. For every id, the reserve records the hash of the terms it
was executed with (``Reserve.instructionTerms``), so one call per thousand rows
tells three cases apart: not executed; executed with this row's terms (done: it is
skipped); executed with *other* terms (the row is refused, with both sets of terms:
an id reused for another payment is never reported as paid). Against that:

- a journal entry "executed" whose id the chain does not know was rolled back (the
  node restarted from an older state): the entry goes, and the row runs again;
- an entry whose transaction is no longer in its block (a reorganisation, a
  restored node) is re-read from the chain's events;
- an id executed on-chain that the journal lacks (the process died between the
  two) is recorded from its event;
- an intent without a receipt is looked up by transaction: still in the node's
  pool (awaited, its nonce kept), mined and reverted (the row runs again), or gone.

``reconcile`` applies this before every run; ``verify`` lists it, changing nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_utils import to_checksum_address, to_hex

from sovereign import events
from sovereign.batch import BatchRow, party, row_terms
from sovereign.operations import OperationRefused, Operator, instruction_id
from sovereign.rpc import Rpc, RpcError, quantity
from sovereign.units import format_amount

TERMS_PER_CALL = 1_000


@dataclass
class Findings:
    """The journal against the chain: the corrected entries, and each difference in words."""

    entries: dict[str, dict]
    done: set[str] = field(default_factory=set)  # executed on-chain with the journal's terms
    pooled: dict[str, dict] = field(default_factory=dict)  # intents still in the node's pool
    conflicts: list[str] = field(default_factory=list)
    pooled_conflicts: list[str] = field(default_factory=list)
    terms: dict[str, str | None] = field(default_factory=dict)  # each id's on-chain terms
    differences: list[str] = field(default_factory=list)
    rolled_back: int = 0
    recovered: int = 0


def onchain_terms(reserve, idents: list[str]) -> dict[str, str | None]:
    """Each id's recorded terms hash, ``None`` when the id was never executed."""
    out: dict[str, str | None] = {}
    for start in range(0, len(idents), TERMS_PER_CALL):
        chunk = idents[start : start + TERMS_PER_CALL]
        answer = reserve.instructionTerms([instruction_id(i) for i in chunk])
        for ident, terms in zip(chunk, answer, strict=True):
            text = to_hex(terms)
            out[ident] = None if int(text, 16) == 0 else text
    return out


def examine(
    entries: dict[str, dict],
    rows: list[BatchRow] | None,
    op: Operator,
    rpc: Rpc,
    burner: str | None,
) -> Findings:
    """Compare the journal (and the batch's rows, when given) with the chain."""
    entries = {k: dict(v) for k, v in entries.items()}
    found = Findings(entries)
    by_id = {r.instruction_id: r for r in rows or ()}
    idents = list(dict.fromkeys([*by_id, *entries]))
    chain_terms = onchain_terms(op.system.reserve, idents)
    expected = {i: row_terms(r, burner) for i, r in by_id.items() if burner}
    for ident in idents:
        entry = entries.get(ident)
        wanted = expected.get(ident) or (entry or {}).get("terms")
        held = chain_terms[ident]
        found.terms[ident] = held
        if held is not None and wanted is not None and held != wanted:
            if ident in by_id:
                found.conflicts.append(ident)  # the row asks other terms: refused
                continue
            # Only the journal says otherwise: the chain's event is the truth.
            found.differences.append(f"{ident}: the journal's terms differ from the chain's")
            entries[ident] = {"instruction_id": ident, "result": "sent", "terms": held}
            found.done.add(ident)
            continue
        if held is None and entry and entry.get("result") == "executed":
            found.rolled_back += 1
            found.differences.append(
                f"{ident}: the journal says executed (tx {entry.get('tx')}, block "
                f"{entry.get('block')}), but the chain has not executed it (rolled back)"
            )
            del entries[ident]
        elif held is not None:
            found.done.add(ident)
    _check_receipts(found, rpc)
    _check_intents(found, rpc)
    for ident, entry in found.pooled.items():
        wanted = expected.get(ident)
        if ident in by_id and wanted and entry.get("terms") not in (None, wanted):
            found.pooled_conflicts.append(ident)  # sent with other terms, still pooled
    _recover(found, op, rpc)
    return found


def _check_receipts(found: Findings, rpc: Rpc) -> None:
    """Executed entries whose transaction is not (or no longer) where the journal says."""
    listed = [
        i
        for i in sorted(found.done)
        if found.entries.get(i, {}).get("result") == "executed" and found.entries[i].get("tx")
    ]
    receipts = rpc.batch([("eth_getTransactionReceipt", [found.entries[i]["tx"]]) for i in listed])
    for ident, receipt in zip(listed, receipts, strict=True):
        entry = found.entries[ident]
        if receipt is None or isinstance(receipt, RpcError):
            where = "is not on the chain"
        elif quantity(receipt.get("status", "0x1")) != 1:
            where = "reverted"
        elif entry.get("block_hash", receipt["blockHash"]) != receipt["blockHash"] or (
            entry.get("block") is not None and quantity(receipt["blockNumber"]) != entry["block"]
        ):
            where = f"is now in block {quantity(receipt['blockNumber'])}"
        else:
            continue
        found.differences.append(
            f"{ident}: the journal's transaction {entry['tx']} (block {entry.get('block')}) "
            f"{where}; re-read from the chain's events"
        )
        found.entries[ident] = {k: v for k, v in entry.items() if k not in ("tx", "block")}
        found.entries[ident]["result"] = "sent"


def _check_intents(found: Findings, rpc: Rpc) -> None:
    """Intents without a receipt, for ids not executed: resolved by nonce. A nonce at
    or above the sender's mined count and below its pending count is still in the
    node's pool (awaited, the nonce kept); any other did not execute and runs again."""
    open_ = [
        i
        for i, e in found.entries.items()
        if e.get("result") in ("sent", "failed")
        and i not in found.done
        and isinstance(e.get("nonce"), int)
        and e.get("sender")
    ]
    senders = sorted({found.entries[i]["sender"] for i in open_})
    counts = rpc.batch(
        [("eth_getTransactionCount", [a, tag]) for a in senders for tag in ("latest", "pending")]
    )
    if any(isinstance(c, RpcError) for c in counts):
        raise RuntimeError("the node did not answer the senders' nonces")
    window = {
        a: (quantity(counts[2 * k]), quantity(counts[2 * k + 1])) for k, a in enumerate(senders)
    }
    for ident in open_:
        entry = found.entries[ident]
        mined, pending = window[entry["sender"]]
        if entry["result"] == "sent" and mined <= entry["nonce"] < pending:
            found.pooled[ident] = entry
            found.differences.append(
                f"{ident}: sent at nonce {entry['nonce']} (tx {entry.get('tx')}) and still "
                "waiting in the node's pool"
            )
        elif entry["result"] == "sent":
            found.differences.append(
                f"{ident}: sent at nonce {entry['nonce']} (tx {entry.get('tx')}) but not "
                "executed on-chain: it runs again"
            )


def _recover(found: Findings, op: Operator, rpc: Rpc) -> None:
    """Ids executed on-chain without a confirmed journal entry: recorded from their events."""
    missing = {i for i in found.done if found.entries.get(i, {}).get("result") != "executed"}
    if not missing:
        return
    starts = [found.entries[i].get("since_block") for i in missing if i in found.entries]
    start = min([s for s in starts if isinstance(s, int)] or [events.deployment_block(op.manifest)])
    logs = find_events(op, missing, start)
    receipts = rpc.batch([("eth_getTransactionReceipt", [logs[i]["tx"]]) for i in sorted(logs)])
    gas = {
        i: (quantity(r["gasUsed"]) if isinstance(r, dict) else None)
        for i, r in zip(sorted(logs), receipts, strict=True)
    }
    for ident in sorted(missing):
        base = found.entries.get(ident, {"instruction_id": ident})
        log = logs.get(ident)
        if log is None:
            note = "id used on-chain; its transaction is not in the node's history"
            found.entries[ident] = base | {"result": "executed", "tx": None, "note": note}
        else:
            found.entries[ident] = base | {
                "terms": found.terms.get(ident) or base.get("terms"),
                "action": log["action"],
                "tx": log["tx"],
                "block": log["block"],
                "block_hash": log["block_hash"],
                "gas": gas.get(ident),
                "result": "executed",
                "recovered_from_chain": True,
            }
        found.recovered += 1
        found.differences.append(
            f"{ident}: executed on-chain"
            + (f" (tx {log['tx']}, block {log['block']})" if log else "")
            + " but not in the journal as executed"
        )


def find_events(op: Operator, idents: set[str], start: int) -> dict[str, dict]:
    """The Minted/Burned event of each id, from block ``start`` on, read in pages."""
    reserve = op.system.reserve
    wanted = {to_hex(instruction_id(i)): i for i in idents}
    out: dict[str, dict] = {}
    for action, event in (("mint", reserve.Minted), ("burn", reserve.Burned)):
        for log in events.scan(event, start):
            key = _hex(log.instructionId)
            if key not in wanted:
                continue
            out[wanted[key]] = {
                "action": action,
                "tx": _hex(log.transaction_hash),
                "block": int(log.block_number),
                "block_hash": _hex(log.block_hash),
                "party": to_checksum_address(log.to if action == "mint" else log.burner),
                "amount": int(log.amount),
            }
    return out


def _hex(value) -> str:
    return value.lower() if isinstance(value, str) else to_hex(value)


def refuse_conflicts(found: Findings, rows: list[BatchRow], op: Operator, burner: str) -> None:
    """Rows whose id the chain executed with other terms, or an earlier run sent with
    other terms and the node still holds: refused, both terms named."""
    if not found.conflicts and not found.pooled_conflicts:
        return
    by_id = {r.instruction_id: r for r in rows}
    logs = find_events(op, set(found.conflicts), events.deployment_block(op.manifest))
    lines = []
    for ident in found.pooled_conflicts:
        row, entry = by_id[ident], found.pooled[ident]
        asked = _terms_words(row.action, party(row, burner), row.amount, op)
        lines.append(
            f"row {row.line} ({ident}): an earlier run sent this id with other terms (nonce "
            f"{entry.get('nonce')}, tx {entry.get('tx')}), still waiting in the node's pool; "
            f"this row asks {asked}"
        )
    for ident in found.conflicts:
        row, log = by_id[ident], logs.get(ident)
        asked = _terms_words(row.action, party(row, burner), row.amount, op)
        if log:
            held = _terms_words(log["action"], log["party"], log["amount"], op)
            held += f" (tx {log['tx']}, block {log['block']})"
        else:
            held = "other terms (its event is not in the node's history)"
        lines.append(
            f"row {row.line} ({ident}): the id was used on-chain for {held}; "
            f"this row asks {asked}"
        )
    head = lines[0] if len(lines) == 1 else f"{len(lines)} rows reuse ids; first: {lines[0]}"
    raise OperationRefused(f"{head}; give each row a new id, or correct it: nothing was sent")


def _terms_words(action: str, who: str | None, amount: int, op: Operator) -> str:
    amount_words = f"{format_amount(amount, 18)} {op.coin_symbol}"
    if action == "mint":
        return f"a mint of {amount_words} to {who}"
    return f"a burn of {amount_words}" + (f" by {who}" if who else "")
