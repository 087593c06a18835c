"""The batch engine's benchmark (`make bench`): one Anvil, three measures side by side.

The node is an Anvil the benchmark starts, as an operator's node would be, not the
embedded one of ape-foundry: that one always runs with `--steps-tracing` (ape's
call traces), which makes each block several times slower to mine than a node
serving a network. The embedded rate is measured too, for comparison.

- 1,000 mints with automine: instructions per second and JSON-RPC round trips per
  instruction (one HTTP request is one round trip, a JSON-RPC batch included);
- 1,000 mints with a block every 2 seconds: wall time end to end, blocks used, and
  how full the blocks were against what the batch could fill (every block full but
  the last, which holds what is left);
- the preflight of 10,000 rows (reconciliation with the chain and simulation),
  progress shown, nothing sent.

Each runs the same code path as `ape treasury batch` (sovereign/batchrun.py).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from ape import accounts, chain, networks
from rich.console import Console
from rich.table import Table

from sovereign.batch import BatchRow
from sovereign.batchrun import Settings, run_batch
from sovereign.deploy import SystemConfig, deploy_system, local_role_holders
from sovereign.operations import Operator
from sovereign.rpc import quantity
from sovereign.units import WAD, text_to_bytes32

BATCH_SIZE, PREFLIGHT_SIZE, BLOCK_SECONDS = 1_000, 10_000, 2


class RoundTrips:
    """Counts HTTP requests to the node (single or batched) while active."""

    def __enter__(self):
        from web3.providers.rpc import HTTPProvider

        self.count, self._saved = 0, (HTTPProvider.make_request, HTTPProvider.make_batch_request)
        single, batched = self._saved

        def make_request(provider, method, params):
            self.count += 1
            return single(provider, method, params)

        def make_batch_request(provider, requests):
            self.count += 1
            return batched(provider, requests)

        HTTPProvider.make_request, HTTPProvider.make_batch_request = (
            make_request,
            make_batch_request,
        )
        return self

    def __exit__(self, *exc):
        from web3.providers.rpc import HTTPProvider

        HTTPProvider.make_request, HTTPProvider.make_batch_request = self._saved


def _setup():
    deployer, holders, others = local_role_holders(accounts.test_accounts)
    exchange = others[0]
    system = deploy_system(deployer, holders, SystemConfig())
    unit = 10**6
    system.cash.mint(deployer, 100_000_000 * unit, sender=holders.central_bank)
    system.vault.setAllowlisted(deployer, True, text_to_bytes32("KYC"), sender=holders.compliance)
    system.cash.approve(system.vault, 2**256 - 1, sender=deployer)
    system.vault.deposit(100_000_000 * unit, system.reserve, sender=deployer)
    system.reserve.registerParticipant(exchange, text_to_bytes32("LIC"), sender=holders.registrar)
    manifest = {"config": {"stablecoin_symbol": "SSHL"}, "holders": {}, "contracts": {}}
    return system, holders, exchange, manifest


def _rows(prefix: str, count: int, to: str) -> list[BatchRow]:
    return [BatchRow(i + 2, f"{prefix}-{i:05d}", "mint", to, WAD) for i in range(count)]


def _run(rows, op, holders, *, dry_run=False):
    journal = Path(tempfile.mkdtemp()) / "bench.journal.jsonl"
    settings = Settings(journal=journal, dry_run=dry_run, yes=True)
    with RoundTrips() as trips:
        started = time.perf_counter()
        summary = run_batch(rows, op, holders.minter, holders.burner, settings, lambda _: True)
        seconds = time.perf_counter() - started
    return summary, seconds, trips.count


def _block_fill(first: int, last: int, batch_gas: int) -> tuple[float, int]:
    """Mean of (gas the batch used in a block) / (what it could have used there)."""
    web3 = chain.provider.web3
    fills, left = [], batch_gas
    for number in range(first, last + 1):
        block = web3.provider.make_request("eth_getBlockByNumber", [hex(number), False])["result"]
        used, limit = quantity(block["gasUsed"]), quantity(block["gasLimit"])
        if used == 0:
            continue
        fills.append(used / min(limit, left))
        left -= used
    return (sum(fills) / len(fills) if fills else 0.0), len(fills)


@contextmanager
def _plain_anvil():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    anvil = subprocess.Popen(
        [shutil.which("anvil"), "--port", str(port), "--silent", "--accounts", "20"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        with networks.parse_network_choice(f"http://127.0.0.1:{port}"):
            yield
    finally:
        anvil.terminate()
        anvil.wait(timeout=20)


def run_batch_bench(console: Console) -> dict:
    system, holders, exchange, manifest = _setup()
    quiet = Operator(system, manifest, Console(quiet=True), yes=True)
    embedded, embedded_s, _ = _run(_rows("EMB", BATCH_SIZE, exchange.address), quiet, holders)
    with _plain_anvil():
        result = _plain_bench(console)
    result["embedded_anvil_steps_tracing_instructions_per_second"] = round(
        embedded["executed"] / embedded_s, 1
    )
    table = Table(title="Treasury batch engine")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key.replace("_", " "), f"{value:,}")
    console.print(table)
    out = Path("reports") / "bench-treasury.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    console.print(f"written: {out}")
    return result


def _plain_bench(console: Console) -> dict:
    system, holders, exchange, manifest = _setup()
    op = Operator(system, manifest, console, yes=True)
    quiet = Operator(system, manifest, Console(quiet=True), yes=True)

    auto, auto_s, auto_trips = _run(_rows("AUTO", BATCH_SIZE, exchange.address), quiet, holders)

    web3 = chain.provider.web3.provider
    first = chain.blocks.head.number + 1
    web3.make_request("evm_setAutomine", [False])
    web3.make_request("evm_setIntervalMining", [BLOCK_SECONDS])
    try:
        timed, timed_s, _ = _run(_rows("BLOCKS", BATCH_SIZE, exchange.address), quiet, holders)
    finally:
        web3.make_request("evm_setIntervalMining", [0])
        web3.make_request("evm_setAutomine", [True])
    fill, blocks = _block_fill(first, chain.blocks.head.number, timed["gas"])

    console.print(f"preflight of {PREFLIGHT_SIZE:,} rows:")
    _, pre_s, pre_trips = _run(
        _rows("PRE", PREFLIGHT_SIZE, exchange.address), op, holders, dry_run=True
    )
    result = {
        "automine_instructions": auto["executed"],
        "automine_instructions_per_second": round(auto["executed"] / auto_s, 1),
        "automine_round_trips_per_instruction": round(auto_trips / auto["executed"], 3),
        "gas_per_instruction": auto["gas"] // auto["executed"],
        f"{BLOCK_SECONDS}s_blocks_instructions": timed["executed"],
        f"{BLOCK_SECONDS}s_blocks_seconds_end_to_end": round(timed_s, 2),
        f"{BLOCK_SECONDS}s_blocks_blocks_used": blocks,
        f"{BLOCK_SECONDS}s_blocks_fill_of_what_the_batch_could_fill": round(fill, 3),
        "preflight_rows": PREFLIGHT_SIZE,
        "preflight_seconds": round(pre_s, 2),
        "preflight_round_trips": pre_trips,
    }
    return result
