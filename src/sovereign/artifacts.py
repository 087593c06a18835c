"""The system's compiled contract types, shipped inside the package.

Why package data and not ape's project: ``ape treasury`` works from any folder,
where ape's ``project`` is the operator's folder, with no contracts in it. Why not
the manifest: ``ape treasury deploy`` needs the bytecode before any manifest
exists, and a toolkit version is one set of contracts, deployed and operated
alike. ``make compile`` exports them from ``.build/`` (``python -m
sovereign.artifacts``); a test checks the export equals the compiled project, and
the manifest records each contract's code hash so that a mismatch is named.
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from pathlib import Path

from ethpm_types import ContractType

ARTIFACTS = Path(__file__).parent / "artifacts"

# The contracts a deployment creates or operates; MockERC20 is the local chains'
# stand-in collateral asset (and an ERC-20 ABI for any listed asset).
EXPORTED = (
    "SovereignAccessManager",
    "SettlementCash",
    "SovereignStablecoin",
    "Reserve",
    "ReportedPriceFeed",
    "TBillRegistry",
    "TBillSeries",
    "TBillVault",
    "VaultNavFeed",
    "BondRegistry",
    "BondSeries",
    "BondValueFeed",
    "ReserveAttestations",
    "ProgramCeilings",
    "FxConvertedFeed",
    "CommodityToken",
    "AttestedValueFeed",
    "RedemptionDesk",
    "MockERC20",
)
# Safe 1.4.1 (two-person approval, sovereign.safeops): deployed and journaled like the
# system's own contracts, so a resumed deploy finds them by these names.
SAFE_TYPES = ("SafeL2", "SafeProxyFactory", "MultiSendCallOnly")
_KEPT = ("contractName", "sourceId", "abi", "deploymentBytecode", "runtimeBytecode")


class ArtifactsMissing(Exception):
    """The package was installed without its contract types (run ``make compile``)."""


@cache
def contract_type(name: str) -> ContractType:
    if name in SAFE_TYPES:  # compiled and shipped by ape-safe, not by this project
        from sovereign.safeops import safe_contract_type

        return safe_contract_type(name)
    path = ARTIFACTS / f"{name}.json"
    if not path.is_file():
        raise ArtifactsMissing(
            f"the sovereign package has no compiled {name} ({path}): run `make compile`"
        )
    return ContractType.model_validate_json(path.read_text())


def container(name: str):
    """An ape ContractContainer (``.deploy``, ``.at``) for the contract ``name``."""
    from ape.contracts import ContractContainer

    return ContractContainer(contract_type(name))


def at(name: str, address: str):
    """The contract ``name`` at ``address``: this type, never one ape cached on disk for
    that address (a custom network's cache can hold another chain's contract there),
    and no explorer asked."""
    from ape.contracts import ContractInstance

    return ContractInstance(address, contract_type(name))


def all_types() -> list[ContractType]:
    return [contract_type(name) for name in EXPORTED]


def compiler() -> str:
    """The compiler and settings the shipped contract types were built with."""
    path = ARTIFACTS / "compilers.json"
    if not path.is_file():
        raise ArtifactsMissing(f"the sovereign package has no {path}: run `make compile`")
    entries = json.loads(path.read_text())
    return "; ".join(
        f"solc {e['version']} ({', '.join(f'{k} {v}' for k, v in sorted(e['settings'].items()))})"
        for e in entries
    )


def export(build: Path, out: Path = ARTIFACTS) -> list[Path]:
    """Write the exported contract types of ape's ``build`` manifest into ``out``."""
    manifest = json.loads(build.read_text())
    types = manifest["contractTypes"]
    out.mkdir(parents=True, exist_ok=True)
    compilers = [
        {
            "name": c["name"],
            "version": c["version"],
            "settings": {
                k: v
                for k, v in c.get("settings", {}).items()
                if k in ("evmVersion", "optimizer", "viaIR")
            },
        }
        for c in manifest.get("compilers", [])
    ]
    _write(out / "compilers.json", json.dumps(compilers, sort_keys=True) + "\n")
    written = []
    for name in EXPORTED:
        kept = {k: types[name][k] for k in _KEPT if k in types[name]}
        path = out / f"{name}.json"
        _write(path, json.dumps(kept, sort_keys=True) + "\n")
        written.append(path)
    return written


def _write(path: Path, text: str) -> None:
    """Atomically, and only when the content changes (test workers export at once)."""
    if path.is_file() and path.read_text() == text:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    export(Path(sys.argv[1] if len(sys.argv) > 1 else ".build/__local__.json"))
