"""`ape run deploy`: deploy and wire the whole system, and write its manifest.

    ape run deploy --network ethereum:local:foundry            # Anvil's test accounts
    ape run deploy --network http://127.0.0.1:8545 --yes       # a node already running
    ape run deploy --network ethereum:sepolia:node --account treasury --holders roles.json

On a local chain the role holders are Anvil's test accounts (see README); on any
other network `--holders` names a JSON file mapping each role label to an
address. A network that already has a manifest is refused unless `--replace`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from ape import accounts, chain, config
from ape.cli import ConnectedProviderCommand
from ape.logging import logger

from sovereign import apefix
from sovereign.deploy import RoleHolders, SystemConfig, deploy_system, local_role_holders
from sovereign.manifest import manifest_path, write_manifest
from sovereign.status import make_console

ROLE_LABELS = (
    "governor",
    "minter",
    "burner",
    "guardian",
    "compliance",
    "oracle-reporter",
    "reserve-manager",
    "registrar",
    "central-bank",
    "debt-office",
    "vault-manager",
)


def _is_local() -> bool:
    return chain.chain_id in (31337, 1337)


@click.command(cls=ConnectedProviderCommand)
@click.option(
    "--account",
    "alias",
    default=None,
    help="ape account alias (default on local chains: Anvil's account 0)",
)
@click.option(
    "--holders",
    "holders_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file: role label -> address (required off local chains)",
)
@click.option("--replace", is_flag=True, help="deploy anew over an existing manifest")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def cli(alias, holders_file, replace, yes):
    """Deploy the sovereign stablecoin system and write deployments/<network>.json."""
    logger.set_level("WARNING")
    apefix.apply_all()
    console = make_console()
    path = manifest_path()
    if path.exists() and not replace:
        raise click.ClickException(f"{path} exists: pass --replace to deploy anew over it")
    if _is_local():
        deployer, holders, _ = local_role_holders(accounts.test_accounts)
        if alias:
            deployer = accounts.load(alias)
    else:
        if not alias or not holders_file:
            raise click.ClickException("off a local chain, --account and --holders are required")
        deployer = accounts.load(alias)
        deployer.set_autosign(True)  # passphrase from APE_ACCOUNTS_<alias>_PASSPHRASE
        mapping = json.loads(holders_file.read_text())
        unknown = set(mapping) - set(ROLE_LABELS)
        missing = set(ROLE_LABELS) - set(mapping)
        if unknown or missing:
            raise click.ClickException(
                f"{holders_file}: missing roles {sorted(missing)}, unknown roles {sorted(unknown)}"
            )
        holders = RoleHolders(*[mapping[label] for label in ROLE_LABELS])
    console.print(
        f"network [bold]{chain.provider.network_choice}[/] (chain id {chain.chain_id}), "
        f"deployer [bold]{deployer.address}[/]"
    )
    if not yes:
        click.confirm("Deploy the whole system now?", abort=True)
    system = deploy_system(deployer, holders, SystemConfig(), accept_admin=_is_local())
    compiler = f"solc {config.get_config('solidity').version} (npm solc via tools/solc)"
    write_manifest(path, system, deployer.address, compiler)
    for name, contract in system.contracts().items():
        console.print(f"  {name:<24} {contract.address}")
    console.print(f"written: {path}")
