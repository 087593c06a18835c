"""Stateful invariant tests: hypothesis rule-based state machines drive the deployed
system on Anvil through random sequences of operations and check, after every step,
invariants against ghost state kept in Python.

``CoreMachine`` (stablecoin and reserve; the bond is the only collateral held) fires:
mints with instruction ids (new, replayed, zero; amounts a fraction of, exactly at, one
unit above and far above the ratio limit), redemptions (of one cash unit, too),
treasury burns, transfers, approve/permit + transferFrom (and a replayed permit
signature), freeze/unfreeze/seize, pause of each flag and unpause through the governor's
delay, redemption fee changes through it, oracle reports within and beyond the
deviation bound, multi-report price walks, report floods, forced reports (governor,
delayed) followed by a report, and time travel with or without a feed refresh (to the
exact edge of the heartbeat and of the deviation window, too). Invariants: balances sum
to the total supply (coin and cash); every balance, allowance, flag, the fee and the
feed (latest round) equal the ghost; frozen balances change only by seizure; every used
instruction id is recorded once, a replay reverts; every successful mint leaves
collateralValue() * 1e18 >= totalSupply * minimum ratio (read right after it);
collateralValue() never reverts and equals the Python valuation (the bond counts zero
while its feed is stale: a mint then fails only by the ratio,
ReserveCollateralRatioTooLow), falls only with a price report or the feed going stale,
and the supply exceeds value / minimum ratio only after such a fall (each entry is
counted by cause). Reports are predicted from the ghost of every round (answer,
updatedAt, forced): the answer must lie within maxDeviationBps of every answer read
back over the sliding deviationWindow (stopping after a round at or before its start,
a forced round or round 1), FeedDeviationTooLarge naming the farthest answer as anchor;
more than 32 rounds to read reverts FeedTooManyReports. A redemption the fee would take
whole reverts ReserveRedemptionPaysNothing.

``LadderMachine`` (T-bill vault; the reserve's only collateral is vault shares) fires:
series creation and auction purchases by the vault, repayment funding (in full, half,
one unit short; through fundRepayment, refused once in default with TBillPoolClosed, or
as a plain cash transfer), maturities and ends of the 3-day grace period (to the second,
and one second before), redemptions of matured lots (after a public sync or not: face
from a full pool, TBillRepaymentShort during the grace period of a short pool, at or
after its end the default recorded and pro rata paid, TBillNothingToPay for nothing),
recorded defaults (TBillInGracePeriod / TBillAlreadyDefaulted / TBillFullyFunded),
markdowns, deposits/mints/withdrawals/redemptions by allowlisted investors (and attempts
by others), a same-block deposit->redeem round trip, AML freezes, allowlist changes,
vault pauses, stablecoin mints against the vault shares. Invariants: totalAssets() (the
exit NAV) equals ``sovereign.ladder.LadderModel.nav`` and entryAssets() (the entry NAV)
equals ``LadderModel.entry_nav`` to the unit, entry >= exit; share, series and cash
balances sum to their supplies and equal the ghost; the vault holds exactly its
modelled lots of each series; frozen investors' shares never move; every deposit/mint
mints exactly the ERC-4626 amount at the entry NAV, every withdrawal/redemption burns
exactly the amount at the exit NAV; neither ever hands the actor more than it paid (or
its shares were worth) nor lowers the other holders' exit share value; a withdrawal
raises it by less than a unit, a deposit by the entry-exit gap the depositor pays plus
less than a unit of rounding; a round trip never gains; the reserve's collateral value
equals the NAV feed's valuation and falls only through a markdown or a maturity
passing with a short repayment pool (a purchase of a marked-down series is refused:
VaultSeriesMarkedDown; a default or the end of a grace period moves no value: the exit
NAV values a short pool pro rata from maturity on); under-collateralized entries are
counted by cause.

Every operation's outcome (success, or the exact custom error and its arguments) is
predicted from the ghost state first and compared with the chain; a revert must leave
every tracked balance unchanged (paused paths included).

What issue 10 changed in the predictions: the reserve counts an asset without a usable
price as zero instead of reverting (ReserveStalePrice / ReserveInvalidPrice are gone;
concentration caps by water-filling, the bond's cap being 100%), and refuses a
redemption that pays nothing; the oracle stub's deviation bound holds over a sliding
window with FeedTooManyReports and forced rounds as new references (the old rule
compared with the previous answer only); the governor holds its role with the 1-day
delay and the deployer holds no operating role (the set-up uses the role holders only),
and the guardian may cancel any scheduled operation (used to clear an execution that
reverted); T-bill series have a 3-day grace period (TBillRepaymentShort(owed,
available, graceEnd) during it, the default recorded at or after its end, pro rata
capped at face, TBillInGracePeriod / TBillAlreadyDefaulted / TBillFullyFunded /
TBillPoolClosed / TBillNothingToPay); the vault prices deposits and mints at the entry
NAV (entryAssets()), withdrawals and redemptions at the exit NAV (totalAssets()).

Isolation: every hypothesis example runs inside ``ape.chain.isolate()``, entered in the
machine's ``__init__`` and left in ``teardown()`` (hypothesis calls it even when a step
fails); each example first checks that the chain is back at the baseline (block number,
timestamp and state), and a leak is reported as such. ape 0.8.51's ``isolate()``
swallows any exception raised inside a ``with`` block, so it must never wrap assertions
in a ``with`` statement; here its ``__exit__`` only ever runs with no exception.

Speed: through ape a transaction costs ~100 ms and a revert ~200 ms (signing and sender
recovery in pure Python, revert decoding), which would put one quick run of these
machines past a minute. Set-up goes through ape and the conftest fixtures; the steps
use ``Chain`` below: a thin JSON-RPC client that preflights each call with ``eth_call``
on the pending block (decoding the custom error when it reverts, as ape's preflight
does, so nothing is sent), sends it from Anvil's unlocked test account when it passes,
and reads state in one batched request per step. Anvil's blocks are one second apart
during the test (anvil_setBlockTimestampInterval), so every prediction knows the
timestamp its transaction will see.

Hypothesis favours the rules with the fewest arguments; ``mint_to_limit`` and
``to_next_maturity`` take none on purpose. A JSON summary per machine (examples, steps,
rules fired, call outcomes, under-collateralized states and their causes) is merged
under a file lock into ``reports/invariants-<profile>.json`` (xdist workers may run the
two machines at once).
"""

from __future__ import annotations

import copy
import fcntl
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import ape
import pytest
from eth_abi import decode, encode
from eth_utils import keccak
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from sovereign.ladder import LadderModel, SeriesState, ceil_div
from sovereign.permit import sign_permit
from sovereign.units import text_to_bytes32
from tests.conftest import CASH, DAY, PROFILE

WAD = 10**18
BPS = 10_000
MAX_UINT = 2**256 - 1
ZERO_ID = b"\0" * 32
GAS = hex(15_000_000)
PAUSE_MINT, PAUSE_REDEEM, PAUSE_TRANSFER = 1, 2, 4
VAULT_PAUSE_DEPOSIT, VAULT_PAUSE_WITHDRAW = 1, 2
VAULT_OFFSET = 10**6  # the vault's virtual shares: 10 ** _decimalsOffset() (6)
MAX_MARKDOWN_BPS = 5_000
MAX_ANSWER = 2**128 - 1  # Reserve: a feed answer above uint128 max is not usable
INT192_MAX = 2**191 - 1  # ReportedPriceFeed: answers must lie in (0, int192 max]
GRACE_PERIOD = 3 * DAY  # TBillSeries.GRACE_PERIOD (read back at set-up)
REPORTS = Path(__file__).resolve().parents[2] / "reports"


# ====================================================================== JSON-RPC driver


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


def _norm(args) -> tuple:
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
        return Reverted(name, _norm(decode(types, raw[4:])))

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


# ====================================================================== shared machinery


@dataclass
class Ctx:
    """What a machine needs from the test: the driver, contracts, accounts, baseline."""

    chain: Chain
    c: SimpleNamespace
    who: SimpleNamespace  # name -> address
    signers: dict  # address -> ape test account (permit signing)
    fingerprint_calls: dict
    baseline: dict = field(default_factory=dict)
    ghost: dict = field(default_factory=dict)

    def fingerprint(self) -> dict:
        return self.chain.read(self.fingerprint_calls)


class ChainMachine(RuleBasedStateMachine):
    """Enters ``ape.chain.isolate()`` per example; shared outcome checking."""

    ctx: Ctx
    stats: Stats

    def __init__(self):
        super().__init__()
        start = self.ctx.fingerprint()
        differs = {k: (v, start[k]) for k, v in self.ctx.baseline.items() if start[k] != v}
        if differs:
            self.stats.isolation_failures.append(differs)
        assert not differs, f"example does not start from the baseline (isolation): {differs}"
        self.stats.isolation_checks += 1
        self.stats.examples += 1
        self.chain = self.ctx.chain
        self.c = self.ctx.c
        self.who = self.ctx.who
        self.now = start["head"][1]
        self._moves = 0
        self._snap = None
        self._snap_at = -1
        self._rule = "init"
        self._isolation = ape.chain.isolate()
        self._isolation.__enter__()  # left in teardown(), never with an exception

    def teardown(self):
        self._isolation.__exit__(None, None, None)

    # ------------------------------------------------------------------ helpers

    def begin(self, name: str) -> None:
        self._rule = name
        self._moves += 1
        self.stats.steps += 1
        self.stats.fired[name] += 1

    def next_ts(self) -> int:
        """The timestamp the next transaction will see (one second per block)."""
        return self.snap()["head"][1] + 1

    def snap(self) -> dict:
        """Chain state after the last step (read once per step, shared by the invariants)."""
        if self._snap_at != self._moves:
            self._snap = self.chain.read(self.read_calls())
            self._snap_at = self._moves
            self.now = self._snap["head"][1]
        return self._snap

    def invalidate(self) -> None:
        self._snap_at = -1

    def send(self, sender, contract, method, *args, expect=None, what=None) -> Outcome:
        """Send, then compare the outcome with the prediction ``expect`` (None: success,
        else (error name, args or None)). A revert must have moved nothing."""
        out = self.chain.send(sender, contract, method, *args)
        self.invalidate()
        what = what or self._rule
        self.stats.outcome(self._rule, what, out)
        if expect is None:
            assert out.ok, f"{what}: expected success, reverted with {out.error}{out.args}"
        else:
            name, args_ = expect
            assert not out.ok, f"{what}: expected {name}{args_ or ''}, but it succeeded"
            assert out.error == name, f"{what}: expected {name}, got {out.error}{out.args}"
            if args_ is not None:
                assert out.args == _norm(args_), f"{what}: {name} args {out.args} != {args_}"
            self.assert_nothing_moved()
        return out

    def assert_nothing_moved(self) -> None:
        """Called after a revert, before any ghost update: the chain still equals the ghost."""
        self.check_ghost_balances(self.snap(), after_revert=True)

    def travel_to(self, timestamp: int) -> None:
        """Mine a block at ``timestamp`` (the next transaction sees ``timestamp + 1``)."""
        assert timestamp > self.snap()["head"][1]
        self.chain.mine(timestamp)
        self.invalidate()

    def governed(self, contract: Contract, method: str, *args, expect=None) -> Outcome:
        """A governor-delayed call: schedule, wait the delay, execute (raw ``gov`` fixture).
        The governor holds its role with the execution delay (the deployer holds none);
        ``expect`` predicts the execution (the target's revert bubbles up)."""
        data = bytes.fromhex(contract.data(method, *args)[2:])
        gov = self.who.governor
        sched = self.send(
            gov, self.c.manager, "schedule", contract.address, data, 0, what="schedule"
        )
        self.travel_to(sched.timestamp + self.ctx.ghost["governor_delay"])
        out = self.send(
            gov, self.c.manager, "execute", contract.address, data, expect=expect, what=method
        )
        if not out.ok:
            # A reverted execution leaves the operation scheduled (the same call could not be
            # scheduled again: AccessManagerAlreadyScheduled); the guardian, who may cancel
            # any scheduled operation, cancels it.
            self.send(
                self.who.guardian,
                self.c.manager,
                "cancel",
                gov,
                contract.address,
                data,
                what="guardian cancel",
            )
        return out

    def read_calls(self) -> dict:
        raise NotImplementedError

    def check_ghost_balances(self, s: dict, after_revert: bool = False) -> None:
        raise NotImplementedError

    def note_backing(
        self, value, supply: int, min_ratio: int, cause: str | None, stale: bool = False
    ) -> None:
        """Count under-collateralized states. The mint rules check that every mint left the
        ratio held, so entering one needs a fall in the collateral value since the last
        reading; ``cause`` names what lowered it (None: nothing did). A valuation never
        reverts (an asset without a usable price counts zero); ``stale`` counts the checks
        made while the feed was stale."""
        assert not isinstance(value, Reverted), f"collateralValue() reverted: {value}"
        self.stats.under["stale"] += stale
        under = supply * min_ratio > value * WAD
        if under:
            self.stats.under["steps"] += 1
            if not self._last_under:
                assert cause, (
                    f"under-collateralized after {self._rule} although the collateral value "
                    f"did not fall: supply {supply}, collateral value {value}"
                )
                self.stats.under["entries"] += 1
                self.stats.under_entries_by_cause[f"{cause} (in {self._rule})"] += 1
        self._last_under = under


def water_fill(values: list[int], caps: list[int]) -> int:
    """Reserve.collateralValue()'s concentration caps, by the rule of its NatSpec (and
    changes.md): the largest fixed point of C = sum_i min(v_i, cap_i * C / BPS). U is the
    sum of the uncapped values, K the sum of the capped caps; each round caps every
    uncapped asset with v_i * (BPS - K) > cap_i * U (U and K of the round's start), until
    none is added; the total is floor(U * BPS / (BPS - K))."""
    capped = [False] * len(values)
    while True:
        u = sum(v for v, c in zip(values, capped, strict=True) if not c)
        k = sum(cap for cap, c in zip(caps, capped, strict=True) if c)
        new = [
            i
            for i, (v, cap) in enumerate(zip(values, caps, strict=True))
            if not capped[i] and v * (BPS - k) > cap * u
        ]
        if not new:
            return u * BPS // (BPS - k)
        for i in new:
            capped[i] = True


def _pick_id(machine, kind: str, used: set, prefix: str) -> bytes:
    if kind == "zero":
        return ZERO_ID
    if kind == "replay" and used:
        return sorted(used)[machine._moves % len(used)]
    machine._id_counter += 1
    return text_to_bytes32(f"{prefix}-{machine._id_counter}")


# ====================================================================== core machine

CORE_ACTORS = ("exchange", "alice", "bob", "mallory", "treasury")
PARTICIPANTS = ("exchange",)


class CoreMachine(ChainMachine):
    """Stablecoin + reserve, one collateral asset (the bond) priced by the oracle stub."""

    def __init__(self):
        super().__init__()
        g = copy.deepcopy(self.ctx.ghost)
        self.g = SimpleNamespace(**g)
        self._id_counter = 0
        self._last_under = False
        self._price_moved = False
        self._last_value = None
        self._read_back = None  # (rounds read, anchor) of the last report predicted

    # ------------------------------------------------------------------ model

    def addr(self, name: str) -> str:
        return getattr(self.who, name)

    def fresh(self, t: int) -> bool:
        g = self.g
        return g.updated_at != 0 and g.updated_at <= t and t - g.updated_at <= g.heartbeat

    def collateral_value(self, t: int) -> int:
        """Reserve.collateralValue() at time ``t``: the bond's haircut value, zero when its
        feed's answer is not usable then (stale, from the future, zero, above uint128 max),
        through the concentration caps (the vault shares listed beside it are held zero)."""
        g = self.g
        value = 0
        if self.fresh(t) and 0 < g.price <= MAX_ANSWER:
            value = g.bond_balance * g.price // 10**g.feed_decimals
            value = value * (BPS - g.haircut_bps) // BPS
        return water_fill([value], [g.cap_bps])

    def read_calls(self) -> dict:
        c, w = self.c, self.who
        calls = {f"bal:{n}": (c.coin, "balanceOf", w.__dict__[n]) for n in self.g.holders}
        calls.update({f"frozen:{n}": (c.coin, "frozen", w.__dict__[n]) for n in CORE_ACTORS})
        calls.update(
            {f"cash:{n}": (c.cash, "balanceOf", w.__dict__[n]) for n in self.g.cash_holders}
        )
        calls["supply"] = (c.coin, "totalSupply")
        calls["cash_supply"] = (c.cash, "totalSupply")
        calls["paused"] = (c.coin, "pausedFlags")
        calls["value"] = (c.reserve, "collateralValue")
        calls["feed"] = (c.feed, "latestRoundData")
        calls["fee"] = (c.reserve, "redemptionFeeBps")
        for i, iid in enumerate(sorted(self.g.used_ids)):
            calls[f"id:{i}"] = (c.reserve, "instructionExecuted", iid)
        for i, iid in enumerate(sorted(self.g.redeem_ids)):
            calls[f"rid:{i}"] = (c.reserve, "redemptionExecuted", w.exchange, iid)
        calls["id:never"] = (c.reserve, "instructionExecuted", text_to_bytes32("NEVER-USED"))
        for owner, spender in self.g.allow:
            calls[f"allow:{owner}:{spender}"] = (
                c.coin,
                "allowance",
                w.__dict__[owner],
                w.__dict__[spender],
            )
        return calls

    # ------------------------------------------------------------------ predictions

    def predict_transfer_update(self, src, dst, amount):
        """SovereignStablecoin._update for a holder-to-holder move, then OZ's balance check."""
        g = self.g
        if g.paused & PAUSE_TRANSFER:
            return ("StablecoinPaused", (PAUSE_TRANSFER,))
        if src in g.frozen:
            return ("StablecoinAccountFrozen", (self.addr(src),))
        if dst in g.frozen:
            return ("StablecoinAccountFrozen", (self.addr(dst),))
        if g.bal[src] < amount:
            return ("ERC20InsufficientBalance", (self.addr(src), g.bal[src], amount))
        return None

    def move(self, src, dst, amount):
        self.g.bal[src] -= amount
        self.g.bal[dst] += amount

    # ------------------------------------------------------------------ rules: issuance

    @rule(
        kind=st.sampled_from(["fraction", "fraction", "exact", "over_by_one", "far_over"]),
        permille=st.integers(1, 1000),
        id_kind=st.sampled_from(["new"] * 5 + ["replay", "zero"]),
        to=st.sampled_from(["exchange"] * 5 + ["alice"]),
    )
    def mint(self, kind, permille, id_kind, to):
        self.begin("mint")
        self._mint(kind, permille, id_kind, to)

    def _room(self, t: int) -> int:
        return self.collateral_value(t) * WAD // self.g.min_ratio - self.g.supply

    @precondition(lambda self: self._room(self.next_ts()) > 0)
    @rule()
    def mint_to_limit(self):
        """Mint exactly up to the ratio limit (hypothesis favours rules without arguments)."""
        self.begin("mint_to_limit")
        self._mint("exact", 1000, "new", "exchange")

    def _mint(self, kind, permille, id_kind, to):
        g, t = self.g, self.next_ts()
        value = self.collateral_value(t)  # zero with a stale feed: the ratio decides
        room = value * WAD // g.min_ratio - g.supply
        amount = {
            "fraction": max(1, room * permille // 1000),
            "exact": room,
            "over_by_one": room + 1,
            "far_over": room + room // 2 + WAD,
        }[kind]
        if amount <= 0:
            amount = 1_000 * WAD  # under-collateralized already: any mint must fail
        iid = _pick_id(self, id_kind, g.used_ids, "MINT")
        to_addr = self.addr(to)
        after = g.supply + amount
        if iid == ZERO_ID:
            expect = ("ReserveInvalidInstructionId", ())
        elif iid in g.used_ids:
            expect = ("ReserveInstructionAlreadyExecuted", (iid,))
        elif to not in PARTICIPANTS:
            expect = ("ReserveNotParticipant", (to_addr,))
        elif amount > g.allowance:
            expect = ("ReserveMinterAllowanceExceeded", (self.who.minter, amount, g.allowance))
        elif after > value * WAD // g.min_ratio:
            expect = (
                "ReserveCollateralRatioTooLow",
                (value * WAD // after, g.min_ratio, value, after),
            )
        elif g.paused & PAUSE_MINT:
            expect = ("StablecoinPaused", (PAUSE_MINT,))
        elif to in g.frozen:
            expect = ("StablecoinAccountFrozen", (to_addr,))
        else:
            expect = None
        if expect and expect[0] == "StablecoinPaused":
            self.stats.extra["paused mint attempts"] += 1
        if expect and expect[0] == "ReserveCollateralRatioTooLow" and not self.fresh(t):
            self.stats.extra["mints refused with a stale feed (bond counted zero)"] += 1
        out = self.send(
            self.who.minter, self.c.reserve, "mint", to_addr, amount, iid, expect=expect
        )
        if not out.ok:
            return
        g.used_ids.add(iid)
        g.executions[iid] += 1
        g.supply += amount
        g.bal[to] += amount
        g.allowance -= amount
        # Right after a successful mint the reserve must hold the ratio.
        r = self.chain.read(
            {
                "value": (self.c.reserve, "collateralValue"),
                "supply": (self.c.coin, "totalSupply"),
                "ratio": (self.c.reserve, "collateralRatio"),
                "min": (self.c.reserve, "minCollateralRatioWad"),
            }
        )
        assert r["supply"] * r["min"] <= r["value"] * WAD, f"mint left the ratio below min: {r}"
        assert r["ratio"] >= r["min"], f"collateralRatio() below the minimum after a mint: {r}"
        self.stats.extra["mints at exactly the limit"] += kind == "exact"
        self.stats.extra["mints"] += 1

    @rule(
        who=st.sampled_from(["exchange"] * 5 + ["alice"]),
        permille=st.integers(0, 1100),
        dust=st.sampled_from(["none", "dust", "one_unit"]),
        id_kind=st.sampled_from(["new"] * 5 + ["replay", "zero"]),
    )
    def redeem(self, who, permille, dust, id_kind):
        """A redemption of a share of the balance (plus dust below one cash unit), or of one
        cash unit and dust (which a non-zero fee takes whole: ReserveRedemptionPaysNothing)."""
        self.begin("redeem")
        g = self.g
        amount = {
            "none": g.bal[who] * permille // 1000,
            "dust": g.bal[who] * permille // 1000 + 12_345,
            "one_unit": g.cash_unit + 12_345,
        }[dust]
        iid = _pick_id(self, id_kind, g.redeem_ids, "RDM")
        gross = amount // g.cash_unit
        fee = ceil_div(gross * g.fee_bps, BPS)
        payout = gross - fee
        addr = self.addr(who)
        if who not in PARTICIPANTS:
            expect = ("ReserveNotParticipant", (addr,))
        elif amount == 0:
            expect = ("ReserveZeroAmount", ())
        elif iid == ZERO_ID:
            expect = ("ReserveInvalidInstructionId", ())
        elif iid in g.redeem_ids:
            expect = ("ReserveInstructionAlreadyExecuted", (iid,))
        elif gross == 0:
            expect = ("ReserveAmountBelowCashUnit", (amount, g.cash_unit))
        elif payout == 0:
            expect = ("ReserveRedemptionPaysNothing", (amount, fee))
        elif payout > g.cash["reserve"]:
            expect = ("ReserveInsufficientCash", (payout, g.cash["reserve"]))
        elif g.paused & PAUSE_REDEEM:
            expect = ("StablecoinPaused", (PAUSE_REDEEM,))
        elif who in g.frozen:
            expect = ("StablecoinAccountFrozen", (addr,))
        elif g.bal[who] < gross * g.cash_unit:
            expect = ("ERC20InsufficientBalance", (addr, g.bal[who], gross * g.cash_unit))
        else:
            expect = None
        if expect and expect[0] == "StablecoinPaused":
            self.stats.extra["paused redeem attempts"] += 1
        out = self.send(addr, self.c.reserve, "redeem", amount, iid, expect=expect)
        if out.ok:
            g.redeem_ids.add(iid)
            g.bal[who] -= gross * g.cash_unit
            g.supply -= gross * g.cash_unit
            g.cash["reserve"] -= payout
            g.cash[who] += payout
            self.stats.extra["redemptions paying a fee"] += fee > 0

    @rule(bps=st.sampled_from([0, 1, 100, 101]))
    def set_fee(self, bps):
        """The governor's delayed fee change (a day passes: the feed goes stale unless
        refreshed); above MAX_REDEMPTION_FEE_BPS (100) it reverts at execution."""
        self.begin("set_fee")
        if bps > 100:
            name = b"redemptionFeeBps".ljust(32, b"\0")
            expect = ("ReserveParameterOutOfBounds", (name, bps, 0, 100))
        else:
            expect = None
        out = self.governed(self.c.reserve, "setRedemptionFee", bps, expect=expect)
        if out.ok:
            self.g.fee_bps = bps

    @rule(
        permille=st.integers(0, 1100),
        id_kind=st.sampled_from(["new", "new", "replay", "zero"]),
    )
    def burn(self, permille, id_kind):
        self.begin("burn")
        g = self.g
        amount = g.bal["treasury"] * permille // 1000
        iid = _pick_id(self, id_kind, g.used_ids, "BURN")
        addr = self.who.treasury
        if amount == 0:
            expect = ("ReserveZeroAmount", ())
        elif iid == ZERO_ID:
            expect = ("ReserveInvalidInstructionId", ())
        elif iid in g.used_ids:
            expect = ("ReserveInstructionAlreadyExecuted", (iid,))
        elif "treasury" in g.frozen:
            expect = ("StablecoinAccountFrozen", (addr,))
        elif g.bal["treasury"] < amount:
            expect = ("ERC20InsufficientBalance", (addr, g.bal["treasury"], amount))
        else:
            expect = None
        out = self.send(addr, self.c.reserve, "burn", amount, iid, expect=expect)
        if out.ok:
            g.used_ids.add(iid)
            g.executions[iid] += 1
            g.bal["treasury"] -= amount
            g.supply -= amount

    # ------------------------------------------------------------------ rules: secondary market

    @rule(
        src=st.sampled_from(CORE_ACTORS),
        dst=st.sampled_from(CORE_ACTORS),
        permille=st.integers(0, 1100),
    )
    def transfer(self, src, dst, permille):
        self.begin("transfer")
        amount = self.g.bal[src] * permille // 1000
        expect = self.predict_transfer_update(src, dst, amount)
        if expect and expect[0] == "StablecoinPaused":
            self.stats.extra["paused transfer attempts"] += 1
        out = self.send(
            self.addr(src), self.c.coin, "transfer", self.addr(dst), amount, expect=expect
        )
        if out.ok:
            self.move(src, dst, amount)

    @rule(
        owner=st.sampled_from(CORE_ACTORS),
        spender=st.sampled_from(CORE_ACTORS),
        dst=st.sampled_from(CORE_ACTORS),
        permille=st.integers(0, 1100),
        via=st.sampled_from(["permit", "permit", "approve", "infinite"]),
    )
    def transfer_from(self, owner, spender, dst, permille, via):
        self.begin("transfer_from")
        g = self.g
        if owner == spender:
            spender = CORE_ACTORS[(CORE_ACTORS.index(owner) + 1) % len(CORE_ACTORS)]
        o, sp = self.addr(owner), self.addr(spender)
        amount = g.bal[owner] * permille // 1000
        allowance = MAX_UINT if via == "infinite" else amount
        if owner in g.frozen:
            expect = ("StablecoinAccountFrozen", (o,))
        elif spender in g.frozen:
            expect = ("StablecoinAccountFrozen", (sp,))
        else:
            expect = None
        if via == "permit":
            deadline = MAX_UINT
            v, r, s = sign_permit(
                self.c.coin,
                self.ctx.signers[o],
                sp,
                allowance,
                deadline,
                nonce=g.nonces[owner],
                chain_id=g.chain_id,
                name=g.coin_name,
            )
            args = (o, sp, allowance, deadline, v, r, s)
            out = self.send(sp, self.c.coin, "permit", *args, expect=expect, what="permit")
            if out.ok:
                g.nonces[owner] += 1
                g.allow[(owner, spender)] = allowance
                # The same signature again: the nonce moved on, so it recovers another signer.
                replay = ("ERC2612InvalidSigner", None)
                self.send(sp, self.c.coin, "permit", *args, expect=replay, what="permit replay")
        else:
            out = self.send(o, self.c.coin, "approve", sp, allowance, expect=expect, what="approve")
        if not out.ok:
            return
        g.allow[(owner, spender)] = allowance
        current = g.allow[(owner, spender)]
        if spender in g.frozen:
            expect = ("StablecoinAccountFrozen", (sp,))
        elif current != MAX_UINT and current < amount:
            expect = ("ERC20InsufficientAllowance", (sp, current, amount))
        elif current != MAX_UINT and owner in g.frozen:
            expect = ("StablecoinAccountFrozen", (o,))
        else:
            expect = self.predict_transfer_update(owner, dst, amount)
        if expect and expect[0] == "StablecoinPaused":
            self.stats.extra["paused transfer attempts"] += 1
        out = self.send(sp, self.c.coin, "transferFrom", o, self.addr(dst), amount, expect=expect)
        if out.ok:
            self.move(owner, dst, amount)
            if current != MAX_UINT:
                g.allow[(owner, spender)] = current - amount

    # ------------------------------------------------------------------ rules: compliance

    def _steer(self, account: str, frozen: bool) -> str:
        """Mostly an account in the state a rule can act on (frozen or not), when any is."""
        pool = sorted(a for a in CORE_ACTORS if (a in self.g.frozen) == frozen)
        return pool[CORE_ACTORS.index(account) % len(pool)] if pool else account

    @rule(account=st.sampled_from(CORE_ACTORS + ("reserve",)), steer=st.booleans())
    def freeze(self, account, steer):
        self.begin("freeze")
        g = self.g
        if steer and account != "reserve":
            account = self._steer(account, frozen=False)
        addr = self.addr(account)
        if account == "reserve":
            expect = ("StablecoinCannotFreeze", (addr,))
        elif account in g.frozen:
            expect = ("StablecoinAccountFrozen", (addr,))
        else:
            expect = None
        out = self.send(
            self.who.compliance, self.c.coin, "freeze", addr, b"AML".ljust(32, b"\0"), expect=expect
        )
        if out.ok:
            g.frozen.add(account)
            g.frozen_balance[account] = g.bal[account]

    @precondition(lambda self: self.g.frozen or self._moves % 5 == 0)
    @rule(account=st.sampled_from(CORE_ACTORS), steer=st.sampled_from([True, True, True, False]))
    def unfreeze(self, account, steer):
        self.begin("unfreeze")
        g = self.g
        if steer:
            account = self._steer(account, frozen=True)
        addr = self.addr(account)
        expect = None if account in g.frozen else ("StablecoinAccountNotFrozen", (addr,))
        out = self.send(self.who.compliance, self.c.coin, "unfreeze", addr, ZERO_ID, expect=expect)
        if out.ok:
            g.frozen.discard(account)
            g.frozen_balance.pop(account)

    @precondition(lambda self: self.g.frozen or self._moves % 5 == 0)
    @rule(
        src=st.sampled_from(CORE_ACTORS),
        dst=st.sampled_from(CORE_ACTORS),
        permille=st.integers(0, 1100),
        steer=st.sampled_from([True, True, True, False]),
    )
    def seize(self, src, dst, permille, steer):
        """A court-ordered seizure (mostly from a frozen account to a free one)."""
        self.begin("seize")
        g = self.g
        if steer:
            src, dst = self._steer(src, frozen=True), self._steer(dst, frozen=False)
        amount = g.bal[src] * permille // 1000
        s, d = self.addr(src), self.addr(dst)
        if src not in g.frozen:
            expect = ("StablecoinAccountNotFrozen", (s,))
        elif amount == 0:
            expect = ("StablecoinInvalidSeizure", (d, 0))
        elif dst in g.frozen:
            expect = ("StablecoinAccountFrozen", (d,))
        elif g.bal[src] < amount:
            expect = ("ERC20InsufficientBalance", (s, g.bal[src], amount))
        else:
            expect = None
        case = b"COURT".ljust(32, b"\0")
        out = self.send(
            self.who.compliance, self.c.coin, "seize", s, d, amount, case, expect=expect
        )
        if out.ok:
            self.move(src, dst, amount)
            g.frozen_balance[src] -= amount
            self.stats.extra["seizures"] += 1

    # ------------------------------------------------------------------ rules: pauses

    @precondition(lambda self: self.g.paused != PAUSE_MINT | PAUSE_REDEEM | PAUSE_TRANSFER)
    @rule(flag=st.sampled_from([PAUSE_MINT, PAUSE_REDEEM, PAUSE_TRANSFER]))
    def pause(self, flag):
        self.begin("pause")
        self.send(self.who.guardian, self.c.coin, "pause", flag)
        self.g.paused |= flag

    @precondition(lambda self: self.g.paused)
    @rule(flag=st.sampled_from([PAUSE_MINT, PAUSE_REDEEM, PAUSE_TRANSFER]))
    def unpause(self, flag):
        """The governor's delayed unpause: a day passes (feeds go stale unless refreshed)."""
        self.begin("unpause")
        self.governed(self.c.coin, "unpause", flag)
        self.g.paused &= ~flag

    # ------------------------------------------------------------------ rules: oracle and time

    def predict_report(self, answer: int, t: int) -> tuple | None:
        """ReportedPriceFeed.report(answer) at time ``t``, from the ghost of every round:
        read the rounds back from the latest, taking each answer; stop after one written
        at or before t - deviationWindow, a forced one, or round 1; more than
        MAX_REPORTS_PER_WINDOW (32) to read reverts. The answer must lie within
        maxDeviationBps of the lowest and of the highest answer read (each deviation
        |answer - p| * 10000 / p rounded up; the anchor is the one deviating more, the
        low one on a tie)."""
        g = self.g
        if answer <= 0 or answer > INT192_MAX:
            return ("FeedInvalidAnswer", (answer,))
        if not g.rounds:
            return None
        start = t - g.window if t > g.window else 0
        low = high = None
        index, read = len(g.rounds) - 1, 1
        while True:
            price, updated_at, forced = g.rounds[index]
            low = price if low is None else min(low, price)
            high = price if high is None else max(high, price)
            if updated_at <= start or forced or index == 0:
                break
            if read == g.max_reports:
                return ("FeedTooManyReports", (read, g.window))
            index, read = index - 1, read + 1
        from_low = ceil_div(abs(answer - low) * BPS, low)
        from_high = ceil_div(abs(answer - high) * BPS, high)
        anchor, deviation = (low, from_low) if from_low >= from_high else (high, from_high)
        self._read_back = (read, anchor)
        if deviation > g.max_deviation_bps:
            return ("FeedDeviationTooLarge", (anchor, answer, deviation, g.max_deviation_bps))
        return None

    def _write_round(self, answer: int, timestamp: int, forced: bool) -> None:
        g = self.g
        self._price_moved |= answer != g.price
        g.rounds.append((answer, timestamp, forced))
        g.price, g.updated_at = answer, timestamp

    def _report(self, answer: int, what: str) -> Outcome:
        self._read_back = None
        expect = self.predict_report(answer, self.next_ts())
        if self._read_back and self._read_back[1] != self.g.price:
            self.stats.extra["reports checked against an older answer than the last"] += 1
        if self._read_back:
            self.stats.extra["deepest read-back (rounds)"] = max(
                self.stats.extra["deepest read-back (rounds)"], self._read_back[0]
            )
        out = self.send(self.who.reporter, self.c.feed, "report", answer, expect=expect, what=what)
        if out.ok:
            self._write_round(answer, out.timestamp, forced=False)
        return out

    @rule(bps=st.one_of(st.integers(-1000, 1000), st.sampled_from([-1001, 1001, -2500])))
    def report_price(self, bps):
        self.begin("report_price")
        self._report(self.g.price + self.g.price * bps // BPS, "report_price")

    @rule(reports=st.integers(2, 5), bps=st.integers(-1000, 1000))
    def price_walk(self, reports, bps):
        """Several reports in one direction, a second apart: the window bounds the walk
        by maxDeviationBps from every answer in it (FeedDeviationTooLarge names the
        farthest one as anchor)."""
        self.begin("price_walk")
        for _ in range(reports):
            self._report(self.g.price + self.g.price * bps // BPS, "report")

    @rule(bps=st.sampled_from([0, 1, -1]))
    def report_flood(self, bps):
        """Reports a second apart until the read-back exceeds MAX_REPORTS_PER_WINDOW rounds
        inside the window (FeedTooManyReports), or 33 were sent."""
        self.begin("report_flood")
        for _ in range(self.g.max_reports + 1):
            out = self._report(self.g.price + self.g.price * bps // BPS, "flood")
            if not out.ok:
                break

    @rule(bps=st.sampled_from([-3000, -1500, 1500, 3000]))
    def force_report(self, bps):
        """The governor forces an answer beyond the bound (a day's delay); the forced round
        is the new reference: a report right after it reads back no older answer."""
        self.begin("force_report")
        answer = self.g.price + self.g.price * bps // BPS
        out = self.governed(self.c.feed, "forceReport", answer)
        self._write_round(answer, out.timestamp, forced=True)
        self._report(answer, "report after force")

    @rule(
        kind=st.sampled_from(
            [
                "minute",
                "hour",
                "day",
                "week",
                "heartbeat_edge",
                "past_edge",
                "window_edge",
                "inside_window",
            ]
        ),
        refresh=st.booleans(),
    )
    def time_travel(self, kind, refresh):
        """Move the clock; the heartbeat kinds put the next transaction exactly on the
        feed's freshness edge (still fresh) or one second past it (stale); the window kinds
        put it where the oldest round still inside the deviation window leaves it (the
        read-back stops there) or one second before (it reads one round further)."""
        self.begin("time_travel")
        g, head = self.g, self.snap()["head"][1]
        inside = [at for _, at, _ in g.rounds if at + g.window > head + 1]
        oldest = inside[0] if inside else g.updated_at
        target = {
            "minute": head + 60,
            "hour": head + 3_600,
            "day": head + DAY,
            "week": head + 7 * DAY,
            "heartbeat_edge": g.updated_at + g.heartbeat - 1,
            "past_edge": g.updated_at + g.heartbeat,
            "window_edge": oldest + g.window - 1,
            "inside_window": oldest + g.window - 2,
        }[kind]
        if target > head:
            self.travel_to(target)
        if refresh:
            self._report(g.price, "refresh")

    # ------------------------------------------------------------------ invariants

    def check_ghost_balances(self, s: dict, after_revert: bool = False) -> None:
        g = self.g
        prefix = "a reverted call moved funds: " if after_revert else ""
        for n in g.holders:
            assert s[f"bal:{n}"] == g.bal[n], f"{prefix}{n} holds {s[f'bal:{n}']} != {g.bal[n]}"
        for n in g.cash_holders:
            assert s[f"cash:{n}"] == g.cash[n], f"{prefix}{n} cash {s[f'cash:{n}']} != {g.cash[n]}"
        assert s["supply"] == g.supply, f"{prefix}supply {s['supply']} != ghost {g.supply}"

    @invariant()
    def balances_sum_to_total_supply(self):
        s = self.snap()
        self.stats.invariant_checks += 1
        total = sum(s[f"bal:{n}"] for n in self.g.holders)
        assert total == s["supply"], f"sum of balances {total} != totalSupply {s['supply']}"
        cash = sum(s[f"cash:{n}"] for n in self.g.cash_holders)
        assert cash == s["cash_supply"], f"cash held {cash} != cash supply {s['cash_supply']}"

    @invariant()
    def chain_matches_ghost(self):
        s = self.snap()
        self.check_ghost_balances(s)
        g = self.g
        assert s["paused"] == g.paused, f"pause flags {s['paused']} != ghost {g.paused}"
        for n in CORE_ACTORS:
            assert s[f"frozen:{n}"] == (n in g.frozen), f"freeze flag of {n}"
        round_id, answer, _, updated_at, _ = s["feed"]
        assert (answer, updated_at) == (g.price, g.updated_at), "feed differs from ghost"
        assert round_id == len(g.rounds), f"feed at round {round_id}, ghost {len(g.rounds)}"
        assert g.rounds[-1][:2] == (answer, updated_at)
        assert s["fee"] == g.fee_bps, f"redemption fee {s['fee']} != ghost {g.fee_bps}"
        for (owner, spender), allowance in g.allow.items():
            got = s[f"allow:{owner}:{spender}"]
            assert got == allowance, f"allowance {owner}->{spender} {got} != ghost {allowance}"

    @invariant()
    def frozen_balances_change_only_by_seizure(self):
        s = self.snap()
        for n, expected in self.g.frozen_balance.items():
            assert s[f"bal:{n}"] == expected, f"frozen {n}: balance moved other than by seizure"

    @invariant()
    def supply_backed_unless_prices_moved(self):
        """totalSupply <= collateral value / min ratio, except after price/time moves."""
        s, g = self.snap(), self.g
        value, head = s["value"], s["head"][1]
        assert not isinstance(value, Reverted), f"collateralValue() reverted: {value}"
        stale = not self.fresh(head)
        expected = self.collateral_value(head)
        assert value == expected, f"collateralValue() {value} != model {expected}"
        assert not stale or value == 0, "a stale feed's asset counted"
        cause = None
        if self._last_value is not None and value < self._last_value:
            if stale:
                cause = "feed went stale"  # the bond counts zero without a usable price
            else:
                assert self._price_moved, f"collateral value fell in {self._rule}, no price move"
                cause = "price report"
            self.stats.value_falls[cause] += 1
        self._last_value = value
        self._price_moved = False
        self.note_backing(value, s["supply"], g.min_ratio, cause, stale=stale)

    @invariant()
    def instruction_ids_executed_once(self):
        s, g = self.snap(), self.g
        for i, iid in enumerate(sorted(g.used_ids)):
            assert s[f"id:{i}"] is True, f"instruction {iid!r} not recorded as executed"
            assert g.executions[iid] == 1, f"instruction {iid!r} executed {g.executions[iid]}x"
        for i, iid in enumerate(sorted(g.redeem_ids)):
            assert s[f"rid:{i}"] is True, f"redemption {iid!r} not recorded"
        assert s["id:never"] is False


# ====================================================================== ladder machine

INVESTORS = ("alice", "bob", "mallory")
INVESTOR_PICKS = ("alice", "bob", "alice", "bob", "mallory")  # mallory: never allowlisted at first


@dataclass
class Bill:
    code: str
    contract: Contract
    maturity: int
    price: int
    remaining: int

    @property
    def grace_end(self) -> int:
        return self.maturity + GRACE_PERIOD


class LadderMachine(ChainMachine):
    """The T-bill vault and its ladder; the reserve's collateral is vault shares only."""

    def __init__(self):
        super().__init__()
        g = copy.deepcopy(self.ctx.ghost)
        self.model: LadderModel = g.pop("model")
        self.bills: list[Bill] = g.pop("bills")
        self.g = SimpleNamespace(**g)
        self._id_counter = 0
        self._last_under = False
        self._last_value = None
        self._last_head = self.now
        self._nav_events: list[str] = []  # what lowered the NAV on purpose since the last check
        self._series_count = len(self.bills)

    # ------------------------------------------------------------------ model

    def addr(self, name: str) -> str:
        return getattr(self.who, name)

    def states(self, s: dict) -> dict[str, SeriesState]:
        return {
            b.contract.address: SeriesState(
                face_value=CASH,
                decimals=6,
                maturity=b.maturity,
                supply=s[f"supply:{b.code}"],
                pool=s[f"pool:{b.code}"],
                defaulted=s[f"defaulted:{b.code}"],
                default_pool=s[f"default_pool:{b.code}"],
                default_supply=s[f"default_supply:{b.code}"],
            )
            for b in self.bills
        }

    def nav_at(self, t: int) -> int:
        """The model's (exit) NAV at time ``t`` with the series as they are now."""
        return self.model.nav(self.states(self.snap()), t)

    def entry_at(self, t: int) -> int:
        """The model's entry NAV (deposits and mints) at time ``t``."""
        return self.model.entry_nav(self.states(self.snap()), t)

    def next_maturity(self, t: int) -> int:
        later = [lot.maturity for lot in self.model.lots if lot.maturity > t]
        return min(later) if later else 0

    def reserve_value(self, nav: int, supply: int) -> int:
        """Reserve.collateralValue(): vault shares priced by VaultNavFeed, haircut."""
        g = self.g
        answer = g.one_share * (nav + 1) // (supply + VAULT_OFFSET) * g.nav_to_wad
        value = g.shares["reserve"] * answer // 10 ** (g.share_decimals + 18 - 18)
        return value * (BPS - g.share_haircut_bps) // BPS

    def read_calls(self) -> dict:
        c, w = self.c, self.who
        calls = {
            "nav": (c.vault, "totalAssets"),
            "entry": (c.vault, "entryAssets"),
            "shares": (c.vault, "totalSupply"),
            "idle": (c.vault, "idleCash"),
            "vault_paused": (c.vault, "pausedFlags"),
            "coin_supply": (c.coin, "totalSupply"),
            "coin:exchange": (c.coin, "balanceOf", w.exchange),
            "value": (c.reserve, "collateralValue"),
            "cash_supply": (c.cash, "totalSupply"),
            "nav_feed": (c.nav_feed, "latestRoundData"),
        }
        for n in self.g.share_holders:
            calls[f"sh:{n}"] = (c.vault, "balanceOf", getattr(w, n))
        for n in self.g.cash_holders:
            calls[f"cash:{n}"] = (c.cash, "balanceOf", getattr(w, n))
        for n in INVESTORS:
            calls[f"frozen:{n}"] = (c.coin, "frozen", getattr(w, n))
            calls[f"listed:{n}"] = (c.vault, "isAllowlisted", getattr(w, n))
        for b in self.bills:
            calls[f"supply:{b.code}"] = (b.contract, "totalSupply")
            calls[f"pool:{b.code}"] = (b.contract, "pool")
            calls[f"defaulted:{b.code}"] = (b.contract, "defaulted")
            calls[f"default_pool:{b.code}"] = (b.contract, "defaultPool")
            calls[f"default_supply:{b.code}"] = (b.contract, "defaultSupply")
            calls[f"held:{b.code}"] = (b.contract, "balanceOf", c.vault.address)
            calls[f"cash:{b.code}"] = (c.cash, "balanceOf", b.contract.address)
        return calls

    # ------------------------------------------------------------------ rules: debt office

    @precondition(lambda self: self._series_count < 5)
    @rule(days=st.sampled_from([1, 2, 7, 30, 91]), discount_bps=st.sampled_from([20, 150, 600]))
    def create_series(self, days, discount_bps):
        self.begin("create_series")
        t = self.next_ts()
        self._series_count += 1
        code = f"INV-{self._series_count}-{days}D"
        maturity = t + days * DAY
        reg, office = self.c.registry, self.who.debt_office
        self.send(office, reg, "createSeries", code, 6, CASH, t, maturity, what="createSeries")
        series = self.chain.contract(self.chain.call(reg, "seriesByCode", code), "TBillSeries")
        price = CASH * (BPS - discount_bps) // BPS
        offered = 2_000_000 * CASH
        self.send(office, reg, "openAuction", series.address, price, offered, what="openAuction")
        bill = Bill(code, series, maturity, price, offered)
        assert self.chain.call(series, "graceEnd") == bill.grace_end
        # The treasury funds repayment pools through fundRepayment.
        self.send(
            self.who.treasury, self.c.cash, "approve", series.address, MAX_UINT, what="approve"
        )
        self.bills.append(bill)

    @precondition(lambda self: self.bills)
    @rule(
        pick=st.integers(0, 10),
        permille=st.integers(1, 1200),
        limit_below=st.booleans(),
        any_bill=st.sampled_from([False, False, False, True]),
    )
    def buy(self, pick, permille, limit_below, any_bill):
        """The vault manager buys at auction (mostly a bill it may still buy)."""
        self.begin("buy")
        t, idle = self.next_ts(), self.model.idle
        eligible = [] if any_bill else [b for b in self.bills if b.maturity >= t + DAY]
        bills = eligible or self.bills
        bill = bills[pick % len(bills)]
        amount = idle * permille // 1000 * 10**6 // bill.price
        cost = ceil_div(amount * bill.price, 10**6)
        face = amount * CASH // 10**6
        max_price = bill.price - 1 if limit_below and permille % 7 == 0 else bill.price
        if self.model.markdown_bps.get(bill.contract.address):
            markdown = self.model.markdown_bps[bill.contract.address]
            expect = ("VaultSeriesMarkedDown", (bill.contract.address, markdown))
        elif bill.maturity < t + DAY:
            expect = ("VaultMaturityTooClose", (bill.maturity, t))
        elif len(self.model.lots) >= 64:
            expect = ("VaultTooManyLots", (64,))
        elif cost > idle:
            expect = ("VaultInsufficientIdleCash", (cost, idle, self.next_maturity(t)))
        elif cost >= face:
            expect = ("VaultNotADiscount", (cost, face))
        elif bill.price > max_price:
            expect = ("TBillPriceAboveLimit", (bill.price, max_price))
        elif amount > bill.remaining:
            expect = ("TBillAuctionExhausted", (amount, bill.remaining))
        else:
            expect = None
        vault = self.c.vault
        args = (bill.contract.address, amount, max_price)
        out = self.send(self.who.vault_manager, vault, "buy", *args, expect=expect)
        if out.ok:
            state = self.states(self.snap())[bill.contract.address]
            self.model.buy(bill.contract.address, amount, bill.price, state, out.timestamp)
            bill.remaining -= amount

    @precondition(lambda self: self.bills)
    @rule(
        pick=st.integers(0, 10),
        kind=st.sampled_from(["full", "half", "short_by_one", "unit"]),
        via=st.sampled_from(["fund", "fund", "fund", "transfer"]),
    )
    def fund_repayment(self, pick, kind, via):
        """The treasury puts cash in a series' repayment pool (all, half, or almost all it
        owes): through fundRepayment (refused once in default: TBillPoolClosed), or as a
        plain cash transfer to the series (which no contract can refuse). Funding steers
        to a defaulted series half of the time, when there is one."""
        self.begin("fund_repayment")
        s = self.snap()
        defaulted = [b for b in self.bills if s[f"defaulted:{b.code}"]]
        bills = defaulted if defaulted and via == "fund" and pick % 2 == 0 else self.bills
        bill = bills[pick % len(bills)]
        owed = s[f"supply:{bill.code}"] * CASH // 10**6 - s[f"pool:{bill.code}"]
        amount = {"full": owed, "half": owed // 2, "short_by_one": owed - 1, "unit": 1}[kind]
        amount = max(amount, 1)
        bank, series = self.who.central_bank, bill.contract
        if via == "transfer":
            self.send(bank, self.c.cash, "mint", series.address, amount, what="cash to the pool")
            return
        treasury = self.who.treasury
        self.send(bank, self.c.cash, "mint", treasury, amount, what="mint cash")
        expect = ("TBillPoolClosed", ()) if s[f"defaulted:{bill.code}"] else None
        self.send(treasury, series, "fundRepayment", amount, expect=expect, what="fundRepayment")

    @precondition(lambda self: self.bills)
    @rule(pick=st.integers(0, 10), due_only=st.sampled_from([True, True, True, False]))
    def mark_default(self, pick, due_only):
        """Anyone records a default (mostly of a series whose grace period is over)."""
        self.begin("mark_default")
        s, t = self.snap(), self.next_ts()
        due = [b for b in self.bills if b.grace_end <= t] if due_only else []
        bills = due or self.bills
        bill = bills[pick % len(bills)]
        owed = ceil_div(s[f"supply:{bill.code}"] * CASH, 10**6)
        pool = s[f"pool:{bill.code}"]
        if t < bill.grace_end:
            expect = ("TBillInGracePeriod", (t, bill.grace_end))
        elif s[f"defaulted:{bill.code}"]:
            expect = ("TBillAlreadyDefaulted", ())
        elif pool >= owed:
            expect = ("TBillFullyFunded", (owed, pool))
        else:
            expect = None
        out = self.send(self.who.mallory, bill.contract, "markDefault", expect=expect)
        self.stats.extra["defaults"] += out.ok

    @precondition(lambda self: self.bills)
    @rule(pick=st.integers(0, 10), bps=st.sampled_from([0, 100, 2_000, 5_000, 5_001]))
    def markdown(self, pick, bps):
        self.begin("markdown")
        bill = self.bills[pick % len(self.bills)]
        if bps > MAX_MARKDOWN_BPS:
            expect = ("VaultMarkdownOutOfBounds", (bps, MAX_MARKDOWN_BPS))
        else:
            expect = None
        vault = self.c.vault
        out = self.send(
            self.who.reporter, vault, "setMarkdown", bill.contract.address, bps, expect=expect
        )
        if out.ok:
            self.model.markdown_bps[bill.contract.address] = bps
            self._nav_events.append("markdown")

    @precondition(lambda self: self.bills)
    @rule(
        kind=st.sampled_from(
            [
                "hour",
                "day",
                "week",
                "month",
                "at_maturity",
                "before_maturity",
                "at_grace_end",
                "before_grace_end",
            ]
        )
    )
    def time_travel(self, kind):
        """Move the clock; the maturity kinds put the next transaction exactly at the next
        bill's maturity, or one second before it; the grace kinds likewise at the next end
        of a grace period (maturity + 3 days)."""
        self.begin("time_travel")
        self._travel(kind)

    @precondition(lambda self: any(b.maturity > self.next_ts() + 1 for b in self.bills))
    @rule()
    def to_next_maturity(self):
        """The next transaction lands exactly on the next maturity (hypothesis favours rules
        without arguments)."""
        self.begin("to_next_maturity")
        self._travel("at_maturity")

    @precondition(lambda self: any(b.grace_end > self.next_ts() + 1 for b in self.bills))
    @rule()
    def to_next_grace_end(self):
        """The next transaction lands exactly at the end of the next grace period."""
        self.begin("to_next_grace_end")
        self._travel("at_grace_end")

    def _travel(self, kind: str) -> None:
        head = self.snap()["head"][1]
        upcoming = sorted(b.maturity for b in self.bills if b.maturity > head + 2)
        nxt = upcoming[0] if upcoming else head + DAY
        ends = sorted(b.grace_end for b in self.bills if b.grace_end > head + 2)
        grace = ends[0] if ends else head + DAY
        target = {
            "hour": head + 3_600,
            "day": head + DAY,
            "week": head + 7 * DAY,
            "month": head + 30 * DAY,
            "at_maturity": nxt - 1,
            "before_maturity": nxt - 2,
            "at_grace_end": grace - 1,
            "before_grace_end": grace - 2,
        }[kind]
        self.travel_to(max(target, head + 1))

    def _matured_at(self, t: int) -> list[tuple[str, int, int]]:
        """The vault's matured lots (series, amount, purchasedAt) as a transaction at ``t``
        sees them after its own sync: those already moved, then the model's lots that
        matured since, in maturity order (the vault keeps accruing lots sorted, stable)."""
        stored = [(lot[0], lot[4], lot[2]) for lot in self.chain.call(self.c.vault, "maturedLots")]
        known = {(series.lower(), amount, at) for series, amount, at in stored}
        pending = sorted(
            (
                lot
                for lot in self.model.lots
                if lot.maturity <= t
                and (lot.series.lower(), lot.amount, lot.purchased_at) not in known
            ),
            key=lambda lot: lot.maturity,
        )
        return stored + [(lot.series, lot.amount, lot.purchased_at) for lot in pending]

    def _any_matured(self) -> bool:
        t = self.next_ts()
        return any(lot.maturity <= t for lot in self.model.lots)

    @precondition(lambda self: self._any_matured() or self._moves % 4 == 0)
    @rule(pick=st.integers(0, 10), sync_first=st.booleans())
    def redeem_matured(self, pick, sync_first):
        """The manager redeems a matured lot at its series (after a public sync, or not)."""
        self.begin("redeem_matured")
        vault, manager = self.c.vault, self.who.vault_manager
        if sync_first:
            self.send(manager, vault, "sync", what="sync")
        t = self.next_ts()
        lots = self._matured_at(t)
        if not lots:
            self.send(manager, vault, "redeemMatured", 0, expect=("VaultNoMaturedLot", (0,)))
            return
        index = pick % len(lots)
        series, amount, purchased_at = lots[index]
        bill = next(b for b in self.bills if b.contract.address.lower() == series.lower())
        s = self.snap()
        pool, supply = s[f"pool:{bill.code}"], s[f"supply:{bill.code}"]
        defaulted = s[f"defaulted:{bill.code}"]
        owed = ceil_div(supply * CASH, 10**6)
        face = amount * CASH // 10**6
        # TBillSeries.redeem: a short pool pays nobody during the grace period; at or after
        # graceEnd the redemption records the default; then (and once defaulted) it pays
        # the recovery rate fixed at the default (pool/supply then), and a zero payout reverts.
        records_default = not defaulted and pool < owed and t >= bill.grace_end
        if not defaulted and pool < owed and t < bill.grace_end:
            expect = ("TBillRepaymentShort", (owed, pool, bill.grace_end))
            payout = 0
        elif defaulted:
            rate_pool, rate_supply = (
                s[f"default_pool:{bill.code}"],
                s[f"default_supply:{bill.code}"],
            )
            payout = amount * rate_pool // rate_supply
        elif pool < owed:  # this redemption records the default at the current pool
            payout = amount * pool // supply
        else:
            payout = face
        if not (not defaulted and pool < owed and t < bill.grace_end):
            expect = ("TBillNothingToPay", (amount,)) if payout == 0 else None
        out = self.send(manager, vault, "redeemMatured", index, expect=expect)
        if out.ok:
            assert self.snap()[f"defaulted:{bill.code}"] == (defaulted or records_default)
            self.stats.extra["defaults recorded by a redemption"] += records_default
            lot = next(
                lot
                for lot in self.model.lots
                if lot.series.lower() == series.lower()
                and lot.amount == amount
                and lot.purchased_at == purchased_at
            )
            # LadderModel.redeem drops every lot of the series; the vault may hold several.
            self.model.lots.remove(lot)
            self.model.idle += payout
            self.stats.extra["bills redeemed"] += 1
            self.stats.extra["bills redeemed after default"] += s[f"defaulted:{bill.code}"]

    # ------------------------------------------------------------------ rules: investors

    def _deposit_expect(self, who: str, assets: int) -> tuple | None:
        g, s = self.g, self.snap()
        addr = self.addr(who)
        if g.vault_paused & VAULT_PAUSE_DEPOSIT:
            return ("VaultPaused", (VAULT_PAUSE_DEPOSIT,))
        if not g.listed[who]:
            return ("VaultNotAllowlisted", (addr,))
        if who in g.frozen:
            return ("VaultAccountFrozen", (addr,))
        if g.cash_allowance[who] < assets:
            return ("ERC20InsufficientAllowance", (self.who.vault, g.cash_allowance[who], assets))
        if s[f"cash:{who}"] < assets:
            return ("ERC20InsufficientBalance", (addr, s[f"cash:{who}"], assets))
        return None

    def _withdraw_expect(self, who: str) -> tuple | None:
        if self.g.vault_paused & VAULT_PAUSE_WITHDRAW:
            return ("VaultPaused", (VAULT_PAUSE_WITHDRAW,))
        if who in self.g.frozen:
            return ("VaultAccountFrozen", (self.addr(who),))
        return None

    def _check_fair(
        self, who: str, nav: int, entry: int, supply: int, d_assets: int, d_shares: int
    ):
        """At one timestamp, with the exit NAV ``nav`` and the entry NAV ``entry``: neither a
        deposit nor a withdrawal lowers the other holders' exit share value. A withdrawal
        (at the exit NAV) never hands them a unit or more and never pays the actor more
        than its shares are worth. A deposit (at the entry NAV) raises their value by the
        entry-exit gap the depositor pays (nothing when entry == exit), and its rounding
        hands them less than a unit more than that; the shares received are worth at most
        what was paid, at the entry price and at the exit price after it."""
        virtual = supply + VAULT_OFFSET
        before = Fraction(nav + 1, virtual)
        after = Fraction(nav + d_assets + 1, virtual + d_shares)
        others = supply - self.g.shares[who]
        assert after >= before, f"{self._rule}: other holders' share value fell"
        if d_shares > 0:
            price = Fraction(entry + 1, virtual)
            # The exit share value after a deposit priced at the entry NAV without rounding.
            ideal = Fraction(nav + d_assets + 1) / (virtual + Fraction(d_assets) / price)
            assert ideal >= before and (ideal == before) == (entry == nav)
            assert others * (after - ideal) < 1, f"{self._rule}: rounding gave others >= 1 unit"
            assert d_shares * price <= d_assets, f"{self._rule}: shares worth more than paid"
            assert d_shares * after <= d_assets, f"{self._rule}: new shares worth more than paid"
            if entry > nav:
                self.stats.extra["deposits paying the entry-exit gap"] += 1
        else:
            assert others * (after - before) < 1, f"{self._rule}: other holders gained >= 1 unit"
            assert -d_assets <= -d_shares * before, f"{self._rule}: paid more than shares' value"
        self.stats.extra["fairness checks"] += 1

    @rule(who=st.sampled_from(INVESTOR_PICKS), permille=st.integers(1, 1100), as_mint=st.booleans())
    def deposit(self, who, permille, as_mint):
        """A deposit or mint, priced at the entry NAV (entryAssets())."""
        self.begin("deposit")
        g, s, t = self.g, self.snap(), self.next_ts()
        nav, entry, supply = self.nav_at(t), self.entry_at(t), g.share_supply
        budget = max(1, s[f"cash:{who}"] * permille // 1000)
        if as_mint:
            shares = budget * (supply + VAULT_OFFSET) // (entry + 1)
            assets = ceil_div(shares * (entry + 1), supply + VAULT_OFFSET)
            call = ("mint", shares)
        else:
            assets = budget
            shares = assets * (supply + VAULT_OFFSET) // (entry + 1)
            call = ("deposit", assets)
        expect = self._deposit_expect(who, assets)
        addr = self.addr(who)
        out = self.send(addr, self.c.vault, call[0], call[1], addr, expect=expect)
        if out.ok:
            self._check_fair(who, nav, entry, supply, assets, shares)
            g.shares[who] += shares
            g.share_supply += shares
            self.model.deposit(assets)

    @rule(
        who=st.sampled_from(INVESTOR_PICKS), permille=st.integers(1, 1100), by_shares=st.booleans()
    )
    def withdraw(self, who, permille, by_shares):
        self.begin("withdraw")
        g, t = self.g, self.next_ts()
        nav, supply = self.nav_at(t), g.share_supply
        addr = self.addr(who)
        held = g.shares[who]
        idle = self.model.idle
        expect = self._withdraw_expect(who)
        if by_shares:
            shares = max(1, held * permille // 1000)
            assets = shares * (nav + 1) // (supply + VAULT_OFFSET)
            if expect is None and shares > held:
                expect = ("ERC4626ExceededMaxRedeem", (addr, shares, held))
            call = ("redeem", shares)
        else:
            max_assets = held * (nav + 1) // (supply + VAULT_OFFSET)
            assets = max(1, max_assets * permille // 1000)
            shares = ceil_div(assets * (supply + VAULT_OFFSET), nav + 1)
            if expect is None and assets > max_assets:
                expect = ("ERC4626ExceededMaxWithdraw", (addr, assets, max_assets))
            call = ("withdraw", assets)
        if expect is None and assets > idle:
            expect = ("VaultInsufficientIdleCash", (assets, idle, self.next_maturity(t)))
        out = self.send(addr, self.c.vault, call[0], call[1], addr, addr, expect=expect)
        if out.ok:
            self._check_fair(who, nav, nav, supply, -assets, -shares)
            g.shares[who] -= shares
            g.share_supply -= shares
            self.model.withdraw(assets)

    def _round_trip_candidate(self) -> str | None:
        if self.g.vault_paused:
            return None
        s = self.snap()
        for n in ("alice", "bob"):
            if n not in self.g.frozen and self.g.listed[n] and s[f"cash:{n}"] >= CASH:
                return n
        return None

    @precondition(lambda self: self._round_trip_candidate() is not None)
    @rule(permille=st.integers(1, 1000))
    def round_trip(self, permille):
        """Deposit (at the entry NAV) then redeem the shares received (at the exit NAV), in
        one block: never a gain."""
        self.begin("round_trip")
        g, s = self.g, self.snap()
        who = self._round_trip_candidate()
        addr, t = self.addr(who), self.next_ts()
        assets = max(1, s[f"cash:{who}"] * permille // 1000)
        nav, entry, supply = self.nav_at(t), self.entry_at(t), g.share_supply
        shares = assets * (supply + VAULT_OFFSET) // (entry + 1)
        back = shares * (nav + assets + 1) // (supply + shares + VAULT_OFFSET)
        self.chain.rpc("evm_setAutomine", False)
        try:
            h1 = self.chain.send_unchecked(addr, self.c.vault, "deposit", assets, addr)
            h2 = self.chain.send_unchecked(addr, self.c.vault, "redeem", shares, addr, addr)
            self.chain.rpc("evm_mine")
        finally:
            self.chain.rpc("evm_setAutomine", True)
        self.invalidate()
        r1, r2 = self.chain.receipt(h1), self.chain.receipt(h2)
        assert r1["blockNumber"] == r2["blockNumber"], "round trip not in one block"
        assert (r1["status"], r2["status"]) == ("0x1", "0x1"), "round trip reverted"
        after = self.snap()[f"cash:{who}"]
        assert after == s[f"cash:{who}"] - assets + back, "round trip paid other than predicted"
        assert back <= assets, f"deposit->redeem round trip gained: {assets} in, {back} out"
        self._check_fair(who, nav, entry, supply, assets, shares)
        self.stats.rules["round_trip"]["ok"] += 1
        self.stats.extra["round trip units lost"] += assets - back
        self.model.deposit(assets)
        self.model.withdraw(back)

    # ------------------------------------------------------------------ rules: compliance, pauses

    @rule(who=st.sampled_from(("alice", "bob")))
    def toggle_freeze(self, who):
        self.begin("toggle_freeze")
        g, addr = self.g, self.addr(who)
        method = "unfreeze" if who in g.frozen else "freeze"
        self.send(self.who.compliance, self.c.coin, method, addr, ZERO_ID, what=method)
        if method == "freeze":
            g.frozen.add(who)
            g.frozen_shares[who] = g.shares[who]
        else:
            g.frozen.discard(who)
            g.frozen_shares.pop(who)

    @rule(who=st.sampled_from(INVESTORS), allowed=st.sampled_from([True, True, False]))
    def set_allowlisted(self, who, allowed):
        self.begin("set_allowlisted")
        addr = self.addr(who)
        self.send(self.who.compliance, self.c.vault, "setAllowlisted", addr, allowed, ZERO_ID)
        self.g.listed[who] = allowed

    @precondition(lambda self: self.g.vault_paused == 0)
    @rule(flag=st.sampled_from([VAULT_PAUSE_DEPOSIT, VAULT_PAUSE_WITHDRAW]))
    def vault_pause(self, flag):
        self.begin("vault_pause")
        self.send(self.who.guardian, self.c.vault, "pause", flag)
        self.g.vault_paused |= flag

    @precondition(lambda self: self.g.vault_paused)
    @rule(flag=st.sampled_from([VAULT_PAUSE_DEPOSIT, VAULT_PAUSE_WITHDRAW]))
    def vault_unpause(self, flag):
        self.begin("vault_unpause")
        self.governed(self.c.vault, "unpause", flag)
        self.g.vault_paused &= ~flag

    # ------------------------------------------------------------------ rules: issuance

    @rule(
        kind=st.sampled_from(["fraction", "exact", "over_by_one"]),
        permille=st.integers(1, 1000),
        replay=st.sampled_from([False] * 4 + [True]),
    )
    def mint_coin(self, kind, permille, replay):
        """Mint stablecoin against the reserve's vault shares (valued from the NAV)."""
        self.begin("mint_coin")
        g, t = self.g, self.next_ts()
        value = self.reserve_value(self.nav_at(t), g.share_supply)
        room = value * WAD // g.min_ratio - g.coin_supply
        amount = {
            "fraction": max(1, room * permille // 1000),
            "exact": room,
            "over_by_one": room + 1,
        }[kind]
        amount = amount if amount > 0 else 1_000 * WAD
        iid = _pick_id(self, "replay" if replay else "new", g.used_ids, "LMINT")
        after = g.coin_supply + amount
        if iid in g.used_ids:
            expect = ("ReserveInstructionAlreadyExecuted", (iid,))
        elif after > value * WAD // g.min_ratio:
            expect = (
                "ReserveCollateralRatioTooLow",
                (value * WAD // after, g.min_ratio, value, after),
            )
        else:
            expect = None
        reserve = self.c.reserve
        out = self.send(
            self.who.minter, reserve, "mint", self.who.exchange, amount, iid, expect=expect
        )
        if out.ok:
            g.used_ids.add(iid)
            g.coin_supply += amount
            g.coin_exchange += amount
            r = self.chain.read(
                {"value": (reserve, "collateralValue"), "supply": (self.c.coin, "totalSupply")}
            )
            assert r["supply"] * g.min_ratio <= r["value"] * WAD, f"mint broke the ratio: {r}"

    # ------------------------------------------------------------------ invariants

    def check_ghost_balances(self, s: dict, after_revert: bool = False) -> None:
        g = self.g
        prefix = "a reverted call moved funds: " if after_revert else ""
        for n in g.share_holders:
            assert s[f"sh:{n}"] == g.shares[n], f"{prefix}{n} holds {s[f'sh:{n}']} != {g.shares[n]}"
        assert s["shares"] == g.share_supply, f"{prefix}share supply differs from the ghost"
        assert s["idle"] == self.model.idle, f"{prefix}idle cash {s['idle']} != {self.model.idle}"
        assert s["coin_supply"] == g.coin_supply, f"{prefix}coin supply differs from the ghost"
        assert s["coin:exchange"] == g.coin_exchange

    @invariant()
    def nav_matches_model(self):
        s = self.snap()
        self.stats.invariant_checks += 1
        expected = self.model.nav(self.states(s), s["head"][1])
        assert s["nav"] == expected, f"vault NAV {s['nav']} != model {expected}"

    @invariant()
    def entry_nav_matches_model(self):
        s = self.snap()
        expected = self.model.entry_nav(self.states(s), s["head"][1])
        assert s["entry"] == expected, f"vault entry NAV {s['entry']} != model {expected}"
        assert s["entry"] >= s["nav"], f"entry NAV {s['entry']} below exit NAV {s['nav']}"
        self.stats.extra["checks with entry NAV above exit NAV"] += s["entry"] > s["nav"]

    @invariant()
    def balances_sum_to_total_supply(self):
        s = self.snap()
        shares = sum(s[f"sh:{n}"] for n in self.g.share_holders)
        assert shares == s["shares"], f"shares held {shares} != totalSupply {s['shares']}"
        cash = sum(s[f"cash:{n}"] for n in self.g.cash_holders)
        cash += sum(s[f"cash:{b.code}"] for b in self.bills)
        assert cash == s["cash_supply"], f"cash held {cash} != cash supply {s['cash_supply']}"
        for b in self.bills:
            held = sum(lot.amount for lot in self.model.lots if lot.series == b.contract.address)
            assert s[f"held:{b.code}"] == s[f"supply:{b.code}"], f"{b.code}: vault != supply"
            assert s[f"held:{b.code}"] == held, f"{b.code}: vault holds other than its lots"

    @invariant()
    def chain_matches_ghost(self):
        s = self.snap()
        self.check_ghost_balances(s)
        g = self.g
        assert s["vault_paused"] == g.vault_paused
        for n in INVESTORS:
            assert s[f"frozen:{n}"] == (n in g.frozen)
            assert s[f"listed:{n}"] == g.listed[n]

    @invariant()
    def frozen_investors_shares_unchanged(self):
        s = self.snap()
        for n, expected in self.g.frozen_shares.items():
            assert s[f"sh:{n}"] == expected, f"frozen {n}: vault shares moved"

    @invariant()
    def supply_backed_unless_nav_moved(self):
        s, g = self.snap(), self.g
        value = s["value"]
        assert not isinstance(value, Reverted), f"collateralValue() reverted: {value}"
        expected = self.reserve_value(s["nav"], s["shares"])
        assert value == expected, f"collateralValue() {value} != model {expected}"
        _, answer, _, updated_at, _ = s["nav_feed"]
        assert updated_at == s["head"][1]
        assert answer == g.one_share * (s["nav"] + 1) // (s["shares"] + VAULT_OFFSET) * g.nav_to_wad
        head = s["head"][1]
        cause = None
        if self._last_value is not None and value < self._last_value:
            # Accrual only raises the NAV, deposits (at the entry NAV) and withdrawals never
            # lower a share's exit value (checked in their rules); a default, recorded by
            # markDefault or a redemption, and the end of a grace period mark down nothing
            # (the exit NAV values a short pool pro rata from maturity on, capped at face):
            # only a markdown being set or a maturity passing with the repayment pool short
            # lowers it.
            short = [
                b.code
                for b in self.bills
                if self._last_head < b.maturity <= head
                and s[f"pool:{b.code}"] < s[f"supply:{b.code}"] * CASH // 10**6
            ]
            if self._nav_events:
                cause = self._nav_events[0]
            elif short:
                cause = "maturity with a short pool"
            else:
                raise AssertionError(
                    f"reserve collateral value fell in {self._rule} without a markdown or a "
                    f"maturity: {self._last_value} -> {value}"
                )
            self.stats.value_falls[cause] += 1
        self._last_value, self._last_head, self._nav_events = value, head, []
        self.note_backing(value, s["coin_supply"], g.min_ratio, cause)


# ====================================================================== fixtures and tests


def _contract_types():
    return {
        name: getattr(ape.project, name).contract_type
        for name in (
            "SovereignStablecoin",
            "Reserve",
            "ReportedPriceFeed",
            "SettlementCash",
            "SovereignAccessManager",
            "TBillRegistry",
            "TBillSeries",
            "TBillVault",
            "VaultNavFeed",
            "MockERC20",
        )
    }


@pytest.fixture
def chain_driver(system):
    """The JSON-RPC driver, with one-second blocks for the duration of the test."""
    chain = Chain(ape.chain.provider.web3.provider, _contract_types())
    chain.rpc("anvil_setBlockTimestampInterval", 1)
    chain.rpc("evm_mine")
    try:
        yield chain
    finally:
        chain.rpc("anvil_removeBlockTimestampInterval")


def _handles(chain: Chain, system, bond) -> SimpleNamespace:
    return SimpleNamespace(
        coin=chain.contract(system.stablecoin.address, "SovereignStablecoin"),
        reserve=chain.contract(system.reserve.address, "Reserve"),
        feed=chain.contract(system.feeds["SB30"].address, "ReportedPriceFeed"),
        cash=chain.contract(system.cash.address, "SettlementCash"),
        manager=chain.contract(system.manager.address, "SovereignAccessManager"),
        registry=chain.contract(system.registry.address, "TBillRegistry"),
        vault=chain.contract(system.vault.address, "TBillVault"),
        nav_feed=chain.contract(system.vault_feed.address, "VaultNavFeed"),
        bond=chain.contract(bond.address, "MockERC20"),
    )


def _who(system, **named) -> SimpleNamespace:
    out = {name: acct.address for name, acct in named.items()}
    out.update(reserve=system.reserve.address, vault=system.vault.address)
    return SimpleNamespace(**out)


def _setup_send(chain: Chain, sender, contract: Contract, method: str, *args) -> Outcome:
    out = chain.send(sender.address, contract, method, *args)
    assert out.ok, f"set-up {method} reverted: {out.error}{out.args}"
    return out


def _run(machine_cls, ctx: Ctx) -> None:
    run_settings = settings(settings.default)
    stats = Stats(machine_cls.__name__, run_settings)
    machine_cls.ctx, machine_cls.stats = ctx, stats
    ctx.baseline = ctx.fingerprint()
    failed = True
    try:
        run_state_machine_as_test(machine_cls, settings=run_settings)
        failed = False
    except BaseException as exc:
        # A leak between examples also makes hypothesis see "flaky" data generation;
        # name the real cause.
        if stats.isolation_failures:
            raise AssertionError(
                f"examples are not isolated: {stats.isolation_failures[0]}"
            ) from exc
        raise
    finally:
        path = write_summary(stats.as_dict(ctx.chain, failed), machine_cls.__name__)
        print(f"\n{machine_cls.__name__}: {stats.examples} examples, {stats.steps} steps -> {path}")
    # The chain is back at the baseline after the last example, too.
    assert ctx.fingerprint() == ctx.baseline, "the last example was not rolled back"


def test_core_invariants(
    system,
    chain_driver,
    config,
    bond,
    minter,
    burner,
    guardian,
    compliance,
    reporter,
    governor,
    exchange,
    alice,
    bob,
    mallory,
):
    """CoreMachine: stablecoin and reserve (see the module doc)."""
    chain = chain_driver
    reserve = system.reserve
    c = _handles(chain, system, bond)
    # Set-up: supply near the cap (980,000 against 999,600 of haircut collateral at 102%),
    # so that a price fall of a few percent under-collateralizes the reserve; holders, and
    # a treasury (the burner) holding coins.
    setup_id = text_to_bytes32("INV-SETUP")
    reserve.mint(exchange, 940_000 * WAD, setup_id, sender=minter)
    for who, amount in ((alice, 50_000), (bob, 50_000), (mallory, 5_000), (burner, 50_000)):
        _setup_send(chain, exchange, c.coin, "transfer", who.address, amount * WAD)
    # The driver and ape agree on a revert (the replayed set-up id), and on its decoding.
    with ape.reverts(reserve.ReserveInstructionAlreadyExecuted, instructionId=setup_id):
        reserve.mint(exchange, 1, setup_id, sender=minter)
    replay = chain.send(minter.address, c.reserve, "mint", exchange.address, 1, setup_id)
    assert (replay.error, replay.args) == ("ReserveInstructionAlreadyExecuted", (setup_id,))

    who = _who(
        system,
        minter=minter,
        treasury=burner,
        guardian=guardian,
        compliance=compliance,
        reporter=reporter,
        governor=governor,
        exchange=exchange,
        alice=alice,
        bob=bob,
        mallory=mallory,
    )
    holders = CORE_ACTORS + ("reserve", "vault")
    cash_holders = ("reserve", "exchange", "alice")
    # The starting state, read in one batch (each ape view call costs ~25 ms).
    calls = {f"bal:{n}": (c.coin, "balanceOf", getattr(who, n)) for n in holders}
    calls.update({f"cash:{n}": (c.cash, "balanceOf", getattr(who, n)) for n in cash_holders})
    calls.update({f"nonce:{n}": (c.coin, "nonces", getattr(who, n)) for n in CORE_ACTORS})
    calls.update(
        supply=(c.coin, "totalSupply"),
        paused=(c.coin, "pausedFlags"),
        name=(c.coin, "name"),
        feed=(c.feed, "latestRoundData"),
        feed_decimals=(c.feed, "decimals"),
        max_deviation=(c.feed, "maxDeviationBps"),
        window=(c.feed, "deviationWindow"),
        max_reports=(c.feed, "MAX_REPORTS_PER_WINDOW"),
        config=(c.reserve, "collateralConfig", c.bond.address),
        breakdown=(c.reserve, "collateralBreakdown"),
        bonds=(c.bond, "balanceOf", c.reserve.address),
        min_ratio=(c.reserve, "minCollateralRatioWad"),
        allowance=(c.reserve, "minterAllowance", minter.address),
        fee=(c.reserve, "redemptionFeeBps"),
        cash_unit=(c.reserve, "cashUnit"),
    )
    r = chain.read(calls)
    latest, answer, _, updated_at, _ = r["feed"]
    _, heartbeat, haircut_bps, cap_bps, _, _ = r["config"]
    assert r["window"] == config.feed_deviation_window
    # Every round so far, for the read-back of report(): the set-up only reported (no
    # forceReport), so none is forced.
    rounds = chain.read({i: (c.feed, "getRoundData", i) for i in range(1, latest + 1)})
    rounds = [(rounds[i][1], rounds[i][3], False) for i in range(1, latest + 1)]
    assert rounds[-1][:2] == (answer, updated_at)
    # The bond is the only collateral held; the vault shares are listed beside it, held zero.
    assets, haircut_values, _, total = r["breakdown"]
    held = [a.lower() for a, v in zip(assets, haircut_values, strict=True) if v]
    assert held == [c.bond.address.lower()] and total == sum(haircut_values)
    ghost = {
        "holders": holders,
        "cash_holders": cash_holders,
        "bal": {n: r[f"bal:{n}"] for n in holders},
        "cash": {n: r[f"cash:{n}"] for n in cash_holders},
        "supply": r["supply"],
        "allow": {},
        "nonces": {n: r[f"nonce:{n}"] for n in CORE_ACTORS},
        "frozen": set(),
        "frozen_balance": {},
        "paused": r["paused"],
        "price": answer,
        "updated_at": updated_at,
        "rounds": rounds,
        "window": r["window"],
        "max_reports": r["max_reports"],
        "cap_bps": cap_bps,
        "heartbeat": heartbeat,
        "haircut_bps": haircut_bps,
        "feed_decimals": r["feed_decimals"],
        "max_deviation_bps": r["max_deviation"],
        "bond_balance": r["bonds"],
        "min_ratio": r["min_ratio"],
        "allowance": r["allowance"],
        "fee_bps": r["fee"],
        "cash_unit": r["cash_unit"],
        "used_ids": {setup_id},
        "executions": Counter({setup_id: 1}),
        "redeem_ids": set(),
        "chain_id": ape.chain.chain_id,
        "coin_name": r["name"],
        "governor_delay": config.governor_delay,
    }
    assert ghost["supply"] == sum(ghost["bal"].values())
    fingerprint = {
        "supply": (c.coin, "totalSupply"),
        "alice": (c.coin, "balanceOf", alice.address),
        "paused": (c.coin, "pausedFlags"),
        "feed": (c.feed, "latestRoundData"),
        "exchange_cash": (c.cash, "balanceOf", exchange.address),
        "frozen": (c.coin, "frozen", alice.address),
        "nonce": (c.coin, "nonces", alice.address),
    }
    signers = {a.address: a for a in (exchange, alice, bob, mallory, burner)}
    ctx = Ctx(chain, c, who, signers, fingerprint, ghost=ghost)
    _run(CoreMachine, ctx)


def test_ladder_invariants(
    system,
    chain_driver,
    config,
    bond,
    accounts,
    investors,
    make_series,
    minter,
    guardian,
    compliance,
    reporter,
    governor,
    exchange,
    mallory,
    central_bank,
    vault_manager,
    reserve_manager,
    debt_office,
    deployer,
):
    """LadderMachine: the T-bill vault and the reserve's vault-share collateral."""
    chain = chain_driver
    alice, bob = investors
    reserve = system.reserve
    treasury = accounts[16]
    c = _handles(chain, system, bond)
    # Set-up (the conftest fixtures through ape, the rest through the driver): the reserve's
    # only collateral becomes vault shares bought by a treasury; investors hold shares; a
    # 3-bill ladder, the first bill repaid in full; coins minted against the shares.
    bonds = chain.call(c.bond, "balanceOf", c.reserve.address)
    _setup_send(
        chain,
        reserve_manager,
        c.reserve,
        "withdrawCollateral",
        c.bond.address,
        reserve_manager.address,
        bonds,
    )
    kyc = text_to_bytes32("KYC-TREASURY")
    _setup_send(chain, compliance, c.vault, "setAllowlisted", treasury.address, True, kyc)
    _setup_send(chain, central_bank, c.cash, "mint", treasury.address, 1_000_000 * CASH)
    _setup_send(chain, treasury, c.cash, "approve", c.vault.address, MAX_UINT)
    for who, owner, amount in (
        (treasury, reserve, 1_000_000),
        (alice, alice, 300_000),
        (bob, bob, 200_000),
    ):
        _setup_send(chain, who, c.vault, "deposit", amount * CASH, owner.address)
    model = LadderModel(scale=10 ** (18 - 6))
    model.deposit(chain.call(c.vault, "idleCash"))
    bills = []
    for code, days, price, amount in (
        ("L-2D", 2, 999_000, 300_000 * CASH),
        ("L-7D", 7, 998_000, 300_000 * CASH),
        ("L-30D", 30, 990_000, 400_000 * CASH),
    ):
        offered = 2_000_000 * CASH
        series = make_series(code, days, price=price, offered=offered)
        out = _setup_send(chain, vault_manager, c.vault, "buy", series.address, amount, price)
        model.buy(series.address, amount, price, SeriesState.read(series), out.timestamp)
        bill = Bill(
            code,
            chain.contract(series.address, "TBillSeries"),
            series.maturity(),
            price,
            offered - amount,
        )
        assert series.GRACE_PERIOD() == GRACE_PERIOD and series.graceEnd() == bill.grace_end
        # The treasury funds repayment pools through fundRepayment.
        _setup_send(chain, treasury, c.cash, "approve", series.address, MAX_UINT)
        bills.append(bill)
    _setup_send(chain, central_bank, c.cash, "mint", bills[0].contract.address, 300_000 * CASH)
    setup_id = text_to_bytes32("LADDER-SETUP")
    _setup_send(chain, minter, c.reserve, "mint", exchange.address, 700_000 * WAD, setup_id)
    who = _who(
        system,
        minter=minter,
        guardian=guardian,
        compliance=compliance,
        reporter=reporter,
        governor=governor,
        exchange=exchange,
        alice=alice,
        bob=bob,
        mallory=mallory,
        central_bank=central_bank,
        vault_manager=vault_manager,
        debt_office=debt_office,
        treasury=treasury,
        proceeds=deployer,
    )
    share_holders = ("alice", "bob", "mallory", "treasury", "reserve")
    cash_holders = (
        "alice",
        "bob",
        "mallory",
        "treasury",
        "reserve",
        "vault",
        "proceeds",
        "exchange",
    )
    # The starting state, read in one batch (each ape view call costs ~25 ms). Every example
    # starts by checking the NAV against the model (the invariants run after __init__).
    v = c.vault
    calls = {f"sh:{n}": (v, "balanceOf", getattr(who, n)) for n in share_holders}
    calls.update({f"listed:{n}": (v, "isAllowlisted", getattr(who, n)) for n in INVESTORS})
    calls.update(
        {f"allow:{n}": (c.cash, "allowance", getattr(who, n), v.address) for n in INVESTORS}
    )
    calls.update(
        shares=(v, "totalSupply"),
        paused=(v, "pausedFlags"),
        decimals=(v, "decimals"),
        cash_decimals=(c.cash, "decimals"),
        coin_supply=(c.coin, "totalSupply"),
        coin_exchange=(c.coin, "balanceOf", exchange.address),
        min_ratio=(c.reserve, "minCollateralRatioWad"),
        config=(c.reserve, "collateralConfig", v.address),
    )
    r = chain.read(calls)
    ghost = {
        "model": model,
        "bills": bills,
        "share_holders": share_holders,
        "cash_holders": cash_holders,
        "shares": {n: r[f"sh:{n}"] for n in share_holders},
        "share_supply": r["shares"],
        "listed": {n: r[f"listed:{n}"] for n in INVESTORS},
        "cash_allowance": {n: r[f"allow:{n}"] for n in INVESTORS},
        "frozen": set(),
        "frozen_shares": {},
        "vault_paused": r["paused"],
        "coin_supply": r["coin_supply"],
        "coin_exchange": r["coin_exchange"],
        "min_ratio": r["min_ratio"],
        "used_ids": {setup_id},
        "one_share": 10 ** r["decimals"],
        "share_decimals": r["decimals"],
        "nav_to_wad": 10 ** (18 - r["cash_decimals"]),
        "share_haircut_bps": r["config"][2],
        "governor_delay": config.governor_delay,
    }
    fingerprint = {
        "nav": (c.vault, "totalAssets"),
        "entry": (c.vault, "entryAssets"),
        "shares": (c.vault, "totalSupply"),
        "coin_supply": (c.coin, "totalSupply"),
        "series": (c.registry, "allSeries"),
        "paused": (c.vault, "pausedFlags"),
        "alice": (c.vault, "balanceOf", alice.address),
        "listed": (c.vault, "isAllowlisted", mallory.address),
    }
    ctx = Ctx(chain, c, who, {}, fingerprint, ghost=ghost)
    _run(LadderMachine, ctx)
