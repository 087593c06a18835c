"""`ape treasury params …` and `ape treasury governance …` as real processes, run from a
folder outside the repository against a node of their own (Anvil, and Hardhat's node,
which simulates the schedule-then-execute plan by snapshot and revert): a parameter change is
scheduled, listed in words by `governance pending`, cancelled by the guardian; another
waits out the governor's delay and the same command executes it; a value outside the
contract's bounds is one line with exit 3 and nothing sent; --dry-run sends nothing."""

import json
import os
import subprocess

import pytest
from eth_utils import function_signature_to_4byte_selector

from tests.utils import node as nodes
from tests.utils.cli import APE
from tests.utils.constants import ROOT

pytestmark = pytest.mark.xdist_group("cli-governance")

GOVERNOR_DELAY = 86_400  # deploy/local.yaml
WEEK = 7 * 86_400  # OpenZeppelin's expiration()


class Node(nodes.Node):
    """The shared node (tests.utils.node), with this module's reads."""

    def nonce(self, address: str) -> int:
        return self.nonces([address])[address]

    def read_uint(self, to: str, signature: str) -> int:
        data = "0x" + function_signature_to_4byte_selector(signature).hex()
        return int(self.rpc("eth_call", [{"to": to, "data": data}, "latest"]), 16)


@pytest.fixture(
    scope="module", params=nodes.node_params("anvil", "hardhat", group="cli-governance")
)
def node(request):
    kind, mining = request.param
    n = Node(nodes.free_port(), kind=kind, mining=mining)
    n.start()
    yield n
    n.stop()


class Treasury:
    """``ape treasury ARGS --network URL`` from a folder outside the repository."""

    def __init__(self, node: Node, folder):
        self.node, self.folder = node, folder
        # The manifest lands in deployments/ of the operator's folder (no
        # SOVEREIGN_DEPLOYMENTS): the commands find it from where they run.
        env = {k: v for k, v in os.environ.items() if k != "SOVEREIGN_DEPLOYMENTS"}
        self.env = {**env, "COLUMNS": "200"}

    def __call__(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [APE, "treasury", *args, "--network", self.node.url],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=600,
            env=self.env,
        )

    def ok(self, *args: str) -> subprocess.CompletedProcess:
        out = self(*args)
        assert out.returncode == 0, (out.stdout[-1500:], out.stderr[-1500:])
        return out

    def pending(self) -> list[dict]:
        return json.loads(self.ok("governance", "pending", "--json").stdout)["operations"]

    @property
    def manifest(self) -> dict:
        return json.loads(next((self.folder / "deployments").glob("*.json")).read_text())


@pytest.fixture(scope="module")
def treasury(node, tmp_path_factory):
    """The system deployed by `ape treasury deploy` (deploy/local.yaml: an eSHL feed)."""
    folder = tmp_path_factory.mktemp("operator")
    assert ROOT not in folder.parents
    run = Treasury(node, folder)
    out = run("deploy", "--yes", "--config", str(ROOT / "deploy" / "local.yaml"))
    assert out.returncode == 0, (out.stdout[-1500:], out.stderr[-1500:])
    return run


def _one_line(out: subprocess.CompletedProcess) -> str:
    text = out.stderr.strip()
    assert text.startswith("Error:") and "\n" not in text, out.stderr[-1500:]
    return text


def test_scheduled__listed_in_words__cancelled_by_the_guardian(treasury):
    holders = treasury.manifest["holders"]
    out = treasury.ok("params", "min-ratio", "1.05", "--yes")
    assert "from 102.00% to 105.00%" in out.stdout and "scheduling (86,400 s delay)" in out.stdout

    (op,) = treasury.pending()
    assert op["words"] == "set the minimum collateral ratio of Reserve to 105.00%"
    assert op["function"] == "Reserve.setMinCollateralRatio"
    assert op["scheduled_by"] == {"address": holders["governor"], "label": "governor"}
    assert op["executable_now"] is False and op["state"] == "waiting"
    assert op["expires_at"] - op["executable_at"] == WEEK
    assert op["executable_at_utc"].endswith(" UTC")
    table = treasury.ok("governance", "pending").stdout
    assert op["operation_id"] in table and "set the minimum collateral ratio" in table

    cancelled = treasury.ok("governance", "cancel", op["operation_id"], "--yes")
    assert f"account {holders['guardian']}" in cancelled.stdout
    assert "cancelling operation" in cancelled.stdout
    assert treasury.pending() == []
    again = treasury("governance", "cancel", op["operation_id"], "--yes")
    assert again.returncode == 3
    assert "no pending operation" in _one_line(again)


def test_second_change__executed_by_the_same_command_after_the_delay(treasury, node):
    reserve = treasury.manifest["contracts"]["Reserve"]["address"]
    fee = ("params", "fee", "25", "--yes")
    first = treasury.ok(*fee)
    assert "from 0 bps (0.00%) to 25 bps (0.25%)" in first.stdout
    (op,) = treasury.pending()
    assert op["words"] == "set the redemption fee of Reserve to 25 bps (0.25%)"
    early = treasury(*fee)
    assert early.returncode == 4 and "is scheduled; it can be executed from" in early.stderr

    node.advance(GOVERNOR_DELAY + 1)
    (ready,) = treasury.pending()
    assert ready["executable_now"] is True and ready["state"] == "executable"
    done = treasury.ok(*fee)
    assert "executed" in done.stdout or "sent:" in done.stdout
    assert node.read_uint(reserve, "redemptionFeeBps()") == 25
    assert treasury.pending() == []


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["params", "min-ratio", "3.01"],
            "the minimum collateral ratio 301.00% is outside the contract's bounds: "
            "100.00% to 300.00%",
        ),
        (
            ["params", "feed-deviation", "eSHL", "5001"],
            "the deviation bound 5,001 bps (50.01%) is outside the contract's bounds",
        ),
        (
            ["params", "collateral", "set", "eSHL", "--haircut", "9001"],
            "the haircut 9,001 bps (90.01%) is outside the contract's bounds",
        ),
    ],
)
def test_outside_the_bounds__exit_3__one_line__nothing_sent(treasury, node, args, message):
    governor = treasury.manifest["holders"]["governor"]
    before = node.nonce(governor)
    out = treasury(*args, "--yes")
    assert out.returncode == 3
    assert message in _one_line(out)
    assert node.nonce(governor) == before


def test_dry_run__simulates__moves_no_nonce(treasury, node):
    governor = treasury.manifest["holders"]["governor"]
    before = node.nonce(governor)
    out = treasury.ok("params", "vault-cap", "5,000,000", "--dry-run")
    assert "from none (uncapped) to 5,000,000.00 eSHL" in out.stdout
    assert "preflight passed" in out.stdout and "dry run: nothing sent" in out.stdout
    assert node.nonce(governor) == before
    assert treasury.pending() == []
