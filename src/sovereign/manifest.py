"""Deployment manifests: one JSON file per network under ``deployments/``.

A manifest records what was deployed (addresses, creation transactions and
blocks), with which configuration, role holders and compiler, so that every
later operation finds the system from the network name alone.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from ape import chain, project

from sovereign.deploy import RoleHolders, System, SystemConfig
from sovereign.roles import HOLDER_LABELS


def deployments_dir() -> Path:
    """``deployments/``, or ``$SOVEREIGN_DEPLOYMENTS`` (the tests use a temporary one)."""
    return Path(os.environ.get("SOVEREIGN_DEPLOYMENTS", "deployments"))


CONTRACT_TYPES = {
    "SovereignAccessManager": "SovereignAccessManager",
    "SettlementCash": "SettlementCash",
    "SovereignStablecoin": "SovereignStablecoin",
    "Reserve": "Reserve",
    "TBillRegistry": "TBillRegistry",
    "TBillVault": "TBillVault",
    "VaultNavFeed": "VaultNavFeed",
}


class ManifestError(Exception):
    """No usable manifest; the message is one line."""


def manifest_path() -> Path:
    """The connected network's manifest: ``deployments/<ecosystem>-<network>-<chain id>.json``.

    Keyed by ecosystem, network and chain id, not by provider: the same chain
    reached through the embedded Anvil or an external node (``--network
    http://host:port``) is the same deployment target.
    """
    network = chain.provider.network
    return deployments_dir() / f"{network.ecosystem.name}-{network.name}-{chain.chain_id}.json"


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a manifest")


def write_manifest(
    path: Path,
    system: System,
    deployer: str,
    compiler: str,
    steps: list[dict],
    collateral: list[dict] = (),
) -> dict:
    """Write the manifest; ``steps`` are the deploy journal's done steps (every
    transaction of the deployment, in order, with its hash and block),
    ``collateral`` the assets listed at deployment (besides the vault's shares)."""
    created = {s["address"]: s for s in steps if s.get("address")}
    contracts = {}
    for name, contract in system.contracts().items():
        step = created.get(contract.address, {})
        contracts[name] = {
            "address": contract.address,
            "tx": step.get("tx"),
            "block": step.get("block"),
        }
    data = {
        "network": chain.provider.network_choice,
        "chain_id": chain.chain_id,
        "deployed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "deployer": deployer,
        "compiler": compiler,
        "config": asdict(system.config),
        "collateral": list(collateral),
        "holders": {
            role.label: getattr(h, "address", h) for role, h in system.holders.by_role().items()
        },
        "contracts": contracts,
        "transactions": [
            {"step": s["label"], "tx": s["tx"], "block": s["block"], "from": s["sender"]}
            for s in steps
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=_json_default) + "\n")
    return data


def load_manifest(path: Path) -> dict:
    if not path.is_file():
        raise ManifestError(f"no deployment manifest at {path}: run `ape run deploy` first")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ManifestError(f"{path} is not valid JSON: {err}") from None
    if data.get("chain_id") != chain.chain_id:
        raise ManifestError(
            f"{path} is for chain id {data.get('chain_id')}, but the network is chain id "
            f"{chain.chain_id}: wrong --network?"
        )
    return data


def load_system(data: dict) -> System:
    """The System a manifest describes, with contract instances at its addresses."""
    instances = {}
    for name, entry in data["contracts"].items():
        kind = CONTRACT_TYPES.get(name) or (
            "ReportedPriceFeed" if name.startswith("feed:") else None
        )
        if kind is None:
            continue
        instances[name] = getattr(project, kind).at(entry["address"])
    missing = {"SovereignAccessManager", "SovereignStablecoin", "Reserve"} - instances.keys()
    if missing:
        raise ManifestError(f"manifest lacks {', '.join(sorted(missing))}: an interrupted deploy?")
    config = SystemConfig(
        **{
            k: Decimal(v) if k in ("min_collateral_ratio", "minter_allowance") else v
            for k, v in data["config"].items()
        }
    )
    holders = RoleHolders(*[data["holders"][label] for label in HOLDER_LABELS])
    return System(
        manager=instances["SovereignAccessManager"],
        cash=instances.get("SettlementCash"),
        stablecoin=instances["SovereignStablecoin"],
        reserve=instances["Reserve"],
        config=config,
        holders=holders,
        registry=instances.get("TBillRegistry"),
        vault=instances.get("TBillVault"),
        vault_feed=instances.get("VaultNavFeed"),
        feeds={k.split(":", 1)[1]: v for k, v in instances.items() if k.startswith("feed:")},
    )


def labels(data: dict) -> dict[str, str]:
    """Names an operator may use instead of addresses: contracts and role holders."""
    out = {
        name.lower().replace("feed:", "feed-"): entry["address"]
        for name, entry in data["contracts"].items()
    }
    out.update(data["holders"])
    return out
