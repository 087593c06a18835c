"""What the two audit scripts share: paths, the compiler input, the cache, the triage file.

Runs in the audit virtual environment (.venv-audit), which holds slither and its set but
no YAML library (constraints-audit.txt is slither's set only), so the triage file is read
by a small parser for the plain subset of YAML it is written in (see `load_yaml`).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
# Mocks and the plain OpenZeppelin baselines (tests and benchmarks only): not compiled,
# not analysed, so a new mock can neither add findings nor invalidate the cache.
TEST_CONTRACTS = "contracts/test/"
OZ_DIR = ROOT / "node_modules" / "@openzeppelin" / "contracts"
AUDIT_VENV = ROOT / ".venv-audit"
CACHE_DIR = ROOT / ".cache" / "audit"
REPORTS = ROOT / "reports"
TRIAGE_FILE = ROOT / "audit" / "slither-triage.yaml"
# What ape-config.yaml compiles with. The optimizer is left off: slither reads the AST,
# which the optimizer does not change, and solcjs compiles twice as fast without it.
EVM_VERSION = "prague"
REMAPPING = "@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"
INSTALL_HINT = "run make audit, which installs .venv-audit"


class AuditError(Exception):
    """A set-up or input problem, reported in one line (exit status 2)."""


def fail_setup(prog: str, message: str) -> None:
    print(f"{prog}: {message}", file=sys.stderr)
    sys.exit(2)


def rel(path: Path) -> str:
    """A path relative to the repository when it lies inside it."""
    path = path.resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


# ---------------------------------------------------------------- tools and compiler input


def audit_tool(name: str) -> Path:
    """A console script of the audit venv: next to the running interpreter, else .venv-audit."""
    for candidate in (Path(sys.executable).parent / name, AUDIT_VENV / "bin" / name):
        if candidate.is_file():
            return candidate
    raise AuditError(f"{name} not found in .venv-audit: {INSTALL_HINT}")


def solc_wrapper() -> Path:
    """tools/solc/bin/solc-v<npm solc version>, as the Makefile's solc stamp checks it."""
    package = ROOT / "node_modules" / "solc" / "package.json"
    if not package.is_file() or not OZ_DIR.is_dir():
        raise AuditError("node_modules is missing (npm solc, OpenZeppelin): run make setup")
    version = json.loads(package.read_text())["version"]
    wrapper = ROOT / "tools" / "solc" / "bin" / f"solc-v{version}"
    if not wrapper.is_file():
        raise AuditError(f"{rel(wrapper)} is missing: the wrapper must match npm solc {version}")
    return wrapper


def sources() -> list[str]:
    """The project's Solidity sources, relative to the repository, without the mocks."""
    found = sorted(rel(p) for p in CONTRACTS.rglob("*.sol"))
    found = [p for p in found if not p.startswith(TEST_CONTRACTS)]
    if not found:
        raise AuditError("no Solidity sources under contracts/")
    return found


def standard_json_input() -> dict:
    """One solc standard-JSON compilation of every project source (crytic-compile's solc-json)."""
    return {
        "language": "Solidity",
        "sources": {path: {"urls": [path]} for path in sources()},
        "settings": {
            "remappings": [REMAPPING],
            "optimizer": {"enabled": False},
            "evmVersion": EVM_VERSION,
            "outputSelection": {
                "*": {
                    "*": [
                        "abi",
                        "evm.bytecode.object",
                        "evm.bytecode.sourceMap",
                        "evm.deployedBytecode.object",
                        "evm.deployedBytecode.sourceMap",
                    ],
                    "": ["ast"],
                }
            },
        },
    }


def write_compiler_input(name: str) -> Path:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / name
    path.write_text(json.dumps(standard_json_input(), indent=1, sort_keys=True))
    return path


def package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def input_key(*extra: str) -> str:
    """Changes whenever anything the analysis reads changes: the sources, OpenZeppelin's
    version, the compiler, slither and crytic-compile, these scripts."""
    h = hashlib.sha256()
    for path in sources():
        h.update(path.encode() + b"\0" + (ROOT / path).read_bytes() + b"\0")
    for path in (
        OZ_DIR / "package.json",
        ROOT / "node_modules" / "solc" / "package.json",
        ROOT / "tools" / "solc" / "solc.js",
        Path(__file__),
        Path(sys.argv[0]).resolve(),
    ):
        h.update(path.read_bytes() + b"\0")
    for name in ("slither-analyzer", "crytic-compile"):
        h.update(package_version(name).encode() + b"\0")
    for item in extra:
        h.update(item.encode() + b"\0")
    return h.hexdigest()


def cached(name: str, key: str) -> dict | None:
    path = CACHE_DIR / name
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data.get("result") if data.get("key") == key else None


def store(name: str, key: str, result: dict) -> None:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = CACHE_DIR / (name + ".tmp")
    tmp.write_text(json.dumps({"key": key, "result": result}))
    tmp.replace(CACHE_DIR / name)


# ---------------------------------------------------------------- text helpers

_SOURCE_REF = re.compile(r"\s*\((?:[^()\s]+/)?[^()\s/]+\.sol#\d+(?:-\d+)?\)")


def strip_source_refs(text: str) -> str:
    """A slither description without its `(file.sol#12-34)` references (line numbers move)."""
    return _SOURCE_REF.sub("", text)


def md_cell(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def seconds(t: float) -> str:
    return f"{t:.1f} s"


# ---------------------------------------------------------------- the triage file's YAML


class YamlError(AuditError):
    pass


def load_yaml(path: Path) -> object:
    try:
        text = path.read_text()
    except OSError as exc:
        raise AuditError(f"cannot read {rel(path)}: {exc.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlError(f"{rel(path)}{where}: not valid YAML ({problem})") from None


# ---------------------------------------------------------------- the triage file

# section -> (required keys, optional keys); every value is a string or a list of strings.
SCHEMA = {
    "triaged": ({"detector", "where", "reason"}, {"match"}),
    "fixed": ({"detector", "where", "fix"}, {"match"}),
    "erc_allowlist": ({"contract", "standard", "issue", "reason"}, {"match"}),
}
LIST_KEYS = {"where", "match", "contract"}


@dataclass
class Entry:
    section: str
    index: int  # 1-based within its section
    fields: dict

    def items(self, key: str) -> list[str]:
        value = self.fields.get(key, [])
        return value if isinstance(value, list) else [value]

    @property
    def label(self) -> str:
        return f"{self.section}[{self.index}]"


def load_triage(path: Path = TRIAGE_FILE) -> dict[str, list[Entry]]:
    if not path.is_file():
        raise AuditError(f"{rel(path)} is missing (the committed triage file)")
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise AuditError(f"{rel(path)}: the top level must be a mapping of sections")
    unknown = set(data) - set(SCHEMA)
    if unknown:
        known = ", ".join(SCHEMA)
        raise AuditError(f"{rel(path)}: unknown section(s) {sorted(unknown)}; known: {known}")
    result: dict[str, list[Entry]] = {}
    for section, (required, optional) in SCHEMA.items():
        entries = data.get(section) or []
        if not isinstance(entries, list):
            raise AuditError(f"{rel(path)}: {section} must be a list")
        result[section] = []
        for i, fields in enumerate(entries, 1):
            where = f"{rel(path)}: {section}[{i}]"
            if not isinstance(fields, dict):
                raise AuditError(f"{where} must be a mapping")
            missing, extra = required - set(fields), set(fields) - required - optional
            if missing or extra:
                raise AuditError(
                    f"{where}: missing {sorted(missing)}, unknown {sorted(extra)}"
                    if missing and extra
                    else f"{where}: missing {sorted(missing)}"
                    if missing
                    else f"{where}: unknown {sorted(extra)}"
                )
            for key, value in fields.items():
                values = value if isinstance(value, list) and key in LIST_KEYS else [value]
                if not values or not all(isinstance(v, str) and v.strip() for v in values):
                    raise AuditError(f"{where}: {key} must be a non-empty string or list of them")
            for key in ("reason", "fix"):
                if key in fields and len(fields[key].split()) < 4:
                    raise AuditError(f"{where}: {key} must say why, in words")
            result[section].append(Entry(section, i, fields))
    return result
