"""``ape treasury deploy``: deploy and wire the whole system, and write its manifest.

    ape treasury deploy                                       # local Anvil, test accounts
    ape treasury deploy --network ethereum:local:http://127.0.0.1:8545 --yes
    ape treasury deploy --network ethereum:sepolia:node --account deployer --config sepolia.yaml

``--config`` names a YAML file (the repository's deploy/local.yaml shows every
setting). On a local chain without ``holders`` in the file, the role holders are
Anvil's test accounts (see README); elsewhere the file's ``holders`` maps each role
label to an address. A network that already has a manifest is refused unless
``--replace``. Every transaction is journaled as it is sent
(``deployments/<network>.partial.json``, see sovereign/deploysteps.py); ``--resume``
finishes a deploy that stopped half-way, sending only the steps that never landed.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click
from ape import accounts, chain
from ape.cli import incompatible_with, network_option, skip_confirmation_option
from ape.cli.choices import AccountAliasPromptChoice

from sovereign.cli.base import DEFAULT_NETWORK, TreasuryCommand, confirm, json_option
from sovereign.operations import OperationRefused, is_local, unlock


def register(cli: click.Group) -> None:
    cli.add_command(deploy)


def collateral_entry(spec) -> dict:
    """A collateral asset as the manifest records it (the cash token by name)."""
    entry = asdict(spec)
    entry["asset"] = spec.asset if isinstance(spec.asset, str) else spec.asset.address
    return entry


def _compiler() -> str:
    from sovereign.artifacts import compiler

    return compiler()


@click.command("deploy", cls=TreasuryCommand)
@click.option(
    "--account",
    type=AccountAliasPromptChoice(),
    help="ape account that deploys (default on a local chain: Anvil's account 0)",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path, exists=True),
    help="deployment configuration (YAML); `holders` required off local chains",
)
@click.option(
    "--replace",
    is_flag=True,
    cls=incompatible_with(["resume"]),
    help="deploy anew over an existing manifest",
)
@click.option(
    "--resume",
    is_flag=True,
    cls=incompatible_with(["replace"]),
    help="finish an interrupted deploy of this network",
)
@click.option(
    "--safe-owners",
    metavar="A,B,C",
    help="local chains: the governor (also the admin) and the minter become 2-of-3 Safes "
    "of these three test accounts (addresses)",
)
@skip_confirmation_option(help="deploy without asking")
@json_option
@network_option(default=DEFAULT_NETWORK)
def deploy(account, config_file, replace, resume, safe_owners, skip_confirmation, as_json):
    """Deploy the sovereign stablecoin system and write its manifest, under
    deployments/ of the current folder (or $SOVEREIGN_DEPLOYMENTS). Signer: --account."""
    result = run_deploy(
        account, config_file, replace, resume, skip_confirmation, as_json, safe_owners
    )
    if as_json:
        click.echo(json.dumps(result, indent=2))


def _safe_owners(text: str | None) -> list:
    """The three owners of ``--safe-owners``: test accounts of this local chain, since the
    deploy approves the governor Safe's acceptance of the admin role with two of them."""
    if text is None:
        return []
    from eth_utils import is_checksum_address

    from sovereign.inputs import InputError

    if not is_local():
        raise OperationRefused("--safe-owners: Safes are created by deploy on local chains only")
    parts = [p.strip() for p in text.split(",")]
    by_address = {a.address: a for a in accounts.test_accounts}
    if len(parts) != 3 or len(set(parts)) != 3:
        raise InputError(f"--safe-owners: {text!r} must name three different addresses")
    for part in parts:
        if not is_checksum_address(part):
            raise InputError(f"--safe-owners: {part!r} is not a checksummed address")
        if part not in by_address:
            raise InputError(f"--safe-owners: {part} is not a test account of this chain")
    return [by_address[p] for p in parts]


def run_deploy(account, config_file, replace, resume, yes, as_json=False, safe_owners=None) -> dict:
    from rich.console import Console

    from sovereign.deploy import RoleHolders, deploy_system, local_role_holders
    from sovereign.deployconfig import DeployConfig, load_deploy_config
    from sovereign.deployconfig_commodity import resolve_holders
    from sovereign.deploysteps import DeployError, DeployJournal
    from sovereign.manifest import manifest_path, write_manifest
    from sovereign.roles import HOLDER_LABELS
    from sovereign.status import make_console

    console = Console(stderr=True, width=160) if as_json else make_console()
    path = manifest_path()
    partial = path.with_name(path.stem + ".partial.json")
    if path.exists() and not replace:
        raise OperationRefused(f"{path} exists: pass --replace to deploy anew over it")
    if resume and not partial.exists():
        raise OperationRefused(f"no interrupted deploy to resume at {partial}")
    if partial.exists() and not (resume or replace):
        raise OperationRefused(
            f"an interrupted deploy was found at {partial}: pass --resume to finish it, "
            "or --replace to start over"
        )
    config = load_deploy_config(config_file) if config_file else DeployConfig()
    system_config, mapping, collateral = config.system, config.holders, config.collateral
    if is_local() and mapping is None:
        deployer, holders, _ = local_role_holders(accounts.test_accounts)
        if account is not None:
            deployer = unlock(account, account.alias or "")
    else:
        if account is None or mapping is None:
            raise OperationRefused(
                "off a local chain, --account and a --config with holders are required"
            )
        deployer = unlock(account, account.alias or "")
        holders = RoleHolders(*[mapping[label] for label in HOLDER_LABELS])
    owners = _safe_owners(safe_owners)
    # Attesters and custodians named by role label: the holders of this deployment.
    commodities = resolve_holders(
        config.commodities,
        {role.label: getattr(h, "address", h) for role, h in holders.by_role().items()},
    )
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
    if commodities:  # recorded only then, as the Safe owners below
        header["commodities"] = json.loads(
            json.dumps({"fx": asdict(config.fx), "specs": [asdict(c) for c in commodities]},
                       default=str)
        )  # fmt: skip
    if owners:  # recorded only then: an older journal's header stays the same
        header["safe_owners"] = [o.address for o in owners]
    try:
        journal = DeployJournal(partial, header, resume=resume, show=console.print)
    except DeployError as err:
        raise OperationRefused(str(err)) from None
    if resume:
        console.print(f"resuming {partial}: {journal.resumed} steps already done")
    if not yes and not confirm("Deploy the whole system now?"):
        raise OperationRefused("not confirmed; nothing sent")
    # The admin transfer is accepted here only when the governor's key is at hand
    # (Anvil's test accounts); otherwise the governor accepts it later.
    accept = is_local() and mapping is None
    try:
        safe, holders = _role_safes(deployer, holders, owners, journal)
        system = deploy_system(
            deployer,
            holders,
            system_config,
            collateral=collateral,
            commodities=commodities,
            fx=config.fx,
            accept_admin=accept and not owners,
            journal=journal,
        )
        if owners:
            _accept_admin(deployer, system, safe, owners, journal)
            accept = True
    except DeployError as err:
        raise OperationRefused(str(err)) from None
    steps = journal.done_steps()
    manifest = write_manifest(
        path, system, deployer.address, _compiler(), steps, header["collateral"], safe
    )
    partial.unlink()
    console.print(f"{len(steps)} transactions ({len(steps) - journal.resumed} sent by this run)")
    for name, contract in system.contracts().items():
        console.print(f"  {name:<24} {contract.address}")
    console.print(f"manifest: {path}")
    if not accept:
        console.print(f"the governor {holders.governor} must now call acceptAdminTransfer()")
    if safe:
        for role, entry in safe["accounts"].items():
            console.print(f"  {role + ' Safe (2 of 3)':<24} {entry['address']}")
    return {"manifest": str(path), "contracts": manifest["contracts"], "sent": len(steps)} | (
        {"safe": safe} if safe else {}
    )


def _role_safes(deployer, holders, owners, journal):
    """With --safe-owners: the Safe contracts and a 2-of-3 Safe for the governor and the
    minter, first steps of the journal; the holders then name the Safes."""
    from dataclasses import replace

    from sovereign import safedeploy
    from sovereign.deployphases import Deployment

    if not owners:
        return None, holders
    run = Deployment(deployer, journal)
    contracts = safedeploy.deploy_safe_contracts(run)
    safes = safedeploy.deploy_role_safes(run, contracts, [o.address for o in owners])
    entry = contracts.as_dict() | {
        "accounts": {
            role: {
                "address": s.address,
                "owners": [o.address for o in owners],
                "threshold": safedeploy.THRESHOLD,
            }
            for role, s in safes.items()
        }
    }
    return entry, replace(holders, **{role: s.address for role, s in safes.items()})


def _accept_admin(deployer, system, safe, owners, journal) -> None:
    from sovereign import safedeploy
    from sovereign.deployphases import Deployment
    from sovereign.safeops import safe_at

    governor = safe_at(safe["accounts"]["governor"]["address"])
    safedeploy.accept_admin(Deployment(deployer, journal), system.manager, governor, owners)
