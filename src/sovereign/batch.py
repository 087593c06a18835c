"""Batches of mint and burn instructions from a CSV file, validated and simulated
as a whole before the first is sent, journaled as they go, resumable after a crash.

Rows: ``instruction_id,action,recipient,amount`` (``mint`` to a licensed
participant, or ``burn`` of the burner's own coins). An id already executed
on-chain is skipped, which is how a re-run after a crash resumes.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from ape import chain
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from sovereign.inputs import InputError, resolve_address
from sovereign.operations import OperationRefused, Operator, instruction_id
from sovereign.preflight import simulate


@dataclass(frozen=True)
class BatchRow:
    line: int
    instruction_id: str
    action: str
    recipient: str | None
    amount: int


BATCH_ACTIONS = ("mint", "burn")
BATCH_HEADER = ["instruction_id", "action", "recipient", "amount"]


def read_batch(path: Path, op: Operator) -> list[BatchRow]:
    """Parse and validate every row before anything is sent; one line per problem."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != BATCH_HEADER:
            raise InputError(f"{path}: the first line must be {','.join(BATCH_HEADER)}")
        rows, seen, problems = [], set(), []
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            try:
                if len(cells) != 4:
                    raise InputError(f"expected 4 columns, found {len(cells)}")
                ident, action, recipient, amount = (c.strip() for c in cells)
                instruction_id(ident)
                if ident in seen:
                    raise InputError(f"instruction id {ident!r} appears twice")
                seen.add(ident)
                if action not in BATCH_ACTIONS:
                    raise InputError(f"action {action!r} is not one of {', '.join(BATCH_ACTIONS)}")
                address = None
                if action == "mint":
                    address = resolve_address(recipient, op.labels)
                elif recipient:
                    raise InputError("a burn has no recipient (it burns the treasury's own coins)")
                rows.append(BatchRow(number, ident, action, address, op.coin_amount(amount)))
            except InputError as err:
                problems.append(f"{path}:{number}: {err}")
        if problems:
            raise InputError(
                problems[0]
                if len(problems) == 1
                else f"{len(problems)} bad rows; first: {problems[0]}"
            )
        if not rows:
            raise InputError(f"{path}: no instructions")
        return rows


def check_batch(rows: list[BatchRow], op: Operator, minter, burner) -> list[BatchRow]:
    """Simulate the whole batch before sending anything; returns the rows still to do.

    Rows whose id is already executed on-chain are skipped (that is how a re-run
    after a crash resumes). For the rest: each is simulated on its own, and the
    batch as a whole must fit the minter's allowance, the mintable room under the
    collateral ratio, and the burner's balance.
    """
    reserve, coin = op.system.reserve, op.system.stablecoin
    todo = [r for r in rows if not reserve.instructionExecuted(instruction_id(r.instruction_id))]
    mints = sum(r.amount for r in todo if r.action == "mint")
    burns = sum(r.amount for r in todo if r.action == "burn")
    if mints:
        allowance = reserve.minterAllowance(minter.address)
        if mints > allowance:
            raise OperationRefused(
                f"the batch mints {op.describe_coin(mints)}, beyond the minter's allowance "
                f"of {op.describe_coin(allowance)}"
            )
        room = reserve.maxMintable()
        if mints > room:
            raise OperationRefused(
                f"the batch mints {op.describe_coin(mints)}, but only {op.describe_coin(room)} "
                "can be minted before the collateral ratio reaches its minimum"
            )
    if burns and burns > coin.balanceOf(burner.address):
        raise OperationRefused(
            f"the batch burns {op.describe_coin(burns)}, more than the burner holds"
        )
    for row in todo:
        sender, args = _row_call(row, minter, burner)
        revert = simulate(reserve, row.action, *args, sender=sender)
        if revert is not None:
            raise OperationRefused(
                f"row {row.line} ({row.instruction_id}) would fail: " f"{revert.sentence}"
            )
    return todo


def _row_call(row: BatchRow, minter, burner):
    ident = instruction_id(row.instruction_id)
    if row.action == "mint":
        return minter, (row.recipient, row.amount, ident)
    return burner, (row.amount, ident)


def run_batch(
    rows: list[BatchRow], todo: list[BatchRow], op: Operator, minter, burner, journal: Path
) -> dict:
    """Execute, appending one JSON line per instruction to ``journal`` as it goes."""
    reserve = op.system.reserve
    summary = {
        "rows": len(rows),
        "skipped": len(rows) - len(todo),
        "executed": 0,
        "gas": 0,
        "recovered": 0,
    }
    pending = {r.instruction_id for r in todo}
    journal.parent.mkdir(parents=True, exist_ok=True)
    journaled = journaled_ids(journal)
    with journal.open("a") as out:
        # An instruction executed on-chain but missing from the journal (the node or
        # this process died between the two) is journaled from its event.
        for row in rows:
            if row.instruction_id in pending or row.instruction_id in journaled:
                continue
            out.write(json.dumps(_recover_entry(reserve, row)) + "\n")
            summary["recovered"] += 1
    with (
        journal.open("a") as out,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=op.console,
            transient=False,
        ) as progress,
    ):
        task = progress.add_task("batch", total=len(rows), completed=summary["skipped"])
        for row in rows:
            if row.instruction_id not in pending:
                continue
            sender, args = _row_call(row, minter, burner)
            receipt = getattr(reserve, row.action)(*args, sender=sender)
            out.write(json.dumps(_journal_entry(row, receipt)) + "\n")
            out.flush()
            summary["executed"] += 1
            summary["gas"] += receipt.gas_used
            progress.advance(task)
    return summary


def journaled_ids(journal: Path) -> set[str]:
    if not journal.exists():
        return set()
    ids = set()
    for line in journal.read_text().splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a crash
        if entry.get("result") == "executed":
            ids.add(entry.get("instruction_id"))
    return ids


def _recover_entry(reserve, row: BatchRow) -> dict:
    """The journal entry of an instruction executed on-chain, rebuilt from its event.

    A node restored from a state dump keeps storage (so the id reads as used)
    but not always the old logs; the entry then says so, without a transaction.
    """
    event = reserve.Minted if row.action == "mint" else reserve.Burned
    logs = list(
        event.range(
            0,
            chain.blocks.head.number + 1,
            search_topics={"instructionId": instruction_id(row.instruction_id)},
        )
    )
    if not logs:
        return {
            "instruction_id": row.instruction_id,
            "action": row.action,
            "tx": None,
            "block": None,
            "gas": None,
            "result": "executed",
            "recovered_from_chain": True,
            "note": "instruction id used on-chain; its transaction is not in the node's history",
        }
    receipt = chain.get_receipt(logs[0].transaction_hash)
    return _journal_entry(row, receipt, recovered_from_chain=True)


def _journal_entry(row: BatchRow, receipt, **extra) -> dict:
    """One journal line: instruction id, action, transaction, block, gas, result."""
    return {
        "instruction_id": row.instruction_id,
        "action": row.action,
        "tx": receipt.txn_hash,
        "block": receipt.block_number,
        "gas": receipt.gas_used,
        "result": "executed",
        **extra,
    }
