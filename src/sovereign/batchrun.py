"""One batch run, end to end: lock, repair, reconcile, preflight, confirm, send, report.

Every run, whatever stopped the one before it (a kill, a node restart or rollback,
a pause, a stuck fee), starts the same way: the journal is locked and repaired,
reconciled with the chain (sovereign/batchsync.py), and only the rows the chain has
not executed are preflighted and sent (sovereign/pipeline.py). Running the same
command again is therefore always the way to resume.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ape import chain
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sovereign.batch import BatchRow, calldata, explain, preflight, row_terms
from sovereign.batchsync import examine, refuse_conflicts
from sovereign.journal import Journal, executed_ids
from sovereign.operations import OperationRefused, Operator, PartialBatch, instruction_id
from sovereign.pipeline import GWEI, Instruction, Pipeline, Sent
from sovereign.rpc import Rpc, quantity


@dataclass
class Settings:
    journal: Path
    window: int = 256
    max_fee_gwei: float | None = None
    dry_run: bool = False
    yes: bool = False
    confirmations: int = 0  # blocks on top of the last receipt before the run says done


def run_batch(rows: list[BatchRow], op: Operator, minter, burner, settings: Settings, confirm):
    """Run the batch; returns the summary. Raises ``PartialBatch`` when it stops part-way."""
    rpc = Rpc(chain.provider)
    journal = Journal(settings.journal)
    say = op.console.print
    with journal.locked():
        loaded = journal.load()
        found = examine(loaded.entries, rows, op, rpc, burner.address)
        refuse_conflicts(found, rows, op, burner.address)
        notes = _repairs(loaded, found)
        if not settings.dry_run and (not loaded.compact or found.entries != loaded.entries):
            journal.rewrite(found.entries)
        for note in notes:
            say(f"journal: {note}")
        todo = [r for r in rows if r.instruction_id not in found.done | set(found.pooled)]
        with _progress(op) as progress:
            task = progress.add_task("preflight", total=len(todo))
            pending = [r for r in rows if r.instruction_id in found.pooled]
            instructions = preflight(
                todo, op, minter, burner, rpc, lambda n: progress.advance(task, n), pending
            )
        done_before = len(rows) - len(todo) - len(pending)
        say(
            f"validated {len(rows)} rows; {done_before} already executed on-chain; "
            f"{len(pending)} in flight from an earlier run; the rest simulate cleanly"
        )
        summary = {
            "rows": len(rows),
            "already_executed": done_before,
            "skipped": done_before,
            "recovered": found.recovered,
            "rolled_back": found.rolled_back,
        }
        if settings.dry_run:
            say("dry run: nothing sent")
            return summary | {"status": "dry-run", "executed": 0, "gas": 0}
        sending = len(instructions) + len(pending)
        if (
            instructions
            and not settings.yes
            and not confirm(f"Send {len(instructions)} instructions?")
        ):
            raise OperationRefused("not confirmed; nothing sent")
        alive = _alive(found.pooled, rows, op, minter, burner)
        pipeline = Pipeline(
            rpc,
            journal,
            chain.chain_id,
            window=settings.window,
            max_fee=None if settings.max_fee_gwei is None else int(settings.max_fee_gwei * GWEI),
            explain=lambda i: explain(i, op, minter, burner),
            executed=lambda i: bool(op.system.reserve.instructionExecuted(instruction_id(i.ident))),
            say=say,
        )
        try:
            with _progress(op) as progress:
                task = progress.add_task("batch", total=len(rows), completed=done_before)
                pipeline.advance = lambda n: progress.advance(task, n)
                outcome = pipeline.run(instructions, alive)
        except Exception as err:  # noqa: BLE001 - the node (or this machine) failed mid-way
            reason = (str(err).splitlines() or [type(err).__name__])[0][:160]
            raise PartialBatch(_stopped(rows, settings.journal, reason)) from None
        if outcome.stopped:
            left = len({(s.lane, s.nonce) for s in outcome.left_in_flight})
            tail = f" ({left} still in the node's pool)" if left else ""
            raise PartialBatch(_stopped(rows, settings.journal, outcome.stopped + tail))
        moved = _confirmed(outcome, settings.confirmations, rpc, say)
        if moved:
            raise PartialBatch(
                _stopped(
                    rows,
                    settings.journal,
                    f"{moved} executed instruction(s) left their blocks (a reorganisation) "
                    f"before {settings.confirmations} confirmations",
                )
            )
        return summary | {
            "status": "sent",
            "executed": len(outcome.executed),
            "sent": sending,
            "gas": outcome.gas,
            "blocks": len({facts["block"] for _, facts in outcome.executed}),
            "replaced": outcome.replaced,
            "round_trips": rpc.round_trips,
        }


def _confirmed(outcome, confirmations: int, rpc: Rpc, say, patience: float = 600.0) -> int:
    """Wait for ``confirmations`` blocks on top of the last receipt, then count the
    instructions whose block is no longer the one journaled (0: all still there)."""
    if not confirmations or not outcome.executed:
        return 0
    last = max(facts["block"] for _, facts in outcome.executed)
    target = last + confirmations
    say(f"waiting for {confirmations} confirmations (block {target:,})")
    deadline = time.monotonic() + patience
    while quantity(rpc.call("eth_blockNumber")) < target:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no block {target:,} after {patience:.0f} s")
        time.sleep(0.2)
    numbers = sorted({facts["block"] for _, facts in outcome.executed})
    blocks = rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
    hashes = {n: (b or {}).get("hash") for n, b in zip(numbers, blocks, strict=True)}
    return sum(1 for _, f in outcome.executed if hashes.get(f["block"]) != f["block_hash"])


def _stopped(rows: list[BatchRow], journal: Path, reason: str) -> str:
    """How far it got, counted from the journal (the node may be what failed)."""
    done = len(executed_ids(journal) & {r.instruction_id for r in rows})
    return (
        f"{done} of {len(rows)} instructions executed, then: {reason}; "
        "run the same command again to resume"
    )


def _repairs(loaded, found) -> list[str]:
    notes = []
    if loaded.torn:
        notes.append(f"dropped {loaded.torn} torn line(s) (a crash mid-write)")
    if loaded.merged:
        notes.append(f"merged {loaded.merged} repeated line(s) into one per id")
    if found.rolled_back:
        notes.append(
            f"{found.rolled_back} instruction(s) it recorded are not on the chain "
            "(rolled back): they run again"
        )
    if found.recovered:
        notes.append(f"{found.recovered} executed instruction(s) recorded from the chain")
    if found.pooled:
        notes.append(f"{len(found.pooled)} transaction(s) of an earlier run still pending: awaited")
    return notes


def _alive(pooled: dict, rows: list[BatchRow], op, minter, burner) -> list[Sent]:
    """An earlier run's transactions still in the node's pool, as the sender tracks them."""
    by_id = {r.instruction_id: r for r in rows}
    alive = []
    for ident, entry in pooled.items():
        row = by_id.get(ident)
        if row is None or entry.get("nonce") is None:
            continue
        sender = minter if row.action == "mint" else burner
        instruction = Instruction(
            row,
            sender,
            str(op.system.reserve.address),
            calldata(row),
            int(entry.get("gas_limit") or 300_000),
            row_terms(row, burner.address),
        )
        alive.append(
            Sent(
                instruction,
                int(entry["nonce"]),
                entry["tx"],
                int(entry.get("max_fee") or 0),
                int(entry.get("tip") or 0),
                bool(entry.get("dynamic", True)),
                int(entry.get("since_block") or 0),
            )
        )
    return alive


def _progress(op: Operator) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=op.console,
        transient=False,
    )
