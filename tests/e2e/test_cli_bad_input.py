"""Every class of operator mistake in the README's bad-input table gets one line on
stderr, its documented exit code, and nothing sent: no account's nonce moves.

The system is deployed by `ape treasury deploy` from a folder outside the
repository, with an empty home, on an Anvil of the module's own. The first case
of each class runs as a real process (the exit code a shell sees); the others run
through ape's command-line entry point inside this process (the same click
commands, parsing and connection, without ~5 s of process start each)."""

from __future__ import annotations

import json
import os

import pytest

from sovereign.cli.base import Exit
from tests.utils.cli import ape_cli
from tests.utils.node import Node, ape, free_port, operator_env

pytestmark = pytest.mark.xdist_group("cli-bad-input")

EXCHANGE = "0x2546BcD3c84621e976D8185a91A922aE77ECEc30"  # Anvil account 16
STRANGER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"  # Anvil account 3, not licensed


@pytest.fixture(scope="module")
def ops(tmp_path_factory):
    """(node, folder, env): deployed from outside the repository, the exchange licensed."""
    root = tmp_path_factory.mktemp("operator")
    node = Node(free_port(), root / "anvil-state.json")
    node.start()
    folder = root / "ops"
    folder.mkdir()
    env = operator_env(root / "home")
    for argv in (
        ("treasury", "deploy", "--yes"),
        ("treasury", "participants", "add", EXCHANGE, "--ref", "VASP-1", "--yes"),
    ):
        out = ape(*argv, "--network", node.url, cwd=folder, env=env)
        assert out.returncode == 0, out.stderr[-2000:]
    yield node, folder, env
    node.stop()


def _refused(ops, argv, code: Exit, fragment: str, *, process: bool, stdin=None, folder=None):
    node, ops_folder, env = ops
    before = node.nonces(node.accounts())
    argv = [*argv, "--network", argv_network(argv, node)]
    if process:
        out = ape(*argv, cwd=folder or ops_folder, env=env, stdin=stdin)
    else:
        deployments = str((folder or ops_folder) / "deployments")
        old = os.getcwd()
        os.chdir(folder or ops_folder)
        try:
            out = ape_cli(*argv, env={"SOVEREIGN_DEPLOYMENTS": deployments})
        finally:
            os.chdir(old)
    assert out.returncode == int(code), (out.returncode, out.stdout[-800:], out.stderr[-800:])
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    if stdin is not None:  # the question asked, on its own line, before the answer's outcome
        assert lines[0].startswith("Send: ") and lines[0].endswith("[y/N]:"), lines
        lines = lines[1:]
    assert len(lines) == 1 and lines[0].startswith("Error: "), out.stderr[-1500:]
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in out.stdout + out.stderr
    assert node.nonces(node.accounts()) == before, "an account's nonce moved: something was sent"


def argv_network(argv, node) -> str:
    return node.url


# (argv, exit code, a fragment of the one line); the first of each class runs as a process.
CASES = {
    "usage": [
        (["treasury", "mint", EXCHANGE, "1,00", "--id", "X"], "thousands separator"),
        (["treasury", "mint", EXCHANGE, "-5", "--id", "X"], "is negative"),
        (["treasury", "mint", EXCHANGE, "١٠٠", "--id", "X"], "not a plain decimal number"),
        (["treasury", "mint", EXCHANGE, "1e5", "--id", "X"], "not a plain decimal number"),
        (["treasury", "mint", "0xdeadbeef", "1", "--id", "X"], "neither a 20-byte address"),
        (["treasury", "mint", EXCHANGE.lower(), "1", "--id", "X"], "not checksummed"),
        (["treasury", "mint", EXCHANGE, "1", "--id", "X" * 33], "1 to 32 printable ASCII"),
        (["treasury", "mint", EXCHANGE, "1", "--id", "MINT-é"], "1 to 32 printable ASCII"),
        (["treasury", "mint", EXCHANGE, "1"], "Missing option '--id'"),
        (["treasury", "roles", "grant", "superuser", EXCHANGE], "'superuser' is not one of"),
        (["treasury", "redeem", "1", "--id", "R", "--account", "nobody"], "'nobody' not found"),
    ],
    "input": [
        (["treasury", "mint", "nobody", "1", "--id", "X"], "neither an address nor a known label"),
        (["treasury", "mint", EXCHANGE, "1.0000000000000000001", "--id", "X"], "19 decimal"),
        (["treasury", "mint", EXCHANGE, "9" * 80, "--id", "X"], "beyond what any token"),
        (["treasury", "mint", EXCHANGE, "0", "--id", "X"], "is zero"),
        (["treasury", "oracle", "report", "XYZ", "1.00"], "no feed 'XYZ'"),
        (["treasury", "pause", "everything"], "pause flags must be among"),
    ],
    "refused": [
        (["treasury", "mint", EXCHANGE, "9,800,000", "--id", "X", "--yes"], "would fail"),
        (["treasury", "mint", STRANGER, "1", "--id", "X", "--yes"], "not a registered"),
        (["treasury", "mint", EXCHANGE, "1", "--id", "X", "--account", "TEST::5", "--yes"],
         "would fail"),
        (["treasury", "roles", "grant", "minter", "governor", "--yes"], "may not be combined"),
        (["treasury", "redeem", "1", "--id", "R"], "--account is required"),
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    "klass,index",
    [(k, i) for k, cases in CASES.items() for i in range(len(cases))],
    ids=[f"{k}-{i}" for k, cases in CASES.items() for i in range(len(cases))],
)
def test_operator_mistake__one_line__its_exit_code__nothing_sent(ops, klass, index):
    argv, fragment = CASES[klass][index]
    code = {"usage": Exit.USAGE, "input": Exit.INPUT, "refused": Exit.REFUSED}[klass]
    _refused(ops, argv, code, fragment, process=index == 0)


def test_not_confirmed__nothing_sent(ops):
    """Without --yes the command asks; an answer other than yes sends nothing."""
    _refused(
        ops,
        ["treasury", "participants", "add", STRANGER, "--ref", "VASP-2"],
        Exit.REFUSED,
        "not confirmed",
        process=True,
        stdin="n\n",
    )


def test_node_unreachable(ops):
    node, folder, env = ops
    before = node.nonces(node.accounts())
    out = ape("treasury", "status", "--network", f"http://127.0.0.1:{free_port()}", cwd=folder,
              env=env)  # fmt: skip
    assert out.returncode == Exit.NODE
    assert out.error_lines == [out.error_lines[0]] and "cannot reach a node at" in out.stderr
    assert node.nonces(node.accounts()) == before


def _manifest(folder):
    return next((folder / "deployments").glob("*-31337.json"))


@pytest.mark.parametrize(
    "damage,fragment",
    [
        ("missing", "no deployment manifest at"),
        ("not json", "is not valid JSON"),
        ("no reserve", "lacks Reserve"),
        ("no contract there", "no contract at the manifest's Reserve address"),
    ],
)
def test_broken_manifest__one_line(ops, tmp_path, damage, fragment):
    _, folder, _ = ops
    data = json.loads(_manifest(folder).read_text())
    copy = tmp_path / "deployments" / _manifest(folder).name
    copy.parent.mkdir()
    if damage == "not json":
        copy.write_text("{ not json")
    elif damage == "no reserve":
        del data["contracts"]["Reserve"]
        copy.write_text(json.dumps(data))
    elif damage == "no contract there":
        data["contracts"]["Reserve"]["address"] = STRANGER
        copy.write_text(json.dumps(data))
    _refused(ops, ["treasury", "status"], Exit.MANIFEST, fragment, process=damage == "missing",
             folder=tmp_path)  # fmt: skip


def test_manifest_of_an_earlier_anvil_on_the_same_chain_id(ops, tmp_path):
    """A manifest left by another Anvil (same chain id 31337, another first block) is
    named as such in one line, not followed to addresses that hold other code."""
    _, folder, env = ops
    other = Node(free_port(), tmp_path / "other-state.json")
    other.start()
    try:
        before = other.nonces(other.accounts())
        out = ape("treasury", "status", "--network", other.url, cwd=folder, env=env)
        assert out.returncode == Exit.MANIFEST, out.stderr[-1500:]
        assert len(out.error_lines) == 1 and "another chain with the same id" in out.stderr
        assert other.nonces(other.accounts()) == before
    finally:
        other.stop()
