"""Event scans page their block ranges from the deployment block (sovereign.events).

End to end: an Anvil with 500 empty blocks before the deployment and 250 after it,
reached through a proxy that refuses ``eth_getLogs`` over more than 100 blocks, as
public providers do (with 2,000 or 10,000 blocks: the scale is cut by ten, as Anvil
mines each block slower the longer its chain, 7,500 blocks in about a minute).
`roles show`, `governance pending`, `participants list` and `status` answer through it
what they answer straight from the node; the first ``eth_getLogs`` asks from the
deployment block, none asks for an earlier block, and none wider than the limit is
served. With ``SOVEREIGN_LOG_PAGE=100`` nothing is refused at all.

Unit: ``events.scan`` halves a refused page down to one block, keeps every log once and
in order, and names the block a node refuses even alone; on ape's test chain it decodes
what one ``range`` decodes; ``deployment_block`` reads the earliest block of a manifest.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from sovereign import events
from sovereign.inputs import InputError
from sovereign.roles import Role
from tests.utils import node as nodes
from tests.utils.cli import APE
from tests.utils.constants import ROOT
from tests.utils.rangeproxy import RangeProxy

LIMIT = 100  # the proxy's eth_getLogs cap [blocks]
BEFORE, AFTER = 500, 250  # empty blocks mined before and after the deployment
EXCHANGE = "0x2546BcD3c84621e976D8185a91A922aE77ECEc30"  # Anvil account 16

# One node and one deployment for the module, on one test worker.
pytestmark = pytest.mark.xdist_group("paged-scans")

# ------------------------------------------------------------------ events.scan


class Refused(Exception):
    pass


class FakeEvent:
    """A ContractEvent whose node refuses ranges wider than ``limit`` blocks and has one
    log in every block listed in ``blocks``."""

    name = "Fake"

    def __init__(self, limit: int, blocks):
        self.limit, self.blocks, self.calls = limit, sorted(blocks), []

    def range(self, start, stop, search_topics=None):
        self.calls.append((start, stop, search_topics))
        if stop - start > self.limit:
            raise Refused(f"query exceeds max block range {self.limit}\nsecond line")
        yield from (("log", b) for b in self.blocks if start <= b < stop)


def test_scan__halves_a_refused_page_and_keeps_the_smaller_one():
    blocks = [100, 101, 999, 2_345, 2_346, 5_099]
    event = FakeEvent(300, blocks)
    logs = list(events.scan(event, 100, 5_100, page=2_000, search_topics={"x": 1}))
    assert logs == [("log", b) for b in blocks]
    widths = [stop - start for start, stop, _ in event.calls]
    assert widths[:4] == [2_000, 1_000, 500, 250]  # three refusals, then 250 fits
    assert all(w <= 250 for w in widths[4:])
    served = [(a, b) for a, b, _ in event.calls if b - a <= 300]
    assert served[0][0] == 100 and served[-1][1] == 5_100  # nothing before start, none past stop
    assert all(x[1] == y[0] for x, y in zip(served, served[1:], strict=False))  # no gap, no overlap
    assert all(topics == {"x": 1} for *_, topics in event.calls)


def test_scan__a_short_last_page_is_halved_too():
    event = FakeEvent(2, [10, 11, 12])
    assert list(events.scan(event, 10, 13, page=2_000)) == [("log", 10), ("log", 11), ("log", 12)]
    assert [(a, b) for a, b, _ in event.calls] == [(10, 13), (10, 11), (11, 12), (12, 13)]


def test_scan__refused_even_for_one_block__names_it():
    event = FakeEvent(0, [])
    with pytest.raises(events.LogScanError) as err:
        list(events.scan(event, 7_000, 9_000, page=16))
    assert str(err.value) == (
        "the node refused the Fake logs of block 7000 even one block at a time: "
        "query exceeds max block range 0"
    )
    assert isinstance(err.value.__cause__, Refused)
    assert [b - a for a, b, _ in event.calls] == [16, 8, 4, 2, 1]


def test_scan__an_unreachable_node_is_not_asked_again():
    class Down(FakeEvent):
        def range(self, start, stop, search_topics=None):
            self.calls.append((start, stop, search_topics))
            raise ConnectionRefusedError("connection refused")

    event = Down(10, [])
    with pytest.raises(ConnectionRefusedError):
        list(events.scan(event, 0, 5_000))
    assert len(event.calls) == 1


def test_scan__page_from_the_environment(monkeypatch):
    event = FakeEvent(10_000, [])
    monkeypatch.setenv(events.PAGE_ENV, "700")
    list(events.scan(event, 0, 1_500))
    assert [(a, b) for a, b, _ in event.calls] == [(0, 700), (700, 1_400), (1_400, 1_500)]
    monkeypatch.delenv(events.PAGE_ENV)
    assert events.page_size() == events.DEFAULT_PAGE == 2_000
    assert events.page_size(5) == 5
    for bad in ("0", "-3", "many"):
        monkeypatch.setenv(events.PAGE_ENV, bad)
        with pytest.raises(InputError):
            events.page_size()


def test_deployment_block__the_earliest_recorded():
    manifest = {
        "contracts": {"A": {"block": 5_004}, "B": {"block": None}, "C": {}},
        "transactions": [{"block": 5_002}, {"block": 5_003}, {"block": None}],
    }
    assert events.deployment_block(manifest) == 5_002
    assert events.deployment_block({"contracts": {"A": {"block": 9}}}) == 9
    assert events.deployment_block({"contracts": {"A": {"tx": None}}}) == 0


def test_scan__real_logs_decoded_as_by_one_range(system, chain):
    """On ape's test chain: pages of 3 blocks give the logs one ``range`` gives, decoded;
    search topics reach every page."""
    manager = system.manager
    whole = list(manager.RoleGranted.range(0, chain.blocks.head.number + 1))
    paged = list(events.scan(manager.RoleGranted, 0, page=3))
    assert len(whole) > 3
    key = lambda log: (log.block_number, log.log_index, int(log.roleId), log.account)  # noqa: E731
    assert [key(log) for log in paged] == [key(log) for log in whole]
    minter = events.scan(manager.RoleGranted, 0, search_topics={"roleId": int(Role.MINTER)}, page=5)
    assert [log.account for log in minter] == [system.holders.minter.address]


def test_range_proxy__batch__refuses_wide_getlogs_only(chain):
    """The test proxy itself, in front of ape's test Anvil: a JSON-RPC batch is answered
    item by item; "latest" is resolved; only the wide eth_getLogs is refused."""
    import urllib.request

    chain.mine(20)
    head = chain.blocks.head.number
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_getLogs",
         "params": [{"fromBlock": hex(head - 19), "toBlock": "latest"}]},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_getLogs",
         "params": [{"fromBlock": hex(head - 9), "toBlock": hex(head)}]},
    ]  # fmt: skip
    with RangeProxy(chain.provider.http_uri, 10) as proxy:
        request = urllib.request.Request(
            proxy.url, json.dumps(batch).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            one, wide, narrow = json.loads(answer.read())
    assert int(one["result"], 16) == head
    assert wide == {
        "jsonrpc": "2.0",
        "id": 2,
        "error": {"code": -32005, "message": "query exceeds max block range 10"},
    }
    assert narrow["id"] == 3 and isinstance(narrow["result"], list)
    assert (proxy.get_logs, proxy.refused, proxy.min_from_block) == (2, 1, head - 19)
    assert (proxy.widest_asked, proxy.widest_served) == (20, 10)


# ------------------------------------------------------------------ end to end


class Treasury:
    """``ape treasury ARGS --network URL`` as real processes, from a folder outside the
    repository (the manifest in its deployments/)."""

    def __init__(self, folder):
        self.folder = folder
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOVEREIGN_")}
        self.env = {**env, "COLUMNS": "200"}

    def __call__(self, url: str, *args: str, env: dict | None = None):
        return subprocess.run(
            [APE, "treasury", *args, "--network", url],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=600,
            env={**self.env, **(env or {})},
        )

    def ok(self, url: str, *args: str, env: dict | None = None) -> str:
        out = self(url, *args, env=env)
        assert out.returncode == 0, (args, out.stdout[-1500:], out.stderr[-1500:])
        return out.stdout

    def json(self, url: str, *args: str, env: dict | None = None):
        return json.loads(self.ok(url, *args, "--json", env=env))

    @property
    def manifest(self) -> dict:
        return json.loads(next((self.folder / "deployments").glob("*.json")).read_text())


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """A deployment at block ~500 with a participant licensed and a parameter change
    scheduled 250 blocks later; the node and the deployment block."""
    node = nodes.Node(nodes.free_port(), tmp_path_factory.mktemp("anvil") / "state.json")
    node.start()
    try:
        node.rpc("anvil_mine", [hex(BEFORE)])
        folder = tmp_path_factory.mktemp("operator")
        assert ROOT not in folder.parents
        run = Treasury(folder)
        run.ok(node.url, "deploy", "--yes", "--config", str(ROOT / "deploy" / "local.yaml"))
        manifest = run.manifest
        first = min(step["block"] for step in manifest["transactions"])
        assert first > BEFORE
        node.rpc("anvil_mine", [hex(AFTER)])
        run.ok(node.url, "participants", "add", EXCHANGE, "--ref", "VASP-1", "--yes")
        run.ok(node.url, "params", "min-ratio", "1.05", "--yes")
        head = int(node.rpc("eth_blockNumber"), 16)
        assert head - first + 1 > 2 * LIMIT  # the scans need several pages
        yield node, run, first, head
    finally:
        node.stop()


READS = {
    "roles": ("roles", "show"),
    "pending": ("governance", "pending"),
    "participants": ("participants", "list"),
    "status": ("status",),
}


@pytest.fixture(scope="module")
def reads(deployed):
    """Each read as JSON straight from the node, and through the capped proxy with what
    the proxy saw: name -> (direct, capped, proxy)."""
    node, run, *_ = deployed
    out = {}
    for name, args in READS.items():
        direct = run.json(node.url, *args)
        with RangeProxy(node.url, LIMIT) as proxy:
            out[name] = (direct, run.json(proxy.url, *args), proxy)
    return out


@pytest.mark.parametrize("name", list(READS))
def test_reads_through_a_range_capped_node__same_answer(reads, name):
    direct, capped, _ = reads[name]
    assert capped == direct


@pytest.mark.parametrize("name", [n for n in READS if n != "status"])
def test_reads_through_a_range_capped_node__paged_from_the_deployment(deployed, reads, name):
    *_, first, head = deployed
    proxy = reads[name][2]
    assert proxy.min_from_block >= first, (proxy.min_from_block, first)
    assert 0 < proxy.widest_served <= LIMIT
    # The default page (2,000 blocks) asked the whole range from the deployment block,
    # was refused, and was halved until it fitted.
    assert proxy.ranges[0] == (first, head)
    assert proxy.refused > 0 and proxy.widest_asked == head - first + 1


def test_reads_show_what_was_done_after_the_gap(deployed, reads):
    """The events 250 blocks after the deployment are found (not only the first page)."""
    holders = deployed[1].manifest["holders"]
    (op,) = reads["pending"][1]["operations"]
    assert op["words"] == "set the minimum collateral ratio of Reserve to 105.00%"
    participants = reads["participants"][1]["participants"]
    assert [(p["account"], p["licensed"], p["licence"]) for p in participants] == [
        (EXCHANGE, True, "VASP-1")
    ]
    minter = next(row for row in reads["roles"][1] if row["role"] == "minter")
    assert [h["account"] for h in minter["holders"]] == [holders["minter"]]


def test_page_from_the_environment__nothing_refused(deployed):
    node, run, first, _ = deployed
    with RangeProxy(node.url, LIMIT) as proxy:
        run.json(proxy.url, "roles", "show", env={events.PAGE_ENV: str(LIMIT)})
    assert proxy.get_logs > 0 and proxy.refused == 0
    assert proxy.widest_asked == LIMIT and proxy.min_from_block >= first


def test_bad_page_in_the_environment__one_line(deployed):
    node, run, *_ = deployed
    out = run(node.url, "roles", "show", env={events.PAGE_ENV: "lots"})
    assert out.returncode == 3, out.stderr[-1500:]
    assert out.stderr.strip() == f"Error: {events.PAGE_ENV}='lots' is not a whole number of blocks"


def test_node_refusing_every_range__one_line_naming_the_block(deployed):
    node, run, first, _ = deployed
    with RangeProxy(node.url, 0) as proxy:  # refuses even a single block
        out = run(proxy.url, "roles", "show")
    assert out.returncode == 5 and out.stdout == ""  # the node's refusal: exit 5
    assert out.stderr.strip().splitlines() == [
        "Error: the node refused the RoleGranted logs of block "
        f"{first} even one block at a time: query exceeds max block range 0"
    ]
    # halved from the whole range to one block, never before the deployment
    assert proxy.widest_asked > 1 and proxy.ranges[-1] == (first, first)
    assert proxy.min_from_block == first
