"""Pauses: the guardian pauses at once, the governor unpauses through its delay."""

from __future__ import annotations

import click

from sovereign.cli.base import treasury_command
from sovereign.pauses import Pause, VaultPause

commands = click.Group()


def register(cli: click.Group) -> None:
    for command in commands.commands.values():
        cli.add_command(command)


def _target(s, what: str, vault: bool):
    if vault:
        if s.system.vault is None:
            from sovereign.operations import OperationRefused

            raise OperationRefused("this deployment has no T-bill vault")
        return s.system.vault, VaultPause.parse(what)
    return s.system.stablecoin, Pause.parse(what)


VAULT = click.option(
    "--vault", is_flag=True, help="the T-bill vault's flags (deposit,withdraw) instead"
)


@treasury_command(commands, "pause", role="guardian")
@click.argument("what")
@VAULT
def pause(s, what, vault):
    """Pause WHAT at once: mint, redeem, transfer (comma-separated), or with --vault:
    deposit, withdraw."""
    contract, flags = _target(s, what, vault)
    return s.op.send(contract, "pause", (int(flags),), s.signer(), f"pausing {flags.words}") | {
        "flags": flags.names()
    }


@treasury_command(commands, "unpause", role="governor")
@click.argument("what")
@VAULT
def unpause(s, what, vault):
    """Unpause WHAT through the governor's delay: the first run schedules it, the guardian
    may cancel it meanwhile, and the same command after the delay executes it."""
    contract, flags = _target(s, what, vault)
    return s.op.send(contract, "unpause", (int(flags),), s.signer(), f"unpausing {flags.words}") | {
        "flags": flags.names()
    }
