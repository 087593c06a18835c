"""A CSV batch through a Safe (`ape treasury batch FILE --safe minter --account OWNER`),
every step its own `ape treasury` process against an Anvil of its own, from a folder
outside the repository (the set-up and helpers of tests/e2e/test_safe.py): the minter is
a 2-of-3 Safe; the rows are proposed by owner 1 as MultiSend chunks, one Safe
transaction each; a chunk cannot execute before owner 2 approves it from another
process; once executed, every id has exactly one Minted event, the supply moved by the
total, a rerun records the rows from the chain and proposes nothing, and `journal verify
--batch` agrees. A reused id with other terms is refused as it is without a Safe, and
so is a row waiting in a proposal with other terms; a chunk that would fail is refused at
execution in the system's words and later runs whole; a chunk cancelled once approved to
its threshold keeps its rows until its rejection executes; burn rows whose burner is not
the Safe are refused in one line. The last test measures a full 15M-gas chunk. The tests
share one deployment and run in order (the second reuses an id the first executed)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from sovereign.units import bytes32_to_text
from tests.e2e.test_safe import EXCHANGE, MINTED, OWNERS, WAD, Treasury, _one_line
from tests.utils import node as nodes
from tests.utils.constants import ROOT

pytestmark = pytest.mark.xdist_group("cli-safe-batch")

PROPOSER, APPROVER, EXECUTOR = "TEST::13", "TEST::14", "TEST::19"


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    n = nodes.Node(nodes.free_port(), tmp_path_factory.mktemp("anvil") / "state.json")
    n.start()
    yield n
    n.stop()


@pytest.fixture(scope="module")
def treasury(node, tmp_path_factory):
    """Deployed with the governor and the minter as 2-of-3 Safes of OWNERS; the exchange
    licensed; 1,000,000 cash in the reserve."""
    folder = tmp_path_factory.mktemp("operator")
    assert ROOT not in folder.parents
    run = Treasury(node, folder, tmp_path_factory.mktemp("home"))
    config = str(ROOT / "deploy" / "local.yaml")
    run.ok("deploy", "--yes", "--config", config, "--safe-owners", ",".join(OWNERS))
    run.ok("participants", "add", EXCHANGE, "--ref", "VASP-1", "--yes")
    run.ok("cash", "issue", "reserve", "1000000", "--yes")
    return run


class SafeBatch:
    """One CSV file of mints to the exchange, its journal, and the chain's view of it."""

    def __init__(self, treasury: Treasury, name: str, rows: int, amount: int, lines=None):
        self.treasury, self.amount = treasury, amount
        self.ids = [f"{name}-{i:04d}" for i in range(rows)]
        self.csv = treasury.folder / f"{name}.csv"
        body = lines or [f"{i},mint,{EXCHANGE},{amount}" for i in self.ids]
        self.csv.write_text("instruction_id,action,recipient,amount\n" + "\n".join(body) + "\n")
        self.journal = treasury.folder / f"{name}.journal.jsonl"

    def argv(self, *extra: str) -> list[str]:
        return [
            "batch",
            str(self.csv),
            "--safe",
            "minter",
            "--account",
            PROPOSER,
            "--yes",
            "--journal",
            str(self.journal),
            *extra,
        ]

    def run(self, *extra: str):
        return self.treasury(*self.argv(*extra))

    def json(self, *extra: str) -> dict:
        return self.treasury.json(*self.argv(*extra))

    def verify(self):
        return self.treasury("journal", "verify", str(self.journal), "--batch", str(self.csv))

    def minted(self) -> Counter:
        """Minted events per id of this batch, over the whole chain."""
        logs = self.treasury.node.rpc(
            "eth_getLogs", [{"fromBlock": "0x0", "toBlock": "latest", "topics": [MINTED]}]
        )
        ids = Counter(bytes32_to_text(bytes.fromhex(log["topics"][1][2:])) for log in logs)
        return Counter({i: ids[i] for i in self.ids if ids[i]})

    def intents(self) -> list[dict]:
        lines = [json.loads(line) for line in self.journal.read_text().splitlines()]
        return [line for line in lines if line.get("kind") == "intent"]


def _store(treasury: Treasury) -> dict:
    paths = list((treasury.folder / "deployments").glob("*.safe-proposals.json"))
    return json.loads(Path(paths[0]).read_text()) if paths else {"safes": {}}


def _proposals(treasury: Treasury) -> int:
    return sum(len(entries) for entries in _store(treasury)["safes"].values())


def _approve_and_execute(treasury: Treasury, safe_tx: str) -> dict:
    treasury.ok("safe", "approve", safe_tx, "--account", APPROVER, "--yes")
    executed = treasury.json("safe", "execute", safe_tx, "--account", EXECUTOR, "--yes")
    (sent,) = executed["transactions"]
    return sent


def test_batch__chunks_proposed__execute_after_a_second_approval__rerun_records_them(treasury):
    batch = SafeBatch(treasury, "B", rows=30, amount=100)
    supply = treasury.supply()
    # A budget of 1M gas a chunk cuts 30 rows into several proposals (15M would take one).
    proposed = batch.json("--chunk-gas", "1000000")
    assert proposed["status"] == "proposed" and proposed["proposed"] == 30
    chunks = proposed["chunks"]
    assert len(chunks) >= 2 and sum(c["rows"] for c in chunks) == 30
    assert all(c["gas"] <= 1_000_000 for c in chunks)
    start = chunks[0]["nonce"]
    assert [c["nonce"] for c in chunks] == list(range(start, start + len(chunks)))
    hashes = [c["safe_tx_hash"] for c in chunks]
    assert treasury.supply() == supply and not batch.minted()

    # Each row's intent names its chunk's Safe transaction.
    intents = batch.intents()
    assert [i["instruction_id"] for i in intents] == batch.ids
    for chunk in chunks:
        rows = [i for i in intents if i["chunk"] == chunk["chunk"]]
        assert len(rows) == chunk["rows"]
        assert {(i["safe_tx"], i["safe_nonce"]) for i in rows} == {
            (chunk["safe_tx_hash"], chunk["nonce"])
        }

    # safe pending says a chunk's calls in words: the first three, then a tally.
    first = next(p for p in treasury.pending() if p["safe_tx_hash"] == hashes[0])
    n = chunks[0]["rows"]
    assert len(first["calls"]) == n and first["approved_by"] == [OWNERS[0]]
    assert first["words"] == (
        f"in one transaction of {n} calls: "
        + "; then ".join(
            f"mint 100.00 SSHL to {EXCHANGE} (instruction B-{i:04d})" for i in range(3)
        )
        + f"; … {n - 3} more ({n} mints of {n * 100:,}.00 SSHL in all)"
    )
    table = treasury.ok("safe", "pending").stdout
    assert f"mint 100.00 SSHL to {EXCHANGE} (instruction B-0000)" in table
    assert f"… {n - 3} more" in table and "B-0005" not in table

    # Owner 1 alone cannot execute it.
    early = treasury("safe", "execute", hashes[0], "--account", EXECUTOR, "--yes")
    assert early.returncode == 4 and "has 1 of 2 approvals" in _one_line(early)
    assert treasury.supply() == supply

    # A rerun while the chunks wait proposes nothing, and says so.
    before = _proposals(treasury)
    waiting = batch.run("--json")
    assert waiting.returncode == 0, waiting.stderr[-1500:]
    assert json.loads(waiting.stdout)["status"] == "waiting"
    assert f"30 rows wait in {len(chunks)} proposals: approve and execute them" in waiting.stderr
    assert _proposals(treasury) == before
    assert batch.verify().returncode == 0  # pending intents are no difference

    # Owner 2 approves each chunk from another process; anyone executes it. With the
    # first executed, a rerun records its rows and the rest still wait.
    executions = [_approve_and_execute(treasury, hashes[0])]
    partial = batch.run("--json")
    assert partial.returncode == 0, partial.stderr[-1500:]
    assert json.loads(partial.stdout)["recovered"] == chunks[0]["rows"]
    rest = 30 - chunks[0]["rows"]
    k = len(chunks) - 1
    assert f"{rest} rows wait in {k} proposal{'s' if k > 1 else ''}" in partial.stderr
    assert _proposals(treasury) == before
    executions += [_approve_and_execute(treasury, h) for h in hashes[1:]]
    assert batch.minted() == Counter(dict.fromkeys(batch.ids, 1))
    assert treasury.supply() - supply == 30 * 100 * WAD

    # The journal lacks the executions until the batch runs again...
    stale = batch.verify()
    assert stale.returncode == 8 and "but not in the journal as executed" in stale.stdout + (
        stale.stderr
    )
    # ...which records every row from the chain and proposes nothing.
    rerun = batch.json()
    assert (rerun["status"], rerun["proposed"], rerun["already_executed"]) == ("done", 0, 30)
    assert rerun["recovered"] == rest and _proposals(treasury) == before
    verified = batch.verify()
    assert verified.returncode == 0, (verified.stdout[-1500:], verified.stderr[-1500:])
    assert "30 executed instructions" in verified.stdout + verified.stderr
    assert batch.minted() == Counter(dict.fromkeys(batch.ids, 1))
    for chunk, sent in zip(chunks, executions, strict=True):
        print(
            f"chunk {chunk['chunk']}: {chunk['rows']} rows, simulated {chunk['gas']:,}, "
            f"executed {sent['gas']:,} gas ({sent['gas'] / chunk['rows']:,.0f} a row)"
        )


def test_reused_id_with_other_terms__refused_as_without_a_safe(treasury):
    lines = [f"B-0005,mint,{EXCHANGE},101", f"R-0001,mint,{EXCHANGE},1"]
    batch = SafeBatch(treasury, "R", rows=0, amount=0, lines=lines)
    before = _proposals(treasury)
    out = batch.run()
    assert out.returncode == 4
    line = _one_line(out)
    assert (
        f"row 2 (B-0005): the id was used on-chain for a mint of 100.00 SSHL to {EXCHANGE}" in line
    )
    assert f"this row asks a mint of 101.00 SSHL to {EXCHANGE}" in line
    assert "nothing was sent" in line and _proposals(treasury) == before


def test_row_waiting_in_a_proposal_with_other_terms__refused(treasury):
    batch = SafeBatch(treasury, "W", rows=3, amount=5)
    (chunk,) = batch.json()["chunks"]
    edited = SafeBatch(
        treasury,
        "W2",
        rows=0,
        amount=0,
        lines=[f"W-0000,mint,{EXCHANGE},5", f"W-0001,mint,{EXCHANGE},6"],
    )
    out = edited.run()
    assert out.returncode == 4
    line = _one_line(out)
    assert f"row 3 (W-0001): the id waits in the Safe proposal {chunk['safe_tx_hash']}" in line
    assert "for a mint of 5.00 SSHL" in line and "this row asks a mint of 6.00 SSHL" in line
    # Dropped (below its threshold), the rows of the proposal are proposed again.
    treasury.ok("safe", "cancel", chunk["safe_tx_hash"], "--account", PROPOSER, "--yes")
    out = batch.run("--json")
    assert out.returncode == 0, out.stderr[-1500:]
    assert "3 row(s) of an earlier proposal no longer live" in out.stderr
    again = json.loads(out.stdout)
    assert again["proposed"] == 3 and again["chunks"][0]["nonce"] == chunk["nonce"]
    _approve_and_execute(treasury, again["chunks"][0]["safe_tx_hash"])
    assert batch.minted() == Counter(dict.fromkeys(batch.ids, 1))


def test_chunk_that_would_fail__execute_refused_in_words__runs_whole_later(treasury):
    batch = SafeBatch(treasury, "F", rows=4, amount=2)
    (chunk,) = batch.json()["chunks"]
    treasury.ok("safe", "approve", chunk["safe_tx_hash"], "--account", APPROVER, "--yes")
    supply = treasury.supply()
    treasury.ok("participants", "remove", EXCHANGE, "--ref", "SUSPENDED", "--yes")
    out = treasury("safe", "execute", chunk["safe_tx_hash"], "--account", EXECUTOR, "--yes")
    assert out.returncode == 4
    line = _one_line(out)
    assert "would fail" in line and EXCHANGE in line and "participant" in line, line
    assert "GS013" not in line and treasury.supply() == supply and not batch.minted()
    treasury.ok("participants", "add", EXCHANGE, "--ref", "VASP-1B", "--yes")
    treasury.ok("safe", "execute", chunk["safe_tx_hash"], "--account", EXECUTOR, "--yes")
    assert batch.minted() == Counter(dict.fromkeys(batch.ids, 1))
    assert treasury.supply() - supply == 4 * 2 * WAD


def test_chunk_cancelled_at_threshold__not_proposed_again_until_its_rejection_executes(
    treasury,
):
    batch = SafeBatch(treasury, "C", rows=2, amount=7)
    (chunk,) = batch.json()["chunks"]
    treasury.ok("safe", "approve", chunk["safe_tx_hash"], "--account", APPROVER, "--yes")
    cancelled = treasury.json("safe", "cancel", chunk["safe_tx_hash"], "--account", APPROVER, "-y")
    rejection = cancelled["rejection"]["safe_tx_hash"]
    # Approved to its threshold, the chunk could still execute: its rows are not proposed.
    held = batch.run("--json")
    assert held.returncode == 0, held.stderr[-1500:]
    assert json.loads(held.stdout)["status"] == "waiting"
    assert "2 row(s) are in cancelled proposal(s) approved to the threshold" in held.stderr
    # Once the rejection executes, the nonce has moved on: they are proposed again.
    treasury.ok("safe", "approve", rejection, "--account", PROPOSER, "--yes")
    treasury.ok("safe", "execute", rejection, "--account", EXECUTOR, "--yes")
    again = batch.json()
    assert again["proposed"] == 2 and again["chunks"][0]["nonce"] == chunk["nonce"] + 1
    _approve_and_execute(treasury, again["chunks"][0]["safe_tx_hash"])
    assert batch.minted() == Counter(dict.fromkeys(batch.ids, 1))


def test_burn_rows__burner_not_the_safe__refused_in_one_line(treasury):
    lines = [f"D-0000,mint,{EXCHANGE},1", "D-0001,burn,,1"]
    batch = SafeBatch(treasury, "D", rows=0, amount=0, lines=lines)
    before = _proposals(treasury)
    out = batch.run()
    assert out.returncode == 4
    line = _one_line(out)
    burner = treasury.manifest["holders"]["burner"]
    safe = treasury.manifest["holders"]["minter"]
    assert f"row 3 (D-0001) is a burn, and the burner role is held by {burner}" in line
    assert f"not by the Safe {safe}" in line and "nothing was proposed" in line
    assert _proposals(treasury) == before and not batch.journal.exists()


def test_measure__a_full_chunk_against_one_proposal_per_row(treasury):
    """A 400-row batch under the default 15M budget; its first chunk executed for real,
    beside one mint proposed alone (the per-row alternative)."""
    batch = SafeBatch(treasury, "M", rows=400, amount=1)
    proposed = batch.json()
    chunks = proposed["chunks"]
    assert all(c["gas"] <= 15_000_000 for c in chunks) and len(chunks) == 2
    sent = [_approve_and_execute(treasury, c["safe_tx_hash"]) for c in chunks]
    assert batch.minted() == Counter(dict.fromkeys(batch.ids, 1))
    for chunk, receipt in zip(chunks, sent, strict=True):
        assert receipt["gas"] <= 15_000_000
        assert abs(receipt["gas"] - chunk["gas"]) < 0.01 * chunk["gas"]
    single = treasury.propose_mint("1", "M-ALONE")
    approve = treasury.json("safe", "approve", single["safe_tx_hash"], "--account", APPROVER, "-y")
    alone = treasury.json("safe", "execute", single["safe_tx_hash"], "--account", EXECUTOR, "-y")
    full = chunks[0]
    print(
        f"chunk of {full['rows']} rows: simulated {full['gas']:,}, executed {sent[0]['gas']:,} "
        f"gas = {sent[0]['gas'] / full['rows']:,.0f} a row; second chunk {chunks[1]['rows']} "
        f"rows {sent[1]['gas']:,}; a row alone (direct Reserve.mint, simulated) "
        f"{full['gas_alone_per_row']:,}; approveHash {full['approve_gas']:,}; one mint per "
        f"proposal: approveHash {single['transactions'][0]['gas']:,} + "
        f"{approve['transactions'][0]['gas']:,}, execTransaction "
        f"{alone['transactions'][0]['gas']:,}"
    )
