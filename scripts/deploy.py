"""`ape run deploy`: deploy and wire the whole system, and write its manifest.

    ape run deploy --network ethereum:local:foundry                 # Anvil's test accounts
    ape run deploy --network http://127.0.0.1:8545 --yes            # a node already running
    ape run deploy --network ethereum:sepolia:node --account treasury --config deploy/sepolia.yaml

`--config` names a YAML file (deploy/local.yaml shows every setting). On a
local chain without `holders` in the file, the role holders are Anvil's test
accounts (see README); elsewhere the file's `holders` maps each role label to
an address. A network that already has a manifest is refused unless `--replace`.

Every transaction is journaled as it is sent (deployments/<network>.partial.json,
see sovereign/deploysteps.py). A deploy that stopped half-way (a crash, a killed
node, a lost connection) is finished by `--resume`, which sends only the steps
that never landed; `--replace` abandons it and starts over.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click
from ape import accounts, chain, config
from ape.cli import ConnectedProviderCommand
from ape.logging import logger

from sovereign import apefix
from sovereign.deploy import (
    CollateralSpec,
    RoleHolders,
    SystemConfig,
    deploy_system,
    local_role_holders,
)
from sovereign.deployconfig import ROLE_LABELS, load_deploy_config
from sovereign.deploysteps import DeployError, DeployJournal
from sovereign.inputs import InputError
from sovereign.manifest import manifest_path, write_manifest
from sovereign.operations import OperationRefused, is_local, signer
from sovereign.status import make_console


def _keystore(alias: str):
    """An ape keystore account, unlocked from APE_ACCOUNTS_<alias>_PASSPHRASE (or a
    prompt on a terminal); one line when it cannot be."""
    try:
        return signer(alias, "deployer", {"holders": {}})
    except OperationRefused as err:
        raise click.ClickException(str(err)) from None


def collateral_entry(spec: CollateralSpec) -> dict:
    """A collateral asset as the manifest records it (the cash token by name)."""
    entry = asdict(spec)
    entry["asset"] = spec.asset if isinstance(spec.asset, str) else spec.asset.address
    return entry


@click.command(cls=ConnectedProviderCommand)
@click.option(
    "--account",
    "alias",
    default=None,
    help="ape account alias (default on local chains: Anvil's account 0)",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="deployment configuration (YAML); `holders` required off local chains",
)
@click.option("--replace", is_flag=True, help="deploy anew over an existing manifest")
@click.option("--resume", is_flag=True, help="finish an interrupted deploy of this network")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def cli(alias, config_file, replace, resume, yes):
    """Deploy the sovereign stablecoin system and write deployments/<network>.json."""
    logger.set_level("WARNING")
    apefix.apply_all()
    console = make_console()
    path = manifest_path()
    partial = path.with_name(path.stem + ".partial.json")
    if resume and replace:
        raise click.ClickException("--resume and --replace exclude each other")
    if path.exists() and not replace:
        raise click.ClickException(f"{path} exists: pass --replace to deploy anew over it")
    if resume and not partial.exists():
        raise click.ClickException(f"no interrupted deploy to resume at {partial}")
    if partial.exists() and not (resume or replace):
        raise click.ClickException(
            f"an interrupted deploy was found at {partial}: pass --resume to finish it, "
            "or --replace to start over"
        )
    try:
        system_config, mapping, collateral = (
            load_deploy_config(config_file) if config_file else (SystemConfig(), None, [])
        )
    except InputError as err:
        raise click.ClickException(str(err)) from None
    if is_local() and mapping is None:
        deployer, holders, _ = local_role_holders(accounts.test_accounts)
        if alias:
            deployer = _keystore(alias)
    else:
        if not alias or mapping is None:
            raise click.ClickException(
                "off a local chain, --account and a --config with holders are required"
            )
        deployer = _keystore(alias)
        holders = RoleHolders(*[mapping[label] for label in ROLE_LABELS])
    console.print(
        f"network [bold]{chain.provider.network_choice}[/] (chain id {chain.chain_id}), "
        f"deployer [bold]{deployer.address}[/]"
    )
    header = json.loads(
        json.dumps(
            {
                "chain_id": chain.chain_id,
                "deployer": deployer.address,
                "config": asdict(system_config),
                "collateral": [collateral_entry(spec) for spec in collateral],
                "holders": {
                    role.label: getattr(h, "address", h) for role, h in holders.by_role().items()
                },
            },
            default=str,
        )
    )
    try:
        journal = DeployJournal(partial, header, resume=resume)
    except DeployError as err:
        raise click.ClickException(str(err)) from None
    if resume:
        console.print(f"resuming {partial}: {journal.resumed} steps already done")
    if not yes:
        click.confirm("Deploy the whole system now?", abort=True)
    # The admin transfer is accepted here only when the governor's key is at hand
    # (Anvil's test accounts); otherwise the governor accepts it later.
    accept = is_local() and mapping is None
    try:
        system = deploy_system(
            deployer,
            holders,
            system_config,
            collateral=collateral,
            accept_admin=accept,
            journal=journal,
        )
    except DeployError as err:
        raise click.ClickException(str(err)) from None
    compiler = f"solc {config.get_config('solidity').version} (npm solc via tools/solc)"
    steps = journal.done_steps()
    write_manifest(path, system, deployer.address, compiler, steps, header["collateral"])
    partial.unlink()
    console.print(f"{len(steps)} transactions ({len(steps) - journal.resumed} sent by this run)")
    for name, contract in system.contracts().items():
        console.print(f"  {name:<24} {contract.address}")
    if not accept:
        console.print(f"the governor {holders.governor} must now call acceptAdminTransfer()")
    console.print(f"written: {path}")
