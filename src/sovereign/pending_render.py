"""Scheduled operations shown to a person: times in UTC, and the table of ``governance pending``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sovereign.sentences._fmt import span

if TYPE_CHECKING:
    from sovereign.pending import Operation


def utc(timestamp: int) -> str:
    """Unix seconds as ``"2026-12-02 14:00:00 UTC"``."""
    return f"{datetime.fromtimestamp(int(timestamp), UTC):%Y-%m-%d %H:%M:%S} UTC"


def render_pending(operations: list[Operation], console) -> None:
    """The pending operations as a rich table (one row each), or one line for none."""
    from rich.table import Table

    if not operations:
        console.print("no scheduled operation is pending")
        return
    n = len(operations)
    table = Table(title=f"{n} scheduled operation{'s' if n > 1 else ''} pending", show_lines=True)
    # The id whole on one line when the console is wide enough (it is copied to cancel).
    wide = console.width >= 150
    table.add_column("operation id", no_wrap=wide, overflow="fold")
    table.add_column("what it does; scheduled by", overflow="fold")
    table.add_column("executable from (UTC)")
    for op in operations:
        by = op.caller + (f" ({op.caller_label})" if op.caller_label else "")
        if op.expired:
            ready = "[red]expired[/]"
        elif op.executable:
            ready = "[green]passed: executable now[/]"
        else:
            ready = f"[yellow]in {span(op.executable_at - op.now)}[/]"
        table.add_row(
            op.operation_id,
            f"{op.words}\n[dim]by {by}[/]",
            f"{utc(op.executable_at)[:-4]}\n{ready}\nexpires {utc(op.expires_at)[:-4]}",
        )
    console.print(table)
