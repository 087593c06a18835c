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

from ape import chain
from eth_utils import keccak, to_hex

from sovereign import artifacts
from sovereign.deploy import RoleHolders, System, SystemConfig
from sovereign.roles import HOLDER_LABELS


def deployments_dir() -> Path:
    """``deployments/`` of the current folder, or ``$SOVEREIGN_DEPLOYMENTS``."""
    return Path(os.environ.get("SOVEREIGN_DEPLOYMENTS", "deployments"))


REQUIRED = ("SovereignAccessManager", "SovereignStablecoin", "Reserve")
# SystemConfig's Decimal fields, written as strings.
_DECIMAL_CONFIG = ("min_collateral_ratio", "minter_allowance", "bills_ceiling", "bonds_ceiling")


def _kind(name: str) -> str | None:
    """The contract type of a manifest entry: its name, or a feed's (``feed:SB30``)."""
    if name.startswith("feed:"):
        return "ReportedPriceFeed"
    if name.startswith("bond-feed:"):
        return "BondValueFeed"
    prefix = name.split(":", 1)[0] if ":" in name else None
    if prefix in COMMODITY_KINDS:
        return COMMODITY_KINDS[prefix]
    return name if name in artifacts.EXPORTED else None


# Commodity entries (``commodity:SGLD``, ``fx-feed:USD``, ...) -> their contract type.
COMMODITY_KINDS = {
    "commodity": "CommodityToken",
    "quote-feed": "ReportedPriceFeed",
    "price-feed": "FxConvertedFeed",
    "value-feed": "AttestedValueFeed",
    "fx-feed": "ReportedPriceFeed",
}


def genesis_hash() -> str:
    """The hash of block 0: tells two chains with the same id apart (two Anvils)."""
    return to_hex(chain.provider.web3.eth.get_block(0)["hash"])


def code_hash(address: str) -> str:
    return to_hex(keccak(chain.provider.web3.eth.get_code(address)))


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
    safe: dict | None = None,
) -> dict:
    """Write the manifest; ``steps`` are the deploy journal's done steps (every
    transaction of the deployment, in order, with its hash and block),
    ``collateral`` the assets listed at deployment (besides the vault's shares),
    ``safe`` the Safe contracts and the role holders that are Safes, with their owners
    (``deploy --safe-owners``, sovereign.safedeploy)."""
    created = {s["address"]: s for s in steps if s.get("address")}
    contracts = {}
    for name, contract in system.contracts().items():
        step = created.get(contract.address, {})
        contracts[name] = {
            "address": contract.address,
            "tx": step.get("tx"),
            "block": step.get("block"),
            "code_hash": code_hash(contract.address),
        }
    data = {
        "network": chain.provider.network_choice,
        "chain_id": chain.chain_id,
        "genesis_hash": genesis_hash(),
        "deployed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "deployer": deployer,
        "compiler": compiler,
        "config": asdict(system.config),
        "collateral": list(collateral),
        "holders": {
            role.label: getattr(h, "address", h) for role, h in system.holders.by_role().items()
        },
        "contracts": contracts,
        # Receives T-bill proceeds and funds repayments (the deployer unless configured).
        "treasury": system.registry.treasury() if system.registry is not None else None,
        "transactions": [
            {"step": s["label"], "tx": s["tx"], "block": s["block"], "from": s["sender"]}
            for s in steps
        ],
    }
    if safe:
        data["safe"] = safe
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=_json_default) + "\n")
    return data


def add_contracts(path: Path, created: dict[str, tuple[str, object]]) -> dict:
    """Record contracts deployed after the system in its manifest at ``path``: ``created``
    maps an entry name (``feed:SL0000000018``, ``bond-feed:SL0000000018``) to its address
    and creation receipt. The file is replaced atomically; returns the new manifest."""
    data = json.loads(path.read_text())
    for name, (address, receipt) in created.items():
        data["contracts"][name] = {
            "address": address,
            "tx": receipt.txn_hash,
            "block": receipt.block_number,
            "code_hash": code_hash(address),
        }
        data.setdefault("transactions", []).append(
            {
                "step": f"deploy {name}",
                "tx": receipt.txn_hash,
                "block": receipt.block_number,
                "from": receipt.sender,
            }
        )
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, default=_json_default) + "\n")
    os.replace(tmp, path)
    return data


def load_manifest(path: Path) -> dict:
    """The manifest at ``path``, checked against the connected chain; one line if not."""
    if not path.is_file():
        raise ManifestError(
            f"no deployment manifest at {path}: deploy first (ape treasury deploy), or point "
            "SOVEREIGN_DEPLOYMENTS at the folder that holds it"
        )
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ManifestError(f"{path} is not valid JSON: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("contracts"), dict):
        raise ManifestError(f"{path} is not a deployment manifest (no contracts)")
    if data.get("chain_id") != chain.chain_id:
        raise ManifestError(
            f"{path} is for chain id {data.get('chain_id')}, but the network is chain id "
            f"{chain.chain_id}: wrong --network?"
        )
    if data.get("genesis_hash") and data["genesis_hash"] != genesis_hash():
        raise ManifestError(
            f"{path} was written on another chain with the same id {chain.chain_id} (its first "
            "block differs, e.g. an earlier Anvil): deploy again, or move the old manifest away"
        )
    for name in REQUIRED:
        entry = data["contracts"].get(name)
        if not isinstance(entry, dict) or not isinstance(entry.get("address"), str):
            raise ManifestError(f"{path} lacks {name}: an interrupted deploy, or an edited file?")
    for label in HOLDER_LABELS:
        if not isinstance(data.get("holders", {}).get(label), str):
            raise ManifestError(f"{path} names no holder of the {label} role")
    return data


def _check_code(name: str, entry: dict) -> None:
    """The contract is where the manifest says, with the code it recorded."""
    address = entry["address"]
    try:
        found = code_hash(address)
    except ValueError:
        raise ManifestError(
            f"the manifest's {name} address {address!r} is not an address"
        ) from None
    if found == to_hex(keccak(b"")):
        raise ManifestError(
            f"no contract at the manifest's {name} address {address}: the manifest is of "
            "another deployment or chain"
        )
    if entry.get("code_hash") and entry["code_hash"] != found:
        raise ManifestError(f"the code at {name} {address} is not the code the manifest recorded")


def load_system(data: dict) -> System:
    """The System a manifest describes, with contract instances at its addresses."""
    instances = {}
    for name, entry in data["contracts"].items():
        kind = _kind(name)
        if kind is None:
            continue
        _check_code(name, entry)
        instances[name] = artifacts.at(kind, entry["address"])
    try:
        config = SystemConfig(
            **{k: Decimal(v) if k in _DECIMAL_CONFIG else v for k, v in data["config"].items()}
        )
        holders = RoleHolders(*[data["holders"][label] for label in HOLDER_LABELS])
    except (KeyError, TypeError, ArithmeticError) as err:
        raise ManifestError(f"the manifest's config or holders are malformed: {err}") from None
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
        bond_registry=instances.get("BondRegistry"),
        ceilings=instances.get("ProgramCeilings"),
        desk=instances.get("RedemptionDesk"),
        feeds={k.split(":", 1)[1]: v for k, v in instances.items() if k.startswith("feed:")},
        bond_feeds={
            k.split(":", 1)[1]: v for k, v in instances.items() if k.startswith("bond-feed:")
        },
        commodity=_commodity_book(instances),
    )


def _commodity_book(instances: dict):
    """The deployment's commodity contracts, or None when it has none."""
    from sovereign.deploycommodity import Commodity, CommodityBook, FxSpec

    fx = [k for k in instances if k.startswith("fx-feed:")]
    if "ReserveAttestations" not in instances or not fx:
        return None
    book = CommodityBook(
        instances["ReserveAttestations"],
        instances["ProgramCeilings"],
        instances[fx[0]],
        FxSpec(quote=fx[0].split(":", 1)[1]),
    )
    for name, token in instances.items():
        if name.startswith("commodity:"):
            symbol = name.split(":", 1)[1]
            book.commodities[symbol] = Commodity(
                None,
                token,
                instances[f"quote-feed:{symbol}"],
                instances[f"price-feed:{symbol}"],
                instances[f"value-feed:{symbol}"],
            )
    return book


# Short names of the contracts, beside their lower-cased type names.
CONTRACT_LABELS = {
    "SovereignAccessManager": "manager",
    "SettlementCash": "cash",
    "SovereignStablecoin": "stablecoin",
    "Reserve": "reserve",
    "TBillRegistry": "registry",
    "TBillVault": "vault",
    "VaultNavFeed": "vault-nav-feed",
    "BondRegistry": "bond-registry",
    "ReserveAttestations": "attestations",
    "ProgramCeilings": "ceilings",
    "RedemptionDesk": "desk",
}


def labels(data: dict) -> dict[str, str]:
    """Names an operator may use instead of addresses: contracts (``reserve``,
    ``feed-SB30``, ...) and role holders (``minter``, ``treasury``, ...)."""
    out = {}
    for name, entry in data["contracts"].items():
        out[name.lower().replace("feed:", "feed-")] = entry["address"]
        if name in CONTRACT_LABELS:
            out[CONTRACT_LABELS[name]] = entry["address"]
    out.update(data["holders"])
    if data.get("treasury"):
        out["treasury"] = data["treasury"]
    return out
