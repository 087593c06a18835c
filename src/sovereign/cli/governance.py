"""``ape treasury governance …``: the scheduled operations waiting out their delay, the
guardian's veto on them, and their execution."""

from __future__ import annotations

import re

import click

from sovereign.cli.base import treasury_command
from sovereign.events import deployment_block
from sovereign.inputs import InputError
from sovereign.pending import Operation, find, read_pending, render_pending, utc
from sovereign.roles import HOLDER_LABELS

group = click.Group(
    "governance", help="Scheduled governance operations: list, cancel (the guardian), execute."
)

_ID = re.compile(r"0x[0-9a-fA-F]{8,64}")


def register(cli: click.Group) -> None:
    cli.add_command(group)


def _pending(s) -> list[Operation]:
    return read_pending(s.system, s.op.labels, deployment_block(s.manifest))


def _lookup(s, text: str) -> Operation:
    """The pending operation OPERATION_ID names (its full id, or a unique prefix of at
    least 8 hex digits); one line when there is none."""
    wanted = text.strip()
    if not _ID.fullmatch(wanted):
        raise InputError(f"{text!r} is not an operation id (0x and 64 hex digits)")
    operations = _pending(s)
    op = find(operations, wanted)
    if op is None:
        if sum(o.operation_id.startswith(wanted.lower()) for o in operations) > 1:
            raise InputError(f"{wanted} matches several pending operations: give more digits")
        raise InputError(
            f"no pending operation {wanted}: unknown, already executed or cancelled "
            "(see ape treasury governance pending)"
        )
    return op


@treasury_command(group, "pending", write=False)
def pending(s):
    """Every scheduled operation neither executed nor cancelled, read from the manager's
    events since its deployment: its id, what it does in words, who scheduled it, when it
    can be executed (UTC; whether that time has passed) and when it expires."""
    operations = _pending(s)
    if not s.as_json:
        render_pending(operations, s.console)
    from ape import chain

    return {
        "now": chain.blocks.head.timestamp,
        "now_utc": utc(chain.blocks.head.timestamp),
        "operations": [op.as_dict() for op in operations],
    }


@treasury_command(group, "cancel", role="guardian")
@click.argument("operation_id")
def cancel(s, operation_id):
    """Cancel the scheduled operation OPERATION_ID (the guardian's veto; any operation
    but the guardian's own removal). OPERATION_ID: as `governance pending` shows it."""
    op = _lookup(s, operation_id)
    if op.expired:
        raise InputError(
            f"operation {op.operation_id} expired at {utc(op.expires_at)}: it can no longer "
            "be executed, nothing to cancel"
        )
    s.print(f"operation {op.operation_id}: {op.words}")
    return s.op.send(
        s.system.manager,
        "cancel",
        (op.caller, op.target, bytes.fromhex(op.data[2:])),
        s.signer(),
        f"cancelling operation {op.operation_id[:10]}… ({op.words})",
    ) | {"operation_id": op.operation_id, "words": op.words}


@treasury_command(group, "execute", role="governor")
@click.argument("operation_id")
def execute(s, operation_id):
    """Execute the scheduled operation OPERATION_ID once its delay has passed (the same
    as running the command that scheduled it again). Signed by the account that
    scheduled it (on a local chain, by default, the test account holding its role)."""
    op = _lookup(s, operation_id)
    if op.expired:
        raise InputError(
            f"operation {op.operation_id} expired at {utc(op.expires_at)}: schedule it again"
        )
    if not op.executable:
        raise InputError(
            f"operation {op.operation_id} can be executed from {utc(op.executable_at)} "
            f"({op.executable_at - op.now:,} s from now)"
        )
    label = op.caller_label if op.caller_label in HOLDER_LABELS else None
    sender = s.signer(label)
    if sender.address != op.caller:
        from sovereign.operations import OperationRefused

        raise OperationRefused(
            f"operation {op.operation_id[:10]}… was scheduled by {op.caller}; only that "
            f"account may execute it, not {sender.address}"
        )
    s.print(f"operation {op.operation_id}: {op.words}")
    return s.op.send(
        s.system.manager,
        "execute",
        (op.target, bytes.fromhex(op.data[2:])),
        sender,
        f"executing operation {op.operation_id[:10]}… ({op.words})",
    ) | {"operation_id": op.operation_id, "words": op.words}
