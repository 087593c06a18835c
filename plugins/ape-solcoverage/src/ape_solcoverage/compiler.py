"""The coverage compile: solc's standard-JSON output for the project, cached.

From ape-config.yaml's solidity settings and remappings, with the solc binary of
``sol_coverage_solc``: the project is compiled once more for its source maps and ASTs
(README, "Method" 3).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from ape_solcoverage.settings import Settings

_VERSION = re.compile(r"solc-v(\d+)\.(\d+)\.(\d+)$")


def ape_config(root: Path) -> dict:
    """The ape project's configuration: ape-config.yaml (.yml, .json), else
    pyproject.toml's [tool.ape]."""
    import yaml

    for name in ("ape-config.yaml", "ape-config.yml", "ape-config.json"):
        path = root / name
        if path.is_file():
            return yaml.safe_load(path.read_text()) or {}
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        return (tomllib.loads(pyproject.read_text()).get("tool") or {}).get("ape") or {}
    return {}


def contracts_folder(root: Path, config: dict | None = None) -> str:
    config = ape_config(root) if config is None else config
    return str(config.get("contracts_folder") or "contracts").strip("/")


def _dependency_folders(root: Path, config: dict) -> dict[str, Path]:
    """``name/version`` -> the contracts folder of every ``local:`` or ``npm:``
    dependency (what ape's import remappings point at)."""
    out = {}
    for dep in config.get("dependencies") or []:
        if dep.get("local"):
            base = root / dep["local"]
        elif dep.get("npm"):
            base = root / "node_modules" / dep["npm"]
        else:
            continue
        version = dep.get("version")
        if version is None and (base / "package.json").is_file():
            version = json.loads((base / "package.json").read_text()).get("version")
        override = (dep.get("config_override") or {}).get("contracts_folder")
        if override:
            base = base / override
        elif (base / "contracts").is_dir():
            base = base / "contracts"
        out[f"{dep.get('name')}/{version}"] = base
    return out


def remappings(root: Path, config: dict, extra=()) -> list[str]:
    """solc remappings ``prefix/=path/``: ape-config.yaml's import remappings, with a
    dependency's ``name/version`` target resolved to its folder, then ``extra``
    (``prefix=path``, relative to the root; the same prefix replaces the first)."""
    folders = _dependency_folders(root, config)
    sol = config.get("solidity") or {}
    out: dict[str, str] = {}
    for remap in list(sol.get("import_remapping") or []) + list(extra):
        prefix, _, target = remap.strip().partition("=")
        folder = folders.get(target.strip("/"))
        path = os.path.relpath(folder, root) if folder is not None else target
        out[prefix.rstrip("/")] = path.rstrip("/")
    return [f"{prefix}/={path}/" for prefix, path in out.items()]


def find_compiler(settings: Settings, version: str | None) -> Path:
    """The solc binary: ``sol_coverage_solc`` (a file, or a folder of solc-v<version>
    files), else $SOLCX_BINARY_PATH, else ~/.solcx; with no version configured the
    newest there; else ``solc`` on PATH when it reports the version."""
    if settings.solc:
        configured = settings.path(settings.solc)
        if not configured.is_dir():
            return configured
        folder = configured
    else:
        folder = Path(os.environ.get("SOLCX_BINARY_PATH") or Path.home() / ".solcx")
    if version:
        candidate = folder / f"solc-v{version}"
        if candidate.exists():
            return candidate
    else:
        found = sorted(
            (tuple(int(x) for x in m.groups()), p)
            for p in (folder.iterdir() if folder.is_dir() else ())
            if (m := _VERSION.match(p.name))
        )
        if found:
            return found[-1][1]
    on_path = shutil.which("solc")
    if on_path:
        done = subprocess.run([on_path, "--version"], capture_output=True, text=True, check=False)
        if not version or f"Version: {version}+" in done.stdout:
            return Path(on_path)
    wanted = f"solc-v{version}" if version else "solc-v<version>"
    raise RuntimeError(
        f"no {wanted} in {folder} and no matching solc on PATH: set sol_coverage_solc"
    )


def compiler_input(settings: Settings) -> tuple[dict, Path]:
    """The standard-JSON input: every source under the contracts folder with
    ape-config.yaml's solidity settings and remappings."""
    root = settings.root
    config = ape_config(root)
    sol = config.get("solidity") or {}
    sources = {}
    for folder, dirs, files in os.walk(root / contracts_folder(root, config)):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".sol"):
                path = Path(folder) / name
                sources[path.relative_to(root).as_posix()] = {"content": path.read_text()}
    outputs = [
        "evm.bytecode.object",
        "evm.bytecode.sourceMap",
        "evm.deployedBytecode.object",
        "evm.deployedBytecode.sourceMap",
        "evm.deployedBytecode.immutableReferences",
    ]
    compile_settings = {
        "optimizer": {
            "enabled": bool(sol.get("optimize", True)),
            "runs": int(sol.get("optimization_runs", 200)),
        },
        "remappings": remappings(root, config, settings.remappings),
        "outputSelection": {"*": {"*": outputs, "": ["ast"]}},
    }
    if sol.get("evm_version"):
        compile_settings["evmVersion"] = sol["evm_version"]
    if sol.get("via_ir"):
        compile_settings["viaIR"] = True
    version = str(sol["version"]) if sol.get("version") else None
    data = {"language": "Solidity", "sources": sources, "settings": compile_settings}
    return data, find_compiler(settings, version)


def compile_project(settings: Settings) -> dict:
    """solc's standard-JSON output for the project, cached under ``sol_coverage_cache``
    by the hash of its input, of the compiler and of the ``sol_coverage_stamps`` files
    (a large project takes a while to compile, through solcjs much longer)."""
    root, cache_dir = settings.root, settings.cache_dir
    data, compiler = compiler_input(settings)
    payload = json.dumps(data, sort_keys=True).encode()
    digest = hashlib.sha256(payload)
    digest.update(compiler.read_bytes() if compiler.exists() else compiler.name.encode())
    for stamp in settings.stamps:
        if settings.path(stamp).exists():
            digest.update(settings.path(stamp).read_bytes())
    cached = cache_dir / f"solc-{digest.hexdigest()[:24]}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    done = subprocess.run(
        [str(compiler), "--standard-json", "--base-path", str(root)],
        input=payload,
        capture_output=True,
        cwd=root,
        check=False,
    )
    if done.returncode != 0 or not done.stdout:
        raise RuntimeError(f"solc failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    output = json.loads(done.stdout)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise RuntimeError("solc: " + "\n".join(e.get("formattedMessage", "") for e in errors))
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(output))
    tmp.replace(cached)
    for old in sorted(cache_dir.glob("solc-*.json"), key=lambda p: p.stat().st_mtime)[:-3]:
        old.unlink(missing_ok=True)  # keep the three most recent compiles
    return output
