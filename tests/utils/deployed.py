"""A system deployed by the CLI on a test's own node, funded for minting: the set-up
the end-to-end batch tests share (`ape run deploy`, then cash into the vault for the
reserve, then an exchange licensed by `ape treasury participants add`)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

from ape import networks

from sovereign.manifest import load_system
from sovereign.units import text_to_bytes32
from tests.utils.cli import ape_cli
from tests.utils.constants import ROOT

EXCHANGE = "0x2546BcD3c84621e976D8185a91A922aE77ECEc30"  # Anvil account 16
CASH_UNITS = 10**6


def cli(*args, node, deployments: Path, check=False, process=False, env=None):
    """``ape treasury ARGS --network URL`` (``ape run deploy`` for "deploy")."""
    argv = ("run", *args) if args[0] == "deploy" else ("treasury", *args)
    result = ape_cli(
        *argv,
        "--network",
        node.url,
        env={"SOVEREIGN_DEPLOYMENTS": str(deployments), **(env or {})},
        process=process,
    )
    if check:
        assert result.returncode == 0, (result.stdout[-1500:], result.stderr[-1500:])
    return result


def deploy_funded(
    node, deployments: Path, accounts, cash: int = 10_000_000, extra_config: str = ""
) -> dict:
    """Deploy (deploy/local.yaml, plus ``extra_config`` sections); deposit ``cash`` into the
    vault for the reserve (its shares are the collateral); license EXCHANGE. Returns the
    manifest."""
    config = ROOT / "deploy" / "local.yaml"
    if extra_config:
        config = deployments / "deploy.yaml"
        config.write_text((ROOT / "deploy" / "local.yaml").read_text() + extra_config)
    cli(
        "deploy",
        "--yes",
        "--config",
        str(config),
        node=node,
        deployments=deployments,
        check=True,
    )
    manifest = json.loads(next(deployments.glob("*.json")).read_text())
    with on_node(node, deployments) as system:
        by_address = {a.address: a for a in accounts}
        treasury = by_address[manifest["deployer"]]
        compliance = by_address[manifest["holders"]["compliance"]]
        bank = by_address[manifest["holders"]["central-bank"]]
        system.vault.setAllowlisted(treasury, True, text_to_bytes32("KYC-T"), sender=compliance)
        system.cash.mint(treasury, cash * CASH_UNITS, sender=bank)
        system.cash.approve(system.vault, 2**256 - 1, sender=treasury)
        system.vault.deposit(cash * CASH_UNITS, system.reserve, sender=treasury)
    cli(
        "participants",
        "add",
        EXCHANGE,
        "--ref",
        "VASP-1",
        "--yes",
        node=node,
        deployments=deployments,
        check=True,
    )
    return manifest


@contextmanager
def on_node(node, deployments: Path):
    """The deployed System, straight on the node (in-process), for set-up and checks."""
    manifest = json.loads(next(deployments.glob("*.json")).read_text())
    with networks.parse_network_choice(node.url):
        yield load_system(manifest)
