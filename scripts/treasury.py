"""`ape run treasury`: treasury operations against a deployed system.

    ape run treasury status --network http://127.0.0.1:8545 [--json]

The system is found from the network's manifest (deployments/); see `ape run deploy`.
"""

from __future__ import annotations

import json

import click
from ape.cli import ConnectedProviderCommand
from ape.logging import logger

from sovereign import apefix
from sovereign.manifest import ManifestError, load_manifest, load_system, manifest_path
from sovereign.status import make_console, read_status, render_status


@click.group()
def cli():
    """Treasury operations on the deployed sovereign stablecoin."""


def _system():
    logger.set_level("WARNING")
    apefix.apply_all()
    try:
        return load_system(load_manifest(manifest_path()))
    except ManifestError as err:
        raise click.ClickException(str(err)) from None


@cli.command(cls=ConnectedProviderCommand)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def status(as_json):
    """Supply, collateral value and ratio, assets and feed ages, pauses, the T-bill ladder."""
    state = read_status(_system())
    if as_json:
        click.echo(json.dumps(state, indent=2))
    else:
        render_status(state, make_console())
