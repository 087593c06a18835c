"""The invariant machines' chain driver (a thin JSON-RPC client for Anvil) and run statistics.

Through ape a transaction costs ~100 ms and a revert ~200 ms (signing and sender
recovery in pure Python, revert decoding), which would put one quick run of the
machines past a minute. ``Chain`` preflights each call with ``eth_call`` on the pending
block (decoding the custom error when it reverts, as ape's preflight does, so nothing is
sent), sends it from Anvil's unlocked test account when it passes, and reads state in one
batched request per step. ``Stats`` counts what a machine's run did; ``write_summary``
merges it into reports/invariants-<profile>.json. See tests/audit/test_invariants.py.
"""

from __future__ import annotations

import fcntl
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from eth_abi import decode, encode
from eth_utils import keccak

from tests.utils.constants import PROFILE, REPORTS

GAS = hex(15_000_000)


class Abi:
    """Selectors and canonical types of one contract type's functions."""

    def __init__(self, contract_type):
        self.fns: dict[str, tuple[bytes, list[str], list[str]]] = {}
        overloaded = set()
        for item in contract_type.abi:
            if item.type != "function":
                continue
            if item.name in self.fns:
                overloaded.add(item.name)
            inputs = [i.canonical_type for i in item.inputs]
            outputs = [o.canonical_type for o in item.outputs]
            self.fns[item.name] = (keccak(text=item.selector)[:4], inputs, outputs)
        for name in overloaded:
            del self.fns[name]  # never guess between overloads

    def encode(self, method: str, args) -> str:
        selector, inputs, _ = self.fns[method]
        return "0x" + (selector + encode(inputs, list(args))).hex()

    def decode(self, method: str, raw: bytes):
        out = decode(self.fns[method][2], raw)
        return out[0] if len(out) == 1 else tuple(out)


@dataclass(frozen=True)
class Contract:
    address: str
    abi: Abi

    def data(self, method: str, *args) -> str:
        return self.abi.encode(method, args)


@dataclass(frozen=True)
class Reverted:
    """A call that reverted, with its decoded custom error."""

    error: str
    args: tuple


@dataclass
class Outcome:
    ok: bool
    error: str | None = None
    args: tuple = ()
    block: int = 0
    timestamp: int = 0


def norm(args) -> tuple:
    return tuple(a.lower() if isinstance(a, str) else a for a in args)


class Chain:
    """Calls, transactions and batched reads over Anvil's JSON-RPC (see the module doc)."""

    def __init__(self, provider, contract_types: dict):
        # web3's HTTPProvider (ape's connection): requests go out through its
        # ``_make_request`` (bytes in, bytes out), skipping web3's middleware; that is the
        # path the Solidity coverage plugin wraps, so these calls and transactions are
        # traced when --sol-coverage is on (and cost the same as a bare POST otherwise).
        self.provider = provider
        self.uri = provider.endpoint_uri
        self.abis = {name: Abi(ct) for name, ct in contract_types.items()}
        self.errors: dict[bytes, tuple[str, list[str]]] = {
            bytes.fromhex("08c379a0"): ("Error", ["string"]),
            bytes.fromhex("4e487b71"): ("Panic", ["uint256"]),
        }
        for ct in contract_types.values():
            for item in ct.abi:
                if item.type == "error":
                    types = [i.canonical_type for i in item.inputs]
                    self.errors[keccak(text=item.selector)[:4]] = (item.name, types)
        self.counts = Counter()

    def contract(self, address, kind: str) -> Contract:
        return Contract(str(address), self.abis[kind])

    def _post(self, payload):
        method = payload["method"] if isinstance(payload, dict) else "batch"
        return json.loads(self.provider._make_request(method, json.dumps(payload).encode()))

    def rpc(self, method: str, *params):
        out = self._post({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        if "error" in out:
            raise RuntimeError(f"{method}{params}: {out['error']}")
        return out["result"]

    def decode_error(self, error: dict) -> Reverted:
        data = error.get("data")
        if isinstance(data, dict):
            data = data.get("data")
        if not data or data == "0x":
            return Reverted(error.get("message", "reverted without data"), ())
        raw = bytes.fromhex(data[2:])
        name, types = self.errors.get(raw[:4], (None, None))
        if name is None:
            return Reverted("0x" + raw[:4].hex(), (raw[4:].hex(),))
        return Reverted(name, norm(decode(types, raw[4:])))

    def head(self) -> tuple[int, int]:
        block = self.rpc("eth_getBlockByNumber", "latest", False)
        return int(block["number"], 16), int(block["timestamp"], 16)

    def read(self, calls: dict) -> dict:
        """One batched request: ``name -> (contract, method, *args)``; also ``head``.
        A call that reverts reads as a ``Reverted``."""
        names = list(calls)
        payload = [
            {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "eth_getBlockByNumber",
                "params": ["latest", False],
            }
        ]
        for i, name in enumerate(names, 1):
            contract, method, *args = calls[name]
            tx = {"to": contract.address, "data": contract.data(method, *args)}
            payload.append(
                {"jsonrpc": "2.0", "id": i, "method": "eth_call", "params": [tx, "latest"]}
            )
        responses = sorted(self._post(payload), key=lambda r: r["id"])
        self.counts["batched reads"] += 1
        block = responses[0]["result"]
        out = {"head": (int(block["number"], 16), int(block["timestamp"], 16))}
        for name, response in zip(names, responses[1:], strict=True):
            contract, method, *_ = calls[name]
            if "error" in response:
                out[name] = self.decode_error(response["error"])
            else:
                out[name] = contract.abi.decode(method, bytes.fromhex(response["result"][2:]))
        return out

    def call(self, contract: Contract, method: str, *args):
        return self.read({"x": (contract, method, *args)})["x"]

    def send(self, sender: str, contract: Contract, method: str, *args) -> Outcome:
        """Preflight on the pending block; send only when it passes (as ape does)."""
        tx = {"from": sender, "to": contract.address, "data": contract.data(method, *args)}
        pre = self._post(
            {"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [tx, "pending"]}
        )
        if "error" in pre:
            self.counts["reverted (preflight)"] += 1
            r = self.decode_error(pre["error"])
            return Outcome(False, r.error, r.args)
        tx_hash = self.rpc("eth_sendTransaction", dict(tx, gas=GAS))
        self.counts["transactions"] += 1
        receipt = self.receipt(tx_hash)
        assert receipt["status"] == "0x1", f"{method} passed its preflight but reverted on-chain"
        number, timestamp = self.head()
        assert number == int(receipt["blockNumber"], 16)
        return Outcome(True, block=number, timestamp=timestamp)

    def send_unchecked(self, sender: str, contract: Contract, method: str, *args) -> str:
        """Send without a preflight (for transactions queued into one block); returns the hash."""
        tx = {"from": sender, "to": contract.address, "data": contract.data(method, *args)}
        self.counts["transactions"] += 1
        return self.rpc("eth_sendTransaction", dict(tx, gas=GAS))

    def receipt(self, tx_hash: str) -> dict:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            receipt = self.rpc("eth_getTransactionReceipt", tx_hash)
            if receipt:
                return receipt
            time.sleep(0.001)
        raise TimeoutError(f"no receipt for {tx_hash}")

    def mine(self, timestamp: int) -> None:
        self.rpc("evm_mine", timestamp)


# ====================================================================== run statistics


class Stats:
    """What one machine's run did (shared by all its examples), for the JSON summary."""

    def __init__(self, machine: str, run_settings):
        self.machine = machine
        self.settings = {
            "max_examples": run_settings.max_examples,
            "stateful_step_count": run_settings.stateful_step_count,
            "derandomize": run_settings.derandomize,
        }
        self.examples = 0
        self.steps = 0
        self.invariant_checks = 0
        self.isolation_checks = 0
        self.isolation_failures: list[dict] = []
        self.fired = Counter()
        self.rules: dict[str, Counter] = defaultdict(Counter)
        self.under = Counter()
        self.under_entries_by_cause = Counter()
        self.value_falls = Counter()
        self.extra = Counter()
        self.started = time.perf_counter()

    def outcome(self, rule_name: str, what: str, out: Outcome) -> None:
        label = "ok" if out.ok else out.error
        key = rule_name if what == rule_name else f"{rule_name}/{what}"
        self.rules[key][label] += 1

    def as_dict(self, chain: Chain, failed: bool) -> dict:
        return {
            "profile": PROFILE,
            "settings": self.settings,
            "examples": self.examples,
            "steps": self.steps,
            "invariant_checks": self.invariant_checks,
            "isolation_checks": self.isolation_checks,
            "runtime_s": round(time.perf_counter() - self.started, 2),
            "failed": failed,
            "rules_fired": dict(sorted(self.fired.items())),
            "call_outcomes": {k: dict(v) for k, v in sorted(self.rules.items())},
            "under_collateralized": {
                "steps_observed_under": self.under["steps"],
                "entries": self.under["entries"],
                "entries_by_cause": dict(self.under_entries_by_cause),
                "collateral_value_falls_by_cause": dict(self.value_falls),
                "checks_with_stale_feed": self.under["stale"],
            },
            "extra": dict(self.extra),
            "rpc": dict(chain.counts),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }


def write_summary(section: dict, machine: str) -> Path:
    """Merge this machine's section into reports/invariants-<profile>.json (under a lock)."""
    REPORTS.mkdir(exist_ok=True)
    path = REPORTS / f"invariants-{PROFILE}.json"
    with open(path, "a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        text = fh.read()
        try:
            data = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError:
            data = {}
        machines = data.get("machines", {})
        machines[machine] = section
        data = {
            "profile": PROFILE,
            "machines": machines,
            "totals": {
                "examples": sum(m["examples"] for m in machines.values()),
                "steps": sum(m["steps"] for m in machines.values()),
                "under_collateralized_entries_through_value_moves": sum(
                    m["under_collateralized"]["entries"] for m in machines.values()
                ),
                "steps_observed_under": sum(
                    m["under_collateralized"]["steps_observed_under"] for m in machines.values()
                ),
            },
        }
        fh.seek(0)
        fh.truncate()
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
    return path
