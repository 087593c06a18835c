"""Authorized participants: AML-registered exchanges licensed by the registrar."""

from __future__ import annotations

import click

from sovereign.cli.base import ADDRESS, ID, treasury_command
from sovereign.operations import instruction_id

group = click.Group(
    "participants", help="License, de-list or list authorized participants (AML-registered)."
)


def register(cli: click.Group) -> None:
    cli.add_command(group)


@treasury_command(group, "add", role="registrar")
@click.argument("address", type=ADDRESS)
@click.option("--ref", "reference", required=True, type=ID, help="licence reference")
def add(s, address, reference):
    """License ADDRESS as a participant: it may receive mints and redeem."""
    who = s.address(address, "address")
    return s.op.send(
        s.system.reserve,
        "registerParticipant",
        (who, instruction_id(reference)),
        s.signer(),
        f"licensing {who} ({reference})",
    )


@treasury_command(group, "remove", role="registrar")
@click.argument("address", type=ADDRESS)
@click.option("--ref", "reference", required=True, type=ID, help="reason reference")
def remove(s, address, reference):
    """De-list the participant ADDRESS: it can no longer receive mints or redeem."""
    who = s.address(address, "address")
    return s.op.send(
        s.system.reserve,
        "removeParticipant",
        (who, instruction_id(reference)),
        s.signer(),
        f"de-listing {who} ({reference})",
    )


@treasury_command(group, "list", write=False)
def list_(s):
    """Every participant ever licensed, from the reserve's events: whether it is licensed
    now, its licence reference, and its stablecoin balance."""
    from sovereign.status import read_participants, render_participants

    rows = read_participants(s.system, s.manifest)
    if not s.as_json:
        render_participants(rows, s.console, s.op.coin_symbol)
    return {"participants": rows}
