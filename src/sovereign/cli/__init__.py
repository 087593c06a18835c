"""``ape treasury …``: the operator CLI, an ape plugin (entry point
``ape_cli_subcommands``, as ape-safe's ``ape safe``). One module per command group;
the domain logic lives in the ``sovereign`` modules they call."""

from __future__ import annotations

import click

from sovereign.cli import (
    attest,
    batch,
    bills,
    bonds,
    cash,
    ceilings,
    coin,
    collateral,
    commodities,
    compliance,
    deploy,
    governance,
    oracle,
    params,
    participants,
    pauses,
    redemptions,
    report,
    roles,
    safe,
    status,
    vault,
)
from sovereign.cli.base import local_test_accounts

# Before any argument is parsed: `--account TEST::16` is checked by ape's account type.
local_test_accounts()


@click.group(name="treasury")
def cli():
    """Treasury operations on a deployed sovereign stablecoin system.

    The system is found from the network's manifest, deployments/<ecosystem>-<network>-<chain
    id>.json under the current folder (or $SOVEREIGN_DEPLOYMENTS). Every write shows the
    network and the signer, simulates every step first, and asks before sending (-y skips
    the question, --dry-run stops after the simulation). Exit codes: 0 done, 2 usage error,
    3 input refused, 4 not sent (preflight or permission), 5 node unreachable, 6 manifest
    missing or of another chain, 7 batch or plan stopped part-way."""


for module in (
    deploy,
    status,
    report,
    coin,
    batch,
    cash,
    collateral,
    vault,
    bills,
    bonds,
    attest,
    commodities,
    ceilings,
    redemptions,
    participants,
    oracle,
    pauses,
    compliance,
    roles,
    params,
    governance,
    safe,
):
    module.register(cli)
