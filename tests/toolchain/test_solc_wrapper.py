"""The project's compiler wrapper (tools/solc): what py-solc-x, ape-solidity and
slither need from a native solc, answered by the npm solc package."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = ROOT / "tools" / "solc" / "bin"
NPM_SOLC_VERSION = json.loads((ROOT / "node_modules/solc/package.json").read_text())["version"]
WRAPPER = BIN_DIR / f"solc-v{NPM_SOLC_VERSION}"


def run(*args: str, stdin: str | None = None, cwd: Path | None = None):
    return subprocess.run(
        [str(WRAPPER), *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_wrapper_file_name_matches_npm_solc_version():
    assert WRAPPER.is_file(), f"{WRAPPER} missing: rename it to match npm solc {NPM_SOLC_VERSION}"
    assert [p.name for p in BIN_DIR.iterdir()] == [WRAPPER.name]


def test_version_output_is_what_py_solc_x_parses():
    out = run("--version")
    assert out.returncode == 0
    assert f"Version: {NPM_SOLC_VERSION}+commit." in out.stdout


def test_version_is_the_one_ape_config_names():
    import yaml

    config = yaml.safe_load((ROOT / "ape-config.yaml").read_text())
    assert config["solidity"]["version"] == NPM_SOLC_VERSION


@pytest.fixture
def sources(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "Base.sol").write_text(
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\n"
        "contract Base { function one() external pure returns (uint256) { return 1; } }\n"
    )
    (tmp_path / "Child.sol").write_text(
        '// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\nimport "lib/Base.sol";\n'
        "contract Child is Base {}\n"
    )
    (tmp_path / "Broken.sol").write_text(
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\n\ncontract Broken {\n"
        "    uint256 x = 1\n}\n"
    )
    return tmp_path


def standard_input(**sources):
    return json.dumps(
        {
            "language": "Solidity",
            "sources": sources,
            "settings": {"outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}},
        }
    )


def test_standard_json_resolves_imports_from_base_path(sources):
    stdin = standard_input(**{"Child.sol": {"content": (sources / "Child.sol").read_text()}})
    out = run("--standard-json", "--base-path", str(sources), stdin=stdin)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert not [e for e in result.get("errors", []) if e["severity"] == "error"]
    assert result["contracts"]["Child.sol"]["Child"]["evm"]["bytecode"]["object"]
    assert "lib/Base.sol" in result["sources"]


def test_standard_json_resolves_imports_from_include_path(sources, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("base")
    stdin = standard_input(**{"Child.sol": {"content": (sources / "Child.sol").read_text()}})
    out = run(
        "--standard-json",
        "--base-path",
        str(elsewhere),
        "--include-path",
        str(sources),
        stdin=stdin,
    )
    assert "lib/Base.sol" in json.loads(out.stdout)["sources"]


def test_standard_json_error_names_file_and_line(sources):
    stdin = standard_input(**{"Broken.sol": {"content": (sources / "Broken.sol").read_text()}})
    out = run("--standard-json", stdin=stdin)
    # Native solc's convention, which py-solc-x relies on: errors live in the JSON.
    errors = [e for e in json.loads(out.stdout)["errors"] if e["severity"] == "error"]
    assert errors[0]["type"] == "ParserError"
    assert "Broken.sol:6:1" in errors[0]["formattedMessage"]
    assert "Broken.sol:6:1" in out.stderr


def test_combined_json_for_slither(sources):
    out = run(
        "--combined-json",
        "abi,bin,bin-runtime,srcmap-runtime,hashes",
        "Child.sol",
        "--base-path",
        str(sources),
        cwd=sources,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    child = result["contracts"]["Child.sol:Child"]
    assert child["bin"] and child["bin-runtime"] and child["srcmap-runtime"]
    assert child["hashes"] == {"one()": "901717d1"}
    assert result["version"].startswith(NPM_SOLC_VERSION)
    assert set(result["sourceList"]) == {"Child.sol", "lib/Base.sol"}


def test_combined_json_with_remapping(sources):
    (sources / "Remapped.sol").write_text(
        '// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\nimport "@base/Base.sol";\n'
        "contract Remapped is Base {}\n"
    )
    out = run("--combined-json", "abi", "@base/=lib/", "Remapped.sol", cwd=sources)
    assert out.returncode == 0, out.stderr
    assert "Remapped.sol:Remapped" in json.loads(out.stdout)["contracts"]


def test_combined_json_error_exits_non_zero_with_message(sources):
    out = run("--combined-json", "abi,bin", "Broken.sol", cwd=sources)
    assert out.returncode == 1
    assert "ParserError" in out.stderr and "Broken.sol:6:1" in out.stderr


def test_unknown_option_is_refused_in_one_line():
    out = run("--optimize-yul-magic")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "unsupported option" in out.stderr


def test_missing_prerequisites__one_line_each(tmp_path):
    """`make` on a machine without Python 3.11+, node or npm names what to install."""
    import sys

    script = ROOT / "tools" / "check-prereqs.sh"
    out = subprocess.run(
        ["/bin/sh", str(script)],
        capture_output=True,
        text=True,
        env={"PATH": str(tmp_path), "PYTHON": "/nonexistent/python3"},
    )
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 1
    assert len(lines) == 3
    assert "Python 3.11 or newer" in lines[0]
    assert "Node.js" in lines[1] and "npm" in lines[2]
    import shutil

    dirs = {str(Path(sys.executable).parent), "/usr/bin", "/bin"}
    dirs |= {str(Path(shutil.which(tool)).parent) for tool in ("node", "npm")}
    ok = subprocess.run(
        ["/bin/sh", str(script)],
        capture_output=True,
        text=True,
        env={"PATH": ":".join(sorted(dirs)), "PYTHON": sys.executable},
    )
    assert ok.returncode == 0, ok.stderr
