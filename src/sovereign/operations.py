"""Treasury writes with the safety every one of them needs.

A write is a *plan*: one or more steps (approve then fund; sync then redeem), or
one call held behind a governance delay. Every write shows the network and the
account; the whole plan is simulated before the first step is sent, and a revert
anywhere becomes a sentence naming the step, with nothing sent; ``dry_run`` stops
after the simulation; without ``yes`` the operator confirms the plan once.

A call whose role is held with a delay is scheduled on the AccessManager: the
plan simulated is the schedule *and* its execution once the delay has passed, so
a schedule that could never execute is refused before it is sent. Running the
same command again after the delay executes it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ape import accounts, chain
from ape.exceptions import TransactionError
from rich.console import Console

from sovereign import governance
from sovereign.inputs import InputError
from sovereign.preflight import Call, CannotSimulate, simulate_plan
from sovereign.units import format_amount, text_to_bytes32

LOCAL_CHAIN_IDS = (31337, 1337)


class OperationRefused(Exception):
    """A write that was not sent; the message is one line saying why."""


class PartialBatch(Exception):
    """A batch stopped part-way; the message says how far it got."""


def is_local() -> bool:
    return chain.chain_id in LOCAL_CHAIN_IDS


def when(timestamp: int) -> str:
    return f"{datetime.fromtimestamp(timestamp, UTC):%Y-%m-%d %H:%M:%S} UTC"


def unlock(account, alias: str):
    """A keystore account signs non-interactively with ``APE_ACCOUNTS_<alias>_PASSPHRASE``."""
    if not hasattr(account, "set_autosign"):
        return account
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


def signer(account, role_label: str | None, manifest: dict):
    """The account that signs: the one given (an ape account), or on a local chain the
    Anvil test account holding ``role_label`` in the manifest."""
    if account is not None:
        return unlock(account, getattr(account, "alias", None) or "")
    if not role_label:
        raise OperationRefused("--account is required: name the ape account that signs")
    if not is_local():
        raise OperationRefused(f"off a local chain, --account is required (the {role_label})")
    wanted = manifest["holders"].get(role_label)
    for test_account in accounts.test_accounts:
        if test_account.address == wanted:
            return test_account
    raise OperationRefused(f"no local test account holds the {role_label} role")


def instruction_id(text: str) -> bytes:
    try:
        return text_to_bytes32(text.strip())
    except ValueError as err:
        raise InputError(f"instruction id: {err}") from None


def _managed(step) -> bool:
    """Whether the call is guarded by the AccessManager (and may need scheduling)."""
    from sovereign.roles import ADMIN_FUNCTIONS, FUNCTION_ROLES

    name = step.contract.contract_type.name
    return step.method in FUNCTION_ROLES.get(name, {}) or step.method in ADMIN_FUNCTIONS.get(
        name, ()
    )


@dataclass(frozen=True)
class Step:
    contract: object
    method: str
    args: tuple
    description: str


@dataclass
class Operator:
    system: object
    manifest: dict
    console: Console
    dry_run: bool = False
    yes: bool = False
    confirm: Callable[[str], bool] = field(default=lambda prompt: False)
    describe: Callable | None = None  # (Revert) -> sentence; default Revert.sentence

    @property
    def labels(self) -> dict[str, str]:
        from sovereign.manifest import labels

        return labels(self.manifest)

    def header(self, sender) -> dict:
        from sovereign.safeops import SafeSender

        # A Safe (``--safe``) is shown with the owner who proposes.
        safe = isinstance(sender, SafeSender)
        self.console.print(
            f"network [bold]{chain.provider.network_choice}[/] (chain id {chain.chain_id}), "
            + (sender.shown if safe else f"account [bold]{sender.address}[/]")
        )
        return {
            "network": chain.provider.network_choice,
            "chain_id": chain.chain_id,
            "account": sender.address,
        } | (sender.fields if safe else {})

    def _sentence(self, revert) -> str:
        return self.describe(revert) if self.describe else revert.sentence

    def send(self, contract, method: str, args: tuple, sender, description: str) -> dict:
        """One call: sent at once, or scheduled/executed when its role is delayed."""
        return self.run([Step(contract, method, args, description)], sender)

    def run(self, steps: list[Step], sender) -> dict:
        """Simulate every step, confirm once, send them in order. Returns the result."""
        result = self.header(sender)
        result["action"] = "; ".join(s.description for s in steps)
        if len(steps) == 1 and _managed(steps[0]):
            step = steps[0]
            perm = governance.permission(self.system.manager, sender, step.contract, step.method)
            if not perm.immediate and perm.delay:
                return result | self._delayed(step, sender, perm.delay)
        calls = [Call(s.contract, s.method, s.args, sender) for s in steps]
        self._preflight(calls, steps)
        return result | self._send(calls, steps, "sent")

    def _preflight(self, calls: list[Call], steps: list[Step], shown=None) -> None:
        try:
            failed = simulate_plan(calls)
        except CannotSimulate as err:
            raise OperationRefused(str(err)) from None
        if failed is not None:
            index, revert = failed
            where = f"step {index + 1} of {len(calls)}, " if len(calls) > 1 else ""
            what = (shown or [s.description for s in steps])[index]
            tail = "; nothing was sent" if len(calls) > 1 else ""
            raise OperationRefused(f"{where}{what}, would fail: {self._sentence(revert)}{tail}")
        for step in steps:
            self.console.print(f"preflight passed: {step.description}")

    def _send(self, calls: list[Call], steps: list[Step], status: str) -> dict:
        if self.dry_run:
            self.console.print("dry run: nothing sent")
            return {"status": "dry-run", "transactions": []}
        from sovereign.safeops import SafeSender

        if isinstance(calls[0].sender, SafeSender):  # proposed, approved by one owner: not sent
            return calls[0].sender.propose(self, calls, steps)
        plan = "; ".join(s.description for s in steps)
        prompt = f"Send {len(steps)} transactions: {plan}?" if len(steps) > 1 else f"Send: {plan}?"
        if not self.yes and not self.confirm(prompt):
            raise OperationRefused("not confirmed; nothing sent")
        sent = []
        for call, step in zip(calls, steps, strict=True):
            try:
                receipt = getattr(call.contract, call.method)(*call.args, sender=call.sender)
            except TransactionError as err:
                raise self._stopped(call, step, err, sent, len(steps)) from None
            self.console.print(
                f"{status}: {receipt.txn_hash} in block {receipt.block_number}, "
                f"gas {receipt.gas_used:,} ({step.description})"
            )
            sent.append(
                {
                    "step": step.description,
                    "tx": receipt.txn_hash,
                    "block": receipt.block_number,
                    "gas": receipt.gas_used,
                }
            )
        return {"status": status, "transactions": sent}

    def _stopped(self, call: Call, step: Step, err, sent: list, count: int) -> Exception:
        """A step that reverted when sent although the simulation passed (the chain moved
        in between): one line saying why and how far the plan got. Nothing sent yet is a
        refusal (exit 4); later steps are a plan stopped part-way (exit 7): each step
        already mined stays, and running the command again plans only what is left."""
        from sovereign.preflight import simulate

        revert = simulate(call.contract, call.method, *call.args, sender=call.sender)
        why = self._sentence(revert) if revert is not None else str(err).splitlines()[0]
        if not sent:
            tail = "; nothing was sent" if count > 1 else ""
            return OperationRefused(f"{step.description} failed when sent: {why}{tail}")
        done = ", ".join(str(t["tx"]) for t in sent)
        return PartialBatch(
            f"step {len(sent) + 1} of {count}, {step.description}, failed when sent: {why}; "
            f"steps 1 to {len(sent)} were mined ({done}), the rest not sent: give the "
            "command again for what is left"
        )

    def _delayed(self, step: Step, sender, delay: int) -> dict:
        manager = self.system.manager
        data = getattr(step.contract, step.method).encode_input(*step.args)
        op_id = manager.hashOperation(sender.address, step.contract.address, data)
        ready = int(manager.getSchedule(op_id))
        now = chain.blocks.head.timestamp
        execute = Step(manager, "execute", (step.contract.address, data), step.description)
        if 0 < ready <= now:
            calls = [Call(manager, "execute", execute.args, sender)]
            self._preflight(calls, [execute], [f"executing the scheduled {step.description}"])
            return self._send(calls, [execute], "executed")
        if ready > now:
            raise OperationRefused(
                f"{step.description} is scheduled; it can be executed from {when(ready)} "
                f"({ready - now:,} s from now): run the same command again then"
            )
        # A guardian's removal runs only after the manager's public notice.
        earliest = governance.earliest_execution(manager, step.contract, step.method, *step.args)
        # Simulated comfortably after the delay: the schedule's own block comes later
        # than the head read now.
        runs_at = max(now + delay, earliest) + 3_600
        schedule = Step(
            manager,
            "schedule",
            (step.contract.address, data, earliest),
            f"scheduling ({delay:,} s delay) {step.description}",
        )
        calls = [
            Call(manager, "schedule", schedule.args, sender),
            Call(manager, "execute", execute.args, sender, not_before=runs_at),
        ]
        shown = [schedule.description, f"executing it after the delay ({step.description})"]
        self._preflight(calls, [schedule, execute], shown)
        out = self._send(calls[:1], [schedule], "scheduled")
        if out["status"] == "scheduled":
            ready = int(manager.getSchedule(op_id))
            out["executable_at"] = ready
            self.console.print(f"run the same command again from {when(ready)} to execute it")
        return out

    # ---------------------------------------------------------------- amounts

    @property
    def coin_symbol(self) -> str:
        return self.manifest["config"]["stablecoin_symbol"]

    def coin_amount(self, text: str) -> int:
        from sovereign.inputs import parse_amount

        return parse_amount(text, 18, self.coin_symbol)

    def describe_coin(self, units: int) -> str:
        return f"{format_amount(units, 18)} {self.coin_symbol}"
