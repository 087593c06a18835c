"""`ape run deploy` and `ape treasury status` through ape's entry point, against
a node that is already running (reached by URL, as a real node would be), not
the embedded one: Anvil, and for the deploy and the killed deploy Hardhat's node
too. The killed deploy runs as a real process (killed with SIGKILL); the others
run in-process (see tests.utils.ape_cli)."""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.utils import APE, ROOT
from tests.utils.cli import ape_cli
from tests.utils.node import Node, free_port, node_params


@pytest.fixture
def node(request):
    """A node started on its own, on a free port (Anvil, or with indirect
    parametrization Hardhat's node); its URL; stopped after the test."""
    kind, mining = getattr(request, "param", ("anvil", "auto"))
    n = Node(free_port(), kind=kind, mining=mining)
    n.start()
    yield n.url
    n.stop()


ANY_NODE = pytest.mark.parametrize("node", node_params("anvil", "hardhat"), indirect=True)


def run(*args, deployments: Path, process: bool = False):
    argv = args if args[0] == "treasury" else ("run", *args)
    return ape_cli(*argv, env={"SOVEREIGN_DEPLOYMENTS": str(deployments)}, process=process)


@ANY_NODE
def test_deploy_then_status_on_a_running_node(node, tmp_path):
    out = run("deploy", "--network", node, "--yes", deployments=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    manifests = list(tmp_path.glob("*.json"))
    assert [m.name for m in manifests] == ["ethereum-custom-31337.json"]
    manifest = json.loads(manifests[0].read_text())
    assert manifest["chain_id"] == 31337 and manifest["compiler"].startswith("solc 0.8.30")
    reserve = manifest["contracts"]["Reserve"]
    assert reserve["address"].startswith("0x") and reserve["block"] > 0 and reserve["tx"]
    assert manifest["holders"]["minter"] == "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"

    status = run("treasury", "status", "--network", node, "--json", deployments=tmp_path)
    assert status.returncode == 0, status.stderr[-2000:]
    state = json.loads(status.stdout[status.stdout.index("{") :])
    assert state["stablecoin"]["total_supply"] == 0
    assert state["min_collateral_ratio_wad"] == 102 * 10**16
    assert state["vault"]["nav"] == 0

    again = run("deploy", "--network", node, "--yes", deployments=tmp_path)
    assert again.returncode != 0
    assert "exists: pass --replace to deploy anew over it" in again.stderr
    assert json.loads(manifests[0].read_text()) == manifest  # nothing replaced


def test_status_without_a_manifest__one_clear_line(node, tmp_path):
    out = run("treasury", "status", "--network", node, deployments=tmp_path)
    assert out.returncode != 0
    assert "no deployment manifest at" in out.stderr
    assert "deploy first (ape treasury deploy)" in out.stderr


def test_deploy_from_a_config_file(node, tmp_path):
    config = tmp_path / "deploy.yaml"
    config.write_text(
        'stablecoin: {name: Test Shilling, symbol: TSHL}\nmin_collateral_ratio: "1.05"\n'
        "delays: {governor: 3600, admin: 7200}\n"
    )
    out = run("deploy", "--network", node, "--yes", "--config", str(config), deployments=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    manifest = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert manifest["config"]["stablecoin_symbol"] == "TSHL"
    assert manifest["config"]["min_collateral_ratio"] == "1.05"
    assert (manifest["config"]["governor_delay"], manifest["config"]["admin_delay"]) == (3600, 7200)


def test_deploy__bad_config__one_line_and_nothing_deployed(node, tmp_path):
    config = tmp_path / "deploy.yaml"
    config.write_text('min_collateral_ratio: "0.5"\n')
    out = run("deploy", "--network", node, "--yes", "--config", str(config), deployments=tmp_path)
    assert out.returncode != 0
    assert "min_collateral_ratio 0.5 is outside [1, 3]" in out.stderr
    assert not list(tmp_path.glob("*.json"))


@ANY_NODE
def test_deploy_killed_mid_way__refused_then_resumed(node, tmp_path):
    """The process dies half-way (SIGKILL, no clean-up): a plain re-run refuses and
    names --resume; --resume sends only what never landed."""
    env = {**os.environ, "SOVEREIGN_DEPLOYMENTS": str(tmp_path)}
    proc = subprocess.Popen(
        [APE, "run", "deploy", "--network", node, "--yes"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    partial = tmp_path / "ethereum-custom-31337.partial.json"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if len(json.loads(partial.read_text())["steps"]) >= 12:
                break
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            pass
        time.sleep(0.02)
    proc.kill()
    proc.wait(timeout=20)
    assert not (tmp_path / "ethereum-custom-31337.json").exists()

    again = run("deploy", "--network", node, "--yes", deployments=tmp_path)
    assert again.returncode != 0
    assert "an interrupted deploy was found at" in again.stderr and "--resume" in again.stderr

    out = run("deploy", "--network", node, "--yes", "--resume", deployments=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "steps already done" in out.stdout
    assert not partial.exists()
    manifest = json.loads((tmp_path / "ethereum-custom-31337.json").read_text())
    txs = manifest["transactions"]
    assert len({t["step"] for t in txs}) == len(txs)  # no step twice
    deployer_txs = [t for t in txs if t["from"] == manifest["deployer"]]
    from web3 import Web3

    nonce = Web3(Web3.HTTPProvider(node)).eth.get_transaction_count(manifest["deployer"])
    assert nonce == len(deployer_txs)  # nothing sent twice, nothing lost
    status = run("treasury", "status", "--network", node, "--json", deployments=tmp_path)
    assert status.returncode == 0, status.stderr[-2000:]


def _steps(partial: Path) -> list[dict]:
    try:
        return json.loads(partial.read_text())["steps"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return []


KILLS = 20


def _pending(node, steps: list[dict]) -> tuple[list, list]:
    """The steps journaled as pending whose transaction is mined, and those not."""
    pending = [s for s in steps if s["status"] == "pending"]
    if not pending:
        return [], []
    counts = node.nonces({s["sender"] for s in pending})
    mined = [s for s in pending if counts[s["sender"]] > s["nonce"]]
    return mined, [s for s in pending if s not in mined]


@pytest.mark.slow
def test_deploy_killed_20_times_at_varied_points__every_resume_sends_only_what_never_landed(
    tmp_path,
):
    """One deploy, killed (SIGKILL) 20 times in a row, each run a resume of the last, the
    kill landing at a later step each time and in turn: while a step is journaled as
    pending and not yet mined, in the gap where its transaction is mined but not yet
    journaled as done, and at any moment. The last resume completes it: every step once, and
    the deployer's nonce equals its transactions."""
    node = Node(free_port())
    node.start()
    try:
        # A 50 ms gap between a step's receipt and its journal line, so that the kills
        # meant for it land there for certain (a real gap is a few milliseconds).
        env = {
            **os.environ,
            "SOVEREIGN_DEPLOYMENTS": str(tmp_path),
            "SOVEREIGN_TEST_STEP_GAP": "0.05",
        }
        partial = tmp_path / "ethereum-custom-31337.partial.json"
        landed = {"pending": 0, "mined, not journaled": 0, "between steps": 0}
        modes = ["pending", "mined, not journaled", "any"]
        for kill in range(KILLS):
            argv = [APE, "run", "deploy", "--network", node.url, "--yes"]
            if partial.exists():
                argv.append("--resume")
            proc = subprocess.Popen(
                argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
            )
            want, mode = 2 + kill, modes[kill % 3]
            deadline = time.time() + 180
            while time.time() < deadline and proc.poll() is None:
                steps = _steps(partial)
                if len(steps) >= want:
                    mined, unmined = _pending(node, steps)
                    if mode == "any" or (mined if mode != "pending" else unmined):
                        break
                time.sleep(0.005)
            proc.kill()
            proc.wait(timeout=20)
            assert proc.returncode != 0, f"kill {kill}: the deploy finished before the kill"
            mined, unmined = _pending(node, _steps(partial))
            moment = "mined, not journaled" if mined else "pending" if unmined else "between steps"
            landed[moment] += 1
        # Both moments inside a step were hit (the gap between mined and journaled too).
        assert landed["pending"] and landed["mined, not journaled"], landed
        out = run("deploy", "--network", node.url, "--yes", "--resume", deployments=tmp_path)
        assert out.returncode == 0, out.stderr[-2000:]
        manifest = json.loads((tmp_path / "ethereum-custom-31337.json").read_text())
        txs = manifest["transactions"]
        assert len({t["step"] for t in txs}) == len(txs)  # no step twice
        deployer_txs = [t for t in txs if t["from"] == manifest["deployer"]]
        assert node.nonces([manifest["deployer"]])[manifest["deployer"]] == len(deployer_txs)
    finally:
        node.stop()


def test_deploy__independent_steps_share_blocks(tmp_path):
    """With a block a second, the manager's wiring (function roles, labels, grants: none
    depends on another) is sent together and lands in a few blocks, not one each."""
    node = Node(free_port())
    node.start()
    try:
        node.rpc("evm_setAutomine", [False])
        node.rpc("evm_setIntervalMining", [1])
        out = run("deploy", "--network", node.url, "--yes", deployments=tmp_path)
        assert out.returncode == 0, out.stderr[-2000:]
        assert "step 1: deploy SovereignAccessManager" in out.stdout  # progress, per step
        manifest = json.loads((tmp_path / "ethereum-custom-31337.json").read_text())
        wiring = [
            t
            for t in manifest["transactions"]
            if t["step"].split()[0] in ("setTargetFunctionRole", "labelRole", "grantRole")
        ]
        blocks = {t["block"] for t in wiring}
        assert len(wiring) >= 20 and len(blocks) <= 3, (len(wiring), sorted(blocks))
    finally:
        node.stop()
