"""Treasury operations with the safety every write needs.

Every write: the network and the account are shown; a preflight simulation runs
and a revert becomes a sentence; nothing is sent after a failed preflight;
``dry_run`` stops after the simulation; without ``yes`` the operator confirms.
Functions held behind a delay are scheduled on the AccessManager and executed
by the same command once the delay has passed.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ape import accounts, chain
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from sovereign import governance
from sovereign.inputs import InputError, parse_amount, resolve_address
from sovereign.preflight import simulate
from sovereign.units import bytes32_to_text, format_amount, text_to_bytes32


class OperationRefused(Exception):
    """A write that was not sent; the message is one line saying why."""


LOCAL_CHAIN_IDS = (31337, 1337)


def is_local() -> bool:
    return chain.chain_id in LOCAL_CHAIN_IDS


def signer(alias: str | None, role_label: str, manifest: dict):
    """The account that signs: ``alias`` (an ape keystore account, signing
    non-interactively with ``APE_ACCOUNTS_<alias>_PASSPHRASE``), or on a local
    chain the Anvil test account holding ``role_label`` in the manifest."""
    if alias:
        try:
            account = accounts.load(alias)
        except Exception as err:  # noqa: BLE001 - ape raises several kinds; one line for the operator
            raise OperationRefused(f"no ape account named {alias!r}: {err}") from None
        if hasattr(account, "set_autosign"):  # a keystore account: unlock it once
            variable = f"APE_ACCOUNTS_{alias}_PASSPHRASE"
            if not os.environ.get(variable) and not sys.stdin.isatty():
                raise OperationRefused(
                    f"account {alias!r} is locked and there is no terminal to ask for its "
                    f"passphrase: set {variable}"
                )
            try:
                account.set_autosign(True)
            except Exception:  # noqa: BLE001 - eth-keyfile's ValueError, ape's AccountsError
                raise OperationRefused(
                    f"account {alias!r} could not be unlocked: wrong passphrase (in {variable}?)"
                ) from None
        return account
    if not is_local():
        raise OperationRefused("off a local chain, --account is required")
    wanted = manifest["holders"].get(role_label)
    for account in accounts.test_accounts:
        if account.address == wanted:
            return account
    raise OperationRefused(f"no local test account holds the {role_label} role")


def instruction_id(text: str) -> bytes:
    try:
        return text_to_bytes32(text)
    except ValueError as err:
        raise InputError(f"instruction id: {err}") from None


@dataclass
class Operator:
    system: object
    manifest: dict
    console: Console
    dry_run: bool = False
    yes: bool = False
    confirm: Callable[[str], bool] = field(default=lambda prompt: False)

    @property
    def labels(self) -> dict[str, str]:
        from sovereign.manifest import labels

        return labels(self.manifest)

    def header(self, sender) -> None:
        self.console.print(
            f"network [bold]{chain.provider.network_choice}[/] (chain id {chain.chain_id}), "
            f"account [bold]{sender.address}[/]"
        )

    def send(self, contract, method: str, args: tuple, sender, description: str):
        """Preflight, confirm, send (or schedule/execute when the role is delayed)."""
        self.header(sender)
        perm = governance.permission(self.system.manager, sender, contract, method)
        if not perm.immediate and perm.delay:
            return self._delayed(contract, method, args, sender, description, perm.delay)
        receipt = self._checked_send(contract, method, args, sender, description)
        if receipt is not None:
            self.console.print(
                f"sent: {receipt.txn_hash} in block {receipt.block_number}, "
                f"gas {receipt.gas_used:,}"
            )
        return receipt

    def _checked_send(self, contract, method: str, args: tuple, sender, description: str):
        """The one path every write takes: simulate, stop on a revert or a dry run,
        confirm unless --yes, send. Returns the receipt, or None on a dry run."""
        revert = simulate(contract, method, *args, sender=sender)
        if revert is not None:
            raise OperationRefused(f"{description} would fail: {revert.sentence}")
        self.console.print(f"preflight passed: {description}")
        if self.dry_run:
            self.console.print("dry run: nothing sent")
            return None
        if not self.yes and not self.confirm(f"Send: {description}?"):
            raise OperationRefused("not confirmed; nothing sent")
        return getattr(contract, method)(*args, sender=sender)

    def _delayed(self, contract, method, args, sender, description, delay):
        manager = self.system.manager
        data = getattr(contract, method).encode_input(*args)
        op_id = manager.hashOperation(sender.address, contract.address, data)
        when = int(manager.getSchedule(op_id))
        now = chain.blocks.head.timestamp
        if 0 < when <= now:
            receipt = self._checked_send(
                manager,
                "execute",
                (contract.address, data),
                sender,
                f"execute the scheduled {description}",
            )
            if receipt is not None:
                self.console.print(f"executed: {receipt.txn_hash} in block {receipt.block_number}")
            return receipt
        if when > now:
            raise OperationRefused(
                f"{description} is scheduled; it can be executed from "
                f"{datetime.fromtimestamp(when, UTC):%Y-%m-%d %H:%M:%S} UTC ({when - now:,} s)"
            )
        # A guardian's removal runs only after the manager's public notice.
        earliest = governance.earliest_execution(manager, contract, method, *args)
        if earliest:
            delay = max(delay, earliest - now)
        receipt = self._checked_send(
            manager,
            "schedule",
            (contract.address, data, earliest),
            sender,
            f"schedule ({delay:,} s delay): {description}",
        )
        if receipt is not None:
            self.console.print(f"scheduled: {receipt.txn_hash} in block {receipt.block_number}")
            self.console.print(f"run the same command again after {delay:,} s to execute it")
        return receipt

    # ---------------------------------------------------------------- amounts

    def coin_amount(self, text: str) -> int:
        return parse_amount(text, 18, self.manifest["config"]["stablecoin_symbol"])

    def describe_coin(self, units: int) -> str:
        return f"{format_amount(units, 18)} {self.manifest['config']['stablecoin_symbol']}"


# -------------------------------------------------------------------- batches


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
    journaled = _journaled_ids(journal)
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


def _journaled_ids(journal: Path) -> set[str]:
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


def executed_ids(reserve, rows: list[BatchRow]) -> list[str]:
    return [
        r.instruction_id
        for r in rows
        if reserve.instructionExecuted(instruction_id(r.instruction_id))
    ]


__all__ = [
    "BatchRow",
    "Operator",
    "OperationRefused",
    "bytes32_to_text",
    "check_batch",
    "executed_ids",
    "instruction_id",
    "read_batch",
    "run_batch",
    "signer",
]
