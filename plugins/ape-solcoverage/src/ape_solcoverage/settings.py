"""The plugin's options: two on the command line, the rest read from the host project's
pytest configuration (``[tool.pytest.ini_options]`` in pyproject.toml, pytest.ini, ...;
``-o name=value`` overrides one for a run). Paths are relative to pytest's rootdir,
which is also the ape project folder (where ape-config.yaml lives).

Nothing here imports more than the standard library: pytest reads it at start-up in
every run, with or without ``--sol-coverage``.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# name -> (type, default, help); type as pytest's parser.addini takes it.
INI: dict[str, tuple[str, object, str]] = {
    "sol_coverage_solc": (
        "string",
        "",
        "the compiler for the coverage compile: a solc binary, or a folder of "
        "solc-v<version> files (py-solc-x's layout; the version is ape-config.yaml's "
        "solidity.version, else the newest there). Default: $SOLCX_BINARY_PATH, else "
        "~/.solcx, else solc on PATH",
    ),
    "sol_coverage_stamps": (
        "linelist",
        [],
        "files whose bytes are part of the compile cache's key besides the compiler's "
        "(e.g. the package a compiler wrapper delegates to). Default: none",
    ),
    "sol_coverage_sources": (
        "string",
        "",
        "the folder whose sources are reported. Default: ape-config.yaml's "
        "contracts_folder (contracts)",
    ),
    "sol_coverage_exclude": (
        "linelist",
        [],
        "sources compiled and matched but not reported (mocks, test helpers): folders "
        "or fnmatch patterns, relative to the rootdir. Default: none",
    ),
    "sol_coverage_remappings": (
        "linelist",
        [],
        "extra or overriding solc remappings 'prefix=path' (path relative to the "
        "rootdir), for dependencies that are neither local: nor npm: in ape-config.yaml. "
        "Default: none",
    ),
    "sol_coverage_cache": (
        "string",
        ".build/solcoverage",
        "where the coverage compile is cached (keyed by its input). Default: .build/solcoverage",
    ),
    "sol_coverage_line_target": (
        "string",
        "90",
        "--sol-coverage-gate: the least line coverage of every file, in percent. Default: 90",
    ),
    "sol_coverage_branch_target": (
        "string",
        "80",
        "--sol-coverage-gate: the least branch coverage of every file, in percent. Default: 80",
    ),
}


@dataclass(frozen=True)
class Settings:
    root: Path
    directory: Path
    gate: bool = False
    solc: str = ""
    stamps: tuple[str, ...] = ()
    sources: str = ""
    exclude: tuple[str, ...] = ()
    remappings: tuple[str, ...] = ()
    cache: str = ".build/solcoverage"
    line_target: float = 90.0
    branch_target: float = 80.0

    @classmethod
    def from_pytest(cls, config) -> Settings:
        root = Path(config.rootpath)
        directory = Path(config.getoption("sol_coverage"))

        def ini(name: str):
            value = config.getini(name)
            return tuple(value) if isinstance(value, list) else (value or "").strip()

        return cls(
            root=root,
            directory=directory if directory.is_absolute() else root / directory,
            gate=bool(config.getoption("sol_coverage_gate")),
            solc=ini("sol_coverage_solc"),
            stamps=ini("sol_coverage_stamps"),
            sources=ini("sol_coverage_sources"),
            exclude=ini("sol_coverage_exclude"),
            remappings=ini("sol_coverage_remappings"),
            cache=ini("sol_coverage_cache") or ".build/solcoverage",
            line_target=_percent("sol_coverage_line_target", ini("sol_coverage_line_target")),
            branch_target=_percent("sol_coverage_branch_target", ini("sol_coverage_branch_target")),
        )

    def path(self, value: str) -> Path:
        """A setting's path: ``~`` expanded, relative to the rootdir."""
        return self.root / os.path.expanduser(value)

    @property
    def cache_dir(self) -> Path:
        return self.path(self.cache)

    def is_target(self, sources_folder: str) -> Callable[[str], bool]:
        """The filter of reported sources (solc's source names, relative to the root):
        under ``sources`` (or ``sources_folder``, the project's contracts folder) and
        matching no ``exclude`` entry."""
        return target_filter(self.sources or sources_folder, self.exclude)


def target_filter(sources: str, exclude=()) -> Callable[[str], bool]:
    base = sources.strip().strip("/")
    prefix = "" if base in ("", ".") else base + "/"
    patterns = [e.strip().rstrip("/") for e in exclude if e.strip()]

    def excluded(path: str) -> bool:
        return any(path.startswith(p + "/") or fnmatch.fnmatch(path, p) for p in patterns)

    def is_target(path: str) -> bool:
        return path.startswith(prefix) and not excluded(path)

    return is_target


def _percent(name: str, value: str) -> float:
    try:
        pct = float(value)
    except ValueError:
        raise ValueError(f"{name} = {value!r}: a number of percent is wanted") from None
    if not 0 <= pct <= 100:
        raise ValueError(f"{name} = {value!r}: not between 0 and 100")
    return pct
