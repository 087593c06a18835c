"""Scheduled governance operations: read from the AccessManager's events, described in words.

Every delayed act (a parameter change, a role grant, an unpause) is first *scheduled* on
the manager (``OperationScheduled(operationId, nonce, schedule, caller, target, data)``)
and later executed (``OperationExecuted``) or cancelled (``OperationCanceled``) under the
same id and nonce. The operations still pending are the scheduled ones with neither; an
id scheduled again (after an expiry) supersedes its older nonces.

Each pending operation is decoded against the system's ABIs and said in words in the
system's own units ("set the minimum collateral ratio of Reserve to 105.00%", "grant
minter to 0x… (label)"; ``sovereign.calls``), with who scheduled it, when it can be
executed (the event's ``schedule``) and when it expires (that time plus the manager's
``expiration()``). ``sovereign.pending_render`` shows them as a table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from eth_utils import to_checksum_address

from sovereign import events
from sovereign.calls import Describer, hex0x
from sovereign.pending_render import render_pending, utc

# Re-exported: ``sovereign.cli.governance`` takes the table and the times from here.
__all__ = ["Operation", "find", "read_pending", "render_pending", "utc"]


# ------------------------------------------------------------------ the operations


@dataclass(frozen=True)
class Operation:
    """One scheduled operation, neither executed nor cancelled."""

    operation_id: str  # 0x + 64 hex digits
    nonce: int
    caller: str  # the account it was scheduled for (and that may execute it)
    caller_label: str | None
    target: str
    target_name: str | None  # the system's name for the target ("Reserve", "feed:eSHL")
    data: str  # 0x calldata
    function: str | None  # "Reserve.setMinCollateralRatio", None when not decodable
    args: dict  # decoded arguments by name (JSON-able)
    words: str
    scheduled_block: int
    scheduled_tx: str | None
    executable_at: int  # [unix seconds]
    expires_at: int  # [unix seconds]: executable_at + the manager's expiration()
    now: int  # the head block's time the operation was read at

    @property
    def executable(self) -> bool:
        """Whether the delay has passed (and the operation has not expired)."""
        return self.executable_at <= self.now < self.expires_at

    @property
    def expired(self) -> bool:
        return self.now >= self.expires_at

    @property
    def state(self) -> str:
        if self.expired:
            return "expired"
        return "executable" if self.executable else "waiting"

    def as_dict(self) -> dict:
        return {
            "operation_id": self.operation_id,
            "nonce": self.nonce,
            "words": self.words,
            "function": self.function,
            "args": self.args,
            "target": {"address": self.target, "name": self.target_name},
            "data": self.data,
            "scheduled_by": {"address": self.caller, "label": self.caller_label},
            "scheduled_block": self.scheduled_block,
            "scheduled_tx": self.scheduled_tx,
            "executable_at": self.executable_at,
            "executable_at_utc": utc(self.executable_at),
            "executable_now": self.executable,
            "expires_at": self.expires_at,
            "expires_at_utc": utc(self.expires_at),
            "expired": self.expired,
            "state": self.state,
            "seconds_to_executable": max(0, self.executable_at - self.now),
        }


def read_pending(
    system,
    labels: Mapping[str, str] | None = None,
    from_block: int | None = 0,
    *,
    include_expired: bool = True,
) -> list[Operation]:
    """Every operation scheduled on ``system.manager`` since ``from_block`` (its deployment
    block) that was neither executed nor cancelled, oldest first. ``labels`` maps names to
    addresses (``sovereign.manifest.labels``); expired operations are kept, marked, unless
    ``include_expired`` is false."""
    from ape import chain

    manager = system.manager
    head = chain.blocks.head
    stop = head.number + 1
    start = int(from_block or 0)
    closed = {
        (hex0x(log.operationId), int(log.nonce))
        for event in (manager.OperationExecuted, manager.OperationCanceled)
        for log in events.scan(event, start, stop)
    }
    # The newest nonce of each id: a re-schedule (after an expiry) supersedes the older ones.
    latest: dict[str, object] = {}
    for log in events.scan(manager.OperationScheduled, start, stop):
        latest[hex0x(log.operationId)] = log
    expiration = int(manager.expiration())
    describer = Describer(system, labels or {})
    out = []
    for op_id, log in latest.items():
        if (op_id, int(log.nonce)) in closed:
            continue
        target = to_checksum_address(log.target)
        data = bytes(log.data) if not isinstance(log.data, str) else bytes.fromhex(log.data[2:])
        call = describer.describe(target, data)
        executable_at = int(log.schedule)
        op = Operation(
            operation_id=op_id,
            nonce=int(log.nonce),
            caller=to_checksum_address(log.caller),
            caller_label=describer.label(log.caller),
            target=target,
            target_name=describer.names.get(target),
            data=hex0x(data),
            function=call.function,
            args=call.args,
            words=call.words,
            scheduled_block=int(log.block_number),
            scheduled_tx=hex0x(log.transaction_hash) if log.transaction_hash else None,
            executable_at=executable_at,
            expires_at=executable_at + expiration,
            now=int(head.timestamp),
        )
        if include_expired or not op.expired:
            out.append(op)
    return sorted(out, key=lambda op: op.scheduled_block)


def find(operations: list[Operation], text: str) -> Operation | None:
    """The operation whose id is ``text`` (or starts with it: at least 0x + 8 digits)."""
    wanted = text.strip().lower()
    matches = [op for op in operations if op.operation_id.startswith(wanted)]
    if len(matches) == 1 and len(wanted) >= 10:
        return matches[0]
    return None
