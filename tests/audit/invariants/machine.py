"""What both invariant machines share: ``Ctx`` (what a machine gets from its test) and
``ChainMachine`` (per-example isolation, outcome checking, governed calls, the count of
under-collateralized states), with the reserve's water-filling rule and instruction ids.

Isolation: every hypothesis example runs inside ``ape.chain.isolate()``, entered in the
machine's ``__init__`` and left in ``teardown()`` (hypothesis calls it even when a step
fails). ape 0.8.51's ``isolate()`` swallows any exception raised inside a ``with`` block,
so it never wraps assertions here: its ``__exit__`` only ever runs with no exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import ape
from hypothesis.stateful import RuleBasedStateMachine

from sovereign.units import BPS, WAD, text_to_bytes32
from tests.audit.invariants.driver import Chain, Contract, Outcome, Reverted, Stats, norm
from tests.utils.constants import ZERO_ID


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
                assert out.args == norm(args_), f"{what}: {name} args {out.args} != {args_}"
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


def pick_id(machine, kind: str, used: set, prefix: str) -> bytes:
    if kind == "zero":
        return ZERO_ID
    if kind == "replay" and used:
        return sorted(used)[machine._moves % len(used)]
    machine._id_counter += 1
    return text_to_bytes32(f"{prefix}-{machine._id_counter}")
