"""The options: defaults, the host project's ini values, the compiler search, the
remappings, the compile cache; the entry point, inert without --sol-coverage and a
whole run with it (in a separate pytest process, with a stand-in compiler)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from solcov_helpers import write_sources

from ape_solcoverage.compiler import compile_project, compiler_input, find_compiler, remappings
from ape_solcoverage.settings import INI, Settings, target_filter

HELPERS = Path(__file__).parent


def _config(root: Path, ini: dict, directory="reports", gate=False):
    values = {name: default for name, (_, default, _) in INI.items()} | ini
    options = {"sol_coverage": directory, "sol_coverage_gate": gate}
    return SimpleNamespace(rootpath=root, getini=values.__getitem__, getoption=options.get)


def test_defaults_are_generic(tmp_path):
    s = Settings.from_pytest(_config(tmp_path, {}))
    assert (s.solc, s.stamps, s.sources, s.exclude, s.remappings) == ("", (), "", (), ())
    assert s.cache_dir == tmp_path / ".build/solcoverage"
    assert (s.line_target, s.branch_target, s.gate) == (90.0, 80.0, False)
    assert s.directory == tmp_path / "reports"
    assert s.is_target("contracts")("contracts/test/Mock.sol")


def test_ini_values_are_read(tmp_path):
    ini = {
        "sol_coverage_solc": "tools/solc/bin",
        "sol_coverage_stamps": ["node_modules/solc/package.json"],
        "sol_coverage_sources": "src",
        "sol_coverage_exclude": ["src/test", "src/**/*Mock.sol"],
        "sol_coverage_cache": ".cache/solcoverage",
        "sol_coverage_line_target": "95",
        "sol_coverage_branch_target": "90.5",
    }
    s = Settings.from_pytest(_config(tmp_path, ini, directory="/tmp/out", gate=True))
    assert s.solc == "tools/solc/bin" and s.stamps == ("node_modules/solc/package.json",)
    assert (s.line_target, s.branch_target, s.gate) == (95.0, 90.5, True)
    assert s.cache_dir == tmp_path / ".cache/solcoverage" and s.directory == Path("/tmp/out")
    is_target = s.is_target("contracts")  # sol_coverage_sources wins over the folder
    assert is_target("src/Token.sol") and is_target("src/tokens/Token.sol")
    assert not is_target("contracts/Token.sol")
    assert not is_target("src/test/Helper.sol") and not is_target("src/tokens/TokenMock.sol")
    with pytest.raises(ValueError, match="sol_coverage_line_target"):
        Settings.from_pytest(_config(tmp_path, {"sol_coverage_line_target": "high"}))


def test_target_filter():
    assert target_filter(".")("Any.sol") and target_filter("")("a/B.sol")
    only = target_filter("contracts/", ["contracts/test/"])
    assert only("contracts/A.sol") and not only("contracts/test/M.sol")
    assert not only("contractsX/A.sol") and not only("node_modules/x/A.sol")


def _exe(path: Path, body: str) -> Path:
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return path


def test_compiler_search(tmp_path, monkeypatch):
    folder = tmp_path / "bin"
    folder.mkdir()
    for v in ("0.8.9", "0.8.30", "0.7.6"):
        _exe(folder / f"solc-v{v}", "")
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("SOLCX_BINARY_PATH", str(folder))
    default = Settings(tmp_path, tmp_path)
    assert find_compiler(default, "0.8.9") == folder / "solc-v0.8.9"
    assert find_compiler(default, None) == folder / "solc-v0.8.30"  # the newest
    with pytest.raises(RuntimeError, match="no solc-v0.8.1 in"):
        find_compiler(default, "0.8.1")
    monkeypatch.delenv("SOLCX_BINARY_PATH")
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".solcx").mkdir()
    with pytest.raises(RuntimeError, match=r"\.solcx"):
        find_compiler(default, None)
    assert find_compiler(Settings(tmp_path, tmp_path, solc="bin"), None) == folder / "solc-v0.8.30"
    binary = Settings(tmp_path, tmp_path, solc="bin/solc-v0.7.6")
    assert find_compiler(binary, "0.8.30") == folder / "solc-v0.7.6"  # a file is taken as is
    _exe(tmp_path / "empty" / "solc", 'print("solc, the solidity compiler\\nVersion: 0.8.4+c")')
    assert find_compiler(default, "0.8.4") == tmp_path / "empty" / "solc"
    with pytest.raises(RuntimeError):
        find_compiler(default, "0.8.5")  # solc on PATH is another version


def test_remappings_resolve_local_and_npm_dependencies(tmp_path):
    (tmp_path / "node_modules/@oz/contracts").mkdir(parents=True)
    (tmp_path / "node_modules/@oz/contracts/package.json").write_text('{"version": "5.0.1"}')
    (tmp_path / "deps/lib/contracts").mkdir(parents=True)
    config = {
        "dependencies": [
            {"name": "oz", "npm": "@oz/contracts"},
            {"name": "lib", "version": "1.0", "local": "./deps/lib"},
            {
                "name": "flat",
                "version": "2",
                "local": "deps/lib",
                "config_override": {"contracts_folder": "."},
            },
        ],
        "solidity": {
            "import_remapping": [
                "@oz/contracts=oz/5.0.1",
                "@lib/=lib/1.0/",
                "@flat=flat/2",
                "@gh=gh/3.0",
            ]
        },
    }
    assert remappings(tmp_path, config, ["@gh=.ape/packages/gh/3.0/contracts", "x=y"]) == [
        "@oz/contracts/=node_modules/@oz/contracts/",
        "@lib/=deps/lib/contracts/",
        "@flat/=deps/lib/",
        "@gh/=.ape/packages/gh/3.0/contracts/",  # the ini's entry replaces ape-config's
        "x/=y/",
    ]


FAKE_SOLC = """
import json, os, sys
sys.path.insert(0, {helpers!r})
from solcov_helpers import fake_solc_output
if "--version" in sys.argv:
    print("Version: 0.8.30+commit.fake")
    sys.exit(0)
data = json.load(sys.stdin)
with open(os.path.join(os.path.dirname(__file__), "calls"), "a") as calls:
    calls.write(json.dumps(data["settings"]) + "\\n")
print(json.dumps(fake_solc_output(*sorted(data["sources"]))))
"""


def _project(root: Path, config: dict) -> None:
    (root / "ape-config.yaml").write_text(yaml.safe_dump(config))
    write_sources(root, "contracts/C.sol", "contracts/mocks/M.sol")
    _exe(root / "fake-solc", FAKE_SOLC.format(helpers=str(HELPERS)))


def test_compile_input_and_cache(tmp_path):
    _project(tmp_path, {"solidity": {"version": "0.8.30", "evm_version": "cancun"}})
    (tmp_path / "stamp").write_text("1")
    s = Settings(tmp_path, tmp_path / "out", solc="fake-solc", stamps=("stamp", "absent"))
    data, compiler = compiler_input(s)
    assert compiler == tmp_path / "fake-solc"
    assert sorted(data["sources"]) == ["contracts/C.sol", "contracts/mocks/M.sol"]
    assert data["settings"]["evmVersion"] == "cancun"
    assert data["settings"]["optimizer"] == {"enabled": True, "runs": 200}
    first = compile_project(s)
    assert sorted(first["sources"]) == sorted(data["sources"])
    assert compile_project(s) == first  # from the cache
    calls = tmp_path / "calls"
    assert len(calls.read_text().splitlines()) == 1
    assert len(list(s.cache_dir.glob("solc-*.json"))) == 1
    (tmp_path / "stamp").write_text("2")  # a stamp's change is a new compile
    compile_project(s)
    assert len(calls.read_text().splitlines()) == 2


PROBE = """
import sys

def test_probe(request):
    plugin = request.config.pluginmanager.get_plugin("solcoverage-run")
    loaded = sorted(m for m in sys.modules if m.startswith("ape_solcoverage"))
    print("PROBE", plugin is not None, ",".join(loaded))
"""


def _pytest(root: Path, *args: str) -> subprocess.CompletedProcess:
    # ape's own pytest plugin is left out (this run needs no chain), and the slow-loading
    # ones the probe does not need
    left_out = ("ape_test", "cacheprovider", "hypothesispytest", "xdist", "xdist.looponfail")
    command = [sys.executable, "-m", "pytest", *(f"-pno:{name}" for name in left_out)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(
        [*command, "-s", "-q", *args], cwd=root, env=env, capture_output=True, text=True
    )


def _probe(result: subprocess.CompletedProcess) -> list[str]:
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("PROBE")]
    return line.split()[1:]


def test_entry_point_is_inert_without_the_option_and_runs_with_it(tmp_path):
    _project(tmp_path, {"solidity": {"version": "0.8.30"}})
    (tmp_path / "test_probe.py").write_text(PROBE)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\n"
        "sol_coverage_solc = fake-solc\n"
        "sol_coverage_exclude = contracts/mocks\n"
        "sol_coverage_cache = cache\n"
        "sol_coverage_line_target = 50\n"
    )
    idle = _pytest(tmp_path)
    assert idle.returncode == 0, idle.stdout + idle.stderr
    # the entry point loaded the package and its options, and nothing else
    assert _probe(idle) == ["False", "ape_solcoverage,ape_solcoverage.settings"]
    assert "Solidity coverage" not in idle.stdout and not (tmp_path / "cache").exists()
    helped = _pytest(tmp_path, "--help")
    assert "--sol-coverage=DIR" in helped.stdout and "sol_coverage_exclude" in helped.stdout

    run = _pytest(tmp_path, "--sol-coverage=out", "--sol-coverage-gate")
    plugin, modules = _probe(run)
    assert plugin == "True" and "ape_solcoverage.tracer" in modules.split(",")
    assert run.returncode == 1, run.stdout + run.stderr  # the gate: nothing ran
    assert "coverage gate: contracts/C.sol under target" in run.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["coverage.json", "coverage.md", "coverage.html", "lcov.info", "coverage.xml"]
    )
    report = json.loads((tmp_path / "out/coverage.json").read_text())
    assert list(report["files"]) == ["contracts/C.sol"]  # the mock excluded
    assert report["targets"] == {"lines_pct": 50.0, "branches_pct": 80.0}
    assert report["total"]["lines"] == {"total": 4, "hit": 0, "pct": 0.0}
    assert report["warnings"] == []
