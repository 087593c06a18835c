"""The batch engine through every fault the operator meets, as the operator runs it:
`ape treasury batch` as a real process against a node of the test's own, Anvil and
Hardhat's node (the restart and the fee market on Anvil only, each skip says why).

Each fault test asserts three things: every instruction executed exactly once (one
Minted event per id, and the supply moved by the batch's total), the journal equals
the chain (`ape treasury journal verify --batch FILE` exits 0), and the operator saw
one line saying what to do next."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter

import pytest
from eth_utils import keccak

from sovereign.journal import Journal
from sovereign.units import bytes32_to_text
from tests.utils.cli import APE
from tests.utils.constants import ROOT
from tests.utils.deployed import EXCHANGE, cli, deploy_funded, on_node
from tests.utils.node import Node, free_port, node_params

WAD = 10**18
AMOUNT = 1_000  # SSHL per row
MINTED = "0x" + keccak(text="Minted(bytes32,address,address,uint256,uint256)").hex()


@pytest.fixture(scope="module", params=node_params("anvil", "hardhat", group="batch-faults"))
def node(request, tmp_path_factory):
    """Anvil (whose state survives a restart) and Hardhat's node, each with automine."""
    kind, mining = request.param
    state = tmp_path_factory.mktemp("node") / "state.json" if kind == "anvil" else None
    n = Node(free_port(), state, kind=kind, mining=mining)
    n.start()
    yield n
    n.stop()


def anvil_only(node, why: str) -> None:
    if node.kind != "anvil":
        pytest.skip(f"Anvil only: {why}")


@pytest.fixture(scope="module")
def deployments(node, tmp_path_factory, accounts):
    folder = tmp_path_factory.mktemp("deployments")
    deploy_funded(node, folder, accounts)
    return folder


class Batch:
    """One batch file, its journal, and the checks every fault test makes."""

    def __init__(self, node, deployments, folder, name: str, rows: int):
        self.node, self.deployments = node, deployments
        self.ids = [f"{name}-{i:04d}" for i in range(rows)]
        self.csv = folder / f"{name}.csv"
        self.csv.write_text(
            "instruction_id,action,recipient,amount\n"
            + "".join(f"{i},mint,{EXCHANGE},{AMOUNT}\n" for i in self.ids)
        )
        self.journal = folder / f"{name}.journal.jsonl"
        self.supply_before = self.supply()

    def argv(self, *extra) -> list[str]:
        return [
            APE,
            "treasury",
            "batch",
            str(self.csv),
            "--yes",
            "--journal",
            str(self.journal),
            "--network",
            self.node.url,
            *extra,
        ]

    def start(self, *extra) -> subprocess.Popen:
        return subprocess.Popen(
            self.argv(*extra),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(),
        )

    def run(self, *extra) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.argv(*extra), cwd=ROOT, capture_output=True, text=True, env=self.env(), timeout=600
        )

    def env(self) -> dict:
        return {**os.environ, "SOVEREIGN_DEPLOYMENTS": str(self.deployments), "COLUMNS": "200"}

    def supply(self) -> int:
        manifest = json.loads(next(self.deployments.glob("*.json")).read_text())
        coin = manifest["contracts"]["SovereignStablecoin"]["address"]
        return int(self.node.rpc("eth_call", [{"to": coin, "data": "0x18160ddd"}, "latest"]), 16)

    def minted(self) -> Counter:
        """Minted events per instruction id of this batch, over the whole chain."""
        logs = self.node.rpc(
            "eth_getLogs", [{"fromBlock": "0x0", "toBlock": "latest", "topics": [MINTED]}]
        )
        ids = Counter(bytes32_to_text(bytes.fromhex(log["topics"][1][2:])) for log in logs)
        return Counter({i: ids[i] for i in self.ids if ids[i]})

    def intents(self) -> int:
        if not self.journal.exists():
            return 0
        return self.journal.read_text().count('"kind": "intent"')

    def receipts(self) -> int:
        if not self.journal.exists():
            return 0
        return self.journal.read_text().count('"kind": "receipt"')

    def verify(self):
        return cli(
            "journal",
            "verify",
            str(self.journal),
            "--batch",
            str(self.csv),
            node=self.node,
            deployments=self.deployments,
        )

    def assert_exactly_once(self):
        minted = self.minted()
        assert sorted(minted) == self.ids and set(minted.values()) == {1}, minted.most_common(3)
        assert self.supply() - self.supply_before == len(self.ids) * AMOUNT * WAD
        verified = self.verify()
        assert verified.returncode == 0, (verified.stdout[-2000:], verified.stderr[-800:])
        entries = Journal(self.journal).load().entries
        assert sorted(i for i, e in entries.items() if e["result"] == "executed") == self.ids


def one_line(stderr: str) -> str:
    text = stderr.strip()
    assert text.startswith("Error:") and "\n" not in text, text[-1500:]
    return text


def wait_for(predicate, timeout: float = 120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("timed out")


# ------------------------------------------------------------------ the plain run


def test_batch__runs_pipelined_and_journals_intent_then_receipt(node, deployments, tmp_path):
    batch = Batch(node, deployments, tmp_path, "PLAIN", 60)
    head = int(node.rpc("eth_blockNumber"), 16)
    out = batch.run("--window", "16")
    assert out.returncode == 0, out.stderr[-1500:]
    assert "60 executed" in out.stdout
    batch.assert_exactly_once()
    lines = [json.loads(x) for x in batch.journal.read_text().splitlines()]
    for ident in batch.ids:  # each id: its intent (with nonce and terms) before its receipt
        kinds = [x["kind"] for x in lines if x["instruction_id"] == ident]
        assert kinds == ["intent", "receipt"], (ident, kinds)
        intent = next(x for x in lines if x["instruction_id"] == ident)
        assert isinstance(intent["nonce"], int) and intent["terms"].startswith("0x")
    nonces = sorted(x["nonce"] for x in lines if x["kind"] == "intent")
    assert nonces == list(range(nonces[0], nonces[0] + 60))  # consecutive, explicit
    assert int(node.rpc("eth_blockNumber"), 16) - head <= 60  # never more than one each
    again = batch.run()
    assert again.returncode == 0 and "0 executed" in again.stdout
    assert "60 already executed on-chain" in again.stdout


# ------------------------------------------------------------------ faults


@pytest.mark.parametrize("kill_at", [1, 17, 40, 75])
def test_kill_at_any_moment__exactly_once(node, deployments, tmp_path, kill_at):
    """SIGKILL once the journal holds ``kill_at`` intents: before a send, between the
    send and its receipt, or between windows; the re-run completes it exactly once."""
    batch = Batch(node, deployments, tmp_path, f"KILL{kill_at}", 100)
    proc = batch.start("--window", "16")
    wait_for(lambda: batch.intents() >= kill_at or proc.poll() is not None)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    out = batch.run()
    assert out.returncode == 0, out.stderr[-1500:]
    batch.assert_exactly_once()


def test_node_restart_mid_batch__stops_in_one_line__resumes_exactly_once(
    node, deployments, tmp_path
):
    anvil_only(node, "Hardhat's node keeps no state across a restart")
    batch = Batch(node, deployments, tmp_path, "RESTART", 120)
    proc = batch.start("--window", "8")
    wait_for(lambda: batch.receipts() >= 30)
    node.stop()
    _, stderr = proc.communicate(timeout=120)
    node.start()
    assert proc.returncode == 7
    line = one_line(stderr)
    assert "of 120 instructions executed" in line and "run the same command again" in line
    out = batch.run()
    assert out.returncode == 0, out.stderr[-1500:]
    batch.assert_exactly_once()


def test_rollback__journal_repaired__exactly_once_on_the_new_chain(node, deployments, tmp_path):
    batch = Batch(node, deployments, tmp_path, "ROLL", 40)
    snapshot = node.rpc("evm_snapshot")
    assert batch.run().returncode == 0
    assert node.rpc("evm_revert", [snapshot])  # the 40 mints are gone from the chain
    assert batch.minted() == Counter()
    verified = batch.verify()
    assert verified.returncode == 8
    assert "rolled back" in verified.stdout and "40 difference(s)" in verified.stderr
    out = batch.run()
    assert out.returncode == 0, out.stderr[-1500:]
    assert "40 instruction(s) it recorded are not on the chain (rolled back)" in out.stdout
    batch.assert_exactly_once()


def test_reorganised_before_its_confirmations__stops__resumes_exactly_once(
    node, deployments, tmp_path
):
    """Every receipt is in, then the chain is reorganised under them (back to a snapshot
    from before the batch, new blocks mined at the same heights) while the run waits for
    its confirmations: it must not say done."""
    anvil_only(node, "it reorganises the chain with Anvil's interval miner running")
    batch = Batch(node, deployments, tmp_path, "REORG", 10)
    snapshot = node.rpc("evm_snapshot")
    node.rpc("evm_setAutomine", [False])
    node.rpc("evm_setIntervalMining", [1])
    try:
        proc = batch.start("--confirmations", "4")
        wait_for(lambda: batch.receipts() >= 10)
        assert node.rpc("evm_revert", [snapshot])
        _, stderr = proc.communicate(timeout=120)
    finally:
        node.rpc("evm_setIntervalMining", [0])
        node.rpc("evm_setAutomine", [True])
    assert proc.returncode == 7
    line = one_line(stderr)
    assert "10 executed instruction(s) left their blocks (a reorganisation)" in line
    assert "run the same command again" in line
    out = batch.run("--confirmations", "0")
    assert out.returncode == 0, out.stderr[-1500:]
    batch.assert_exactly_once()


def test_torn_and_repeated_lines__repaired_on_the_next_run(node, deployments, tmp_path):
    batch = Batch(node, deployments, tmp_path, "TORN", 20)
    assert batch.run().returncode == 0
    text = batch.journal.read_text()
    lines = text.splitlines()
    # A crash mid-write leaves half a line; a copied journal repeats lines.
    batch.journal.write_text(text + "\n".join(lines[:5]) + "\n" + lines[6][:37])
    verified = batch.verify()
    assert verified.returncode == 8 and "torn line" in verified.stdout
    out = batch.run()
    assert out.returncode == 0, out.stderr[-1500:]
    assert "dropped 1 torn line(s)" in out.stdout and "merged" in out.stdout
    batch.assert_exactly_once()
    assert len(batch.journal.read_text().splitlines()) == 20  # one line per id


def test_executed_but_not_journaled__recorded_from_the_chain(node, deployments, tmp_path):
    batch = Batch(node, deployments, tmp_path, "LOST", 20)
    assert batch.run().returncode == 0
    batch.journal.write_text("")  # the journal lost everything (the chain did not)
    out = batch.run()
    assert out.returncode == 0, out.stderr[-1500:]
    assert "20 executed instruction(s) recorded from the chain" in out.stdout
    assert "0 executed" in out.stdout
    batch.assert_exactly_once()


def test_reused_id_with_other_terms__refused_with_both_terms(node, deployments, tmp_path):
    batch = Batch(node, deployments, tmp_path, "REUSE", 3)
    assert batch.run().returncode == 0
    before = batch.supply()
    other = tmp_path / "other.csv"
    other.write_text(
        "instruction_id,action,recipient,amount\n"
        f"{batch.ids[0]},mint,{EXCHANGE},{AMOUNT}\n"  # the same terms: already done
        f"{batch.ids[1]},mint,{EXCHANGE},{AMOUNT + 1}\n"  # the same id, another amount
    )
    out = cli("batch", str(other), "--yes", node=node, deployments=deployments)
    assert out.returncode == 4
    line = one_line(out.stderr)
    assert f"row 3 ({batch.ids[1]})" in line
    assert f"a mint of 1,000.00 SSHL to {EXCHANGE}" in line  # what the chain holds
    assert f"this row asks a mint of 1,001.00 SSHL to {EXCHANGE}" in line
    assert "nothing was sent" in line
    assert batch.supply() == before
    assert (
        not (tmp_path / "other.journal.jsonl").exists()
        or "1001" not in (tmp_path / "other.journal.jsonl").read_text()
    )


def test_row_edited_while_its_first_send_is_pooled__refused_with_both_terms(
    node, deployments, tmp_path
):
    """The first run dies with its transaction in the node's pool; the operator edits
    the row's amount. The next run must not count the pooled send as this row done."""
    anvil_only(node, "it holds a transaction in the pool with automine off")
    batch = Batch(node, deployments, tmp_path, "EDIT", 2)
    node.rpc("evm_setAutomine", [False])
    try:
        proc = batch.start()
        wait_for(lambda: batch.intents() >= 2)
        time.sleep(0.5)  # sent, not mined
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        batch.csv.write_text(batch.csv.read_text().replace(f"{AMOUNT}\n", f"{AMOUNT + 5}\n", 1))
        out = batch.run()
        assert out.returncode == 4
        line = one_line(out.stderr)
        assert f"({batch.ids[0]}): an earlier run sent this id with other terms" in line
        assert "this row asks a mint of 1,005.00 SSHL" in line and "nothing was sent" in line
    finally:
        node.rpc("evm_setAutomine", [True])
        node.rpc("evm_mine")
    assert sum(batch.minted().values()) == 2  # the first run's sends, at their own terms


def test_second_run_at_the_same_time__refused_by_the_lock(node, deployments, tmp_path):
    batch = Batch(node, deployments, tmp_path, "LOCK", 30)
    with Journal(batch.journal).locked():  # a first run holds the journal
        out = batch.run()
    assert out.returncode == 4
    line = one_line(out.stderr)
    assert "another run is using the journal" in line and f"pid {os.getpid()}" in line
    assert batch.minted() == Counter()
    # And two real runs started together: one works, the other is refused or finds
    # nothing left; never a traceback, never a double mint.
    first, second = batch.start(), batch.start()
    outs = [p.communicate(timeout=300) for p in (first, second)]
    codes = sorted(p.returncode for p in (first, second))
    assert codes in ([0, 0], [0, 4]), (codes, [o[1][-800:] for o in outs])
    for (_, err), proc in zip(outs, (first, second), strict=True):
        if proc.returncode == 4:
            assert "another run is using the journal" in one_line(err)
    batch.assert_exactly_once()


class FeeHolder(threading.Thread):
    """A chain whose blocks this thread mines, with the base fee pinned: at ``base`` until
    the pool holds the ``expect`` transactions of the batch, then one wei above their
    lowest max fee, so that they wait and only a bumped fee gets in. No block is mined
    while the batch is still arriving, so no transaction can slip in before the pin."""

    def __init__(self, node, base: int, expect: int):
        super().__init__(daemon=True)
        self.node, self.base, self.expect = node, base, expect
        self.pinned, self.running = None, True

    def run(self):
        while self.running:
            pool = self.node.rpc("txpool_content")["pending"]
            fees = [int(tx["maxFeePerGas"], 16) for txs in pool.values() for tx in txs.values()]
            if self.pinned is None and 0 < len(fees) < self.expect:
                time.sleep(0.01)  # the batch is arriving: no block now
                continue
            if self.pinned is None and fees:
                self.pinned = min(fees)
            target = self.base if self.pinned is None else self.pinned + 1
            self.node.rpc("anvil_setNextBlockBaseFeePerGas", [hex(target)])
            self.node.rpc("evm_mine")
            time.sleep(0.3)

    def __enter__(self):
        self.node.rpc("anvil_setNextBlockBaseFeePerGas", [hex(self.base)])
        self.node.rpc("evm_mine")
        self.node.rpc("evm_setAutomine", [False])
        self.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.join(timeout=5)
        self.node.rpc("evm_setAutomine", [True])


BASE_FEE = 10**9  # 1 gwei


def test_stuck_on_the_fee_market__replaced_by_nonce_with_a_bumped_fee(node, deployments, tmp_path):
    """The batch's max fee (2 x base + tip) sits one wei below the base fee: after three
    blocks the sender re-signs the same nonces with both fees up 12.5%, and they mine."""
    anvil_only(node, "holding the base fee reads the pool (txpool_content), which Hardhat lacks")
    batch = Batch(node, deployments, tmp_path, "STUCK", 12)
    with FeeHolder(node, BASE_FEE, 12) as holder:
        out = batch.run()
    assert out.returncode == 0, out.stderr[-1500:]
    assert "waited" in out.stdout and "re-sent 12 transactions" in out.stdout
    lines = [json.loads(x) for x in batch.journal.read_text().splitlines()]
    receipts = {x["tx"] for x in lines if x["kind"] == "receipt"}
    mined = [x for x in lines if x["kind"] == "intent" and x["tx"] in receipts]
    assert len(mined) == 12 and all(x["max_fee"] > holder.pinned for x in mined)
    assert len({x["nonce"] for x in mined}) == 12  # the same nonces, replaced
    batch.assert_exactly_once()


def test_stuck_at_the_fee_cap__stops_in_one_line__next_run_completes(node, deployments, tmp_path):
    anvil_only(node, "holding the base fee reads the pool (txpool_content), which Hardhat lacks")
    batch = Batch(node, deployments, tmp_path, "CAPPED", 12)
    tip = int(node.rpc("eth_maxPriorityFeePerGas"), 16)
    first_fee = 2 * BASE_FEE + tip
    cap_gwei = f"{first_fee * 1.05 / 10**9:.9f}"  # above the first fee, below one bump
    with FeeHolder(node, BASE_FEE, 12):
        capped = batch.run("--max-fee-gwei", cap_gwei)
        assert capped.returncode == 7
        line = one_line(capped.stderr)
        assert "0 of 12 instructions executed" in line
        assert "a bump would pass the cap of" in line and "--max-fee-gwei" in line
        assert batch.minted() == Counter()
        out = batch.run()  # the default cap (twice the first fee) allows the bump
    assert out.returncode == 0, out.stderr[-1500:]
    batch.assert_exactly_once()


def test_pause_mid_batch__stops_cleanly_n_of_m__resumes_after_unpause(
    node, deployments, tmp_path, accounts
):
    """Last in the module: the unpause moves the clock past the governor's delay."""
    batch = Batch(node, deployments, tmp_path, "PAUSE", 150)
    manifest = json.loads(next(deployments.glob("*.json")).read_text())
    coin = manifest["contracts"]["SovereignStablecoin"]["address"]
    guardian = manifest["holders"]["guardian"]
    proc = batch.start("--window", "8")
    wait_for(lambda: batch.receipts() >= 20)
    node.rpc(
        "eth_sendTransaction",
        [
            {
                "from": guardian,
                "to": coin,
                "data": "0x" + keccak(text="pause(uint8)")[:4].hex() + "01".rjust(64, "0"),
            }
        ],
    )
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 7
    line = one_line(stderr)
    assert "of 150 instructions executed, then: row" in line and "paused" in line
    assert "run the same command again" in line
    done = sum(batch.minted().values())
    assert 20 <= done < 150
    assert f"{done} of 150" in line
    verified = batch.verify()  # the reverted rows are journaled as failed, not executed
    assert verified.returncode == 0, verified.stdout[-1500:]
    for _ in range(2):  # schedule, then after the delay execute
        cli("unpause", "mint", "--yes", node=node, deployments=deployments, check=True)
        node.advance(2 * 86_400)
    with on_node(node, deployments) as system:
        reporter = next(a for a in accounts if a.address == system.holders.oracle_reporter)
        system.feeds["eSHL"].report(10**8, sender=reporter)
    out = batch.run()
    assert out.returncode == 0, out.stderr[-1500:]
    batch.assert_exactly_once()
