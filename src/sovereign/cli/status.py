"""Reading the system: status and the participants list."""

from __future__ import annotations

import click

from sovereign.cli.base import treasury_command

commands = click.Group()


def register(cli: click.Group) -> None:
    for command in commands.commands.values():
        cli.add_command(command)


@treasury_command(commands, "status", write=False)
def status(s):
    """Supply, collateral value and ratio, what can be minted now, minter allowances,
    assets and feed ages, pauses, and the T-bill ladder."""
    from sovereign.status import read_status, render_status

    state = read_status(s.system, s.manifest)
    if not s.as_json:
        render_status(state, s.console)
    return state
