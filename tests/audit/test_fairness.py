"""Fairness of a T-bill series whose repayment pool runs short, and of the vault's lot of it.

The properties, in plain words:

1. **Full pool: face for everyone.** From maturity on, while the pool repays every
   outstanding bill at face, every redemption pays exactly face (amount x faceValue,
   rounded down), whoever redeems first, and the pool stays able to repay the rest.
2. **Short pool during the grace period: nobody is paid.** From maturity until
   maturity + 3 days (graceEnd), a pool short of the outstanding face pays no one: every
   redemption, the vault's included, reverts with
   TBillRepaymentShort(owed, available, graceEnd), and markDefault reverts with
   TBillInGracePeriod(now, graceEnd). The treasury may still cure the pool.
3. **Short pool after the grace period: the same fraction for everyone.** The first
   redemption (or anyone's markDefault) from a short pool at or after graceEnd records the
   default; the ghost state records the pool P0 and the supply S0 at that moment. From then
   on every redemption of a amount pays p with

       floor(a*P0/S0) <= p <= floor(a*P0/S0) + k

   where k is the number of pro-rata redemptions before it: the fraction paid per bill is
   the same for every holder, up to rounding, whoever redeems first, in whatever pieces.
   The series now fixes the recovery rate at the default (defaultPool/defaultSupply), so
   the tests also assert the tightest form, p = floor(a*P0/S0) exactly (k plays no part).
   Funding after the default is refused (TBillPoolClosed); cash that reaches the pool by a
   plain ERC-20 transfer (which nothing can refuse) pays no later redeemer more, and
   sweepSurplus returns what the rate does not owe the remaining bills to the treasury,
   leaving exactly ceil(S*P0/S0) (TBillNotDefaulted before the default,
   TBillNothingToPay(0) with no surplus).
4. **The vault is one more holder.** The T-bill vault holds a lot of the same series beside
   the direct holders: its redeemMatured is paid by the same rule (refused in the grace
   period, the same bound after the default), and from maturity on its totalAssets()
   counts the lot at exactly series.redemptionValue(lot amount), which is what a
   redemption by the vault would pay at that moment (checked by simulating it); a
   successful redeemMatured therefore leaves totalAssets() unchanged. Its entry NAV
   counts the lot at face until the default, then at the same redemptionValue.

Why the bound (brief: floor(a*P0/S0) <= p <= floor(a*P0/S0) + k + 1), and why it is + k.
It is the bound for any rule that pays each redemption at most its share of the current
pool, p_j <= floor(a_j*P_j/S_j), and at least floor(a_j*P0/S0) (the fixed rate does both:
p_j = floor(a_j*P0/S0)). Let r = P0/S0 and, after j pro-rata redemptions, P_j, S_j the pool
and the supply and E_j = P_j - r*S_j the pool's excess over r per outstanding bill
(E_0 = 0), with no cash added after the default.
 (i)  E_j >= 0: p_j <= a_j*P_j/S_j = a_j*r + a_j*E_j/S_j, so
      E_{j+1} = E_j + r*a_j - p_j >= E_j*(S_j - a_j)/S_j >= 0.
 (ii) E_j < j: p_j >= floor(a_j*r) > r*a_j - 1, so E_{j+1} < E_j + 1.
 (iii) p_k <= floor(a_k*r + a_k*E_k/S_k) <= floor(a_k*r + E_k) (a_k <= S_k); for k = 0 that
      is floor(a_k*r); for k >= 1, a_k*r + E_k < a_k*r + k < floor(a_k*r) + 1 + k, so
      p_k <= floor(a_k*r) + k.
 The ghost checks (i) and (ii) after every step (0 <= pool - P0*S/S0 < k while no cash
 came in after the default), so whatever stays in the pool after the last redemption is
 below r*S + k. With the fixed rate, Sum p_j <= r*Sum a_j <= P0: the pool never runs dry.
 A full pool stays full: paying floor(a*f) (f = face per token unit) lowers the owed
 ceil(S*f) by at least floor(a*f), since ceil(x - y) <= ceil(x) - floor(y).

The state machine (FairnessMachine) sets up, per example: one of three series (6 decimals
at face 1.00; 18 decimals at face 1.00, so that face and pro-rata shares round; 0
decimals at face 1.000003 per bill, so that a token unit is worth about a million cash
units), up to five direct holders with random amounts bought at auction, a vault lot
bought by the vault manager, and a pool funded at a random fraction of face (0, 1/2, one
unit short, exactly full, random in [0, 6/5]). It then fires, in random order: transfers
between holders, time travel (to maturity - 1, maturity, the grace period, graceEnd - 1,
graceEnd, and beyond, or the next of those instants), redemptions of all, part, one unit,
too much or nothing, the vault's redeemMatured, funding (cure, cure - 1, random, zero;
before and after the default), cash sent by plain transfer (before and after the
default), sweepSurplus and markDefault. Every outcome (payout, or the exact custom error
and its values) is predicted from the ghost state and compared with the chain; after
every step the ghost (pool, supply, default and its P0/S0, every bill and cash balance)
must equal the chain, and the vault's NAV rule must hold. Two @given tests redeem
everything in a random order after the grace period (short pool) and from a full pool;
two named tests reproduce the reported case and cash sent to a defaulted series.

Each example runs inside isolated() (tests/utils/audit.py). A JSON summary (examples,
steps, outcomes, checks, the largest excess over floor(a*P0/S0) seen) goes to
reports/fairness-<profile>.json.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from fractions import Fraction
from types import SimpleNamespace

import ape
import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from sovereign.limits import GRACE_PERIOD
from tests.utils import ref
from tests.utils.audit import isolated, mine_at, read, revert_of, rpc, send, write_report
from tests.utils.constants import CASH, DAY, MAX, PROFILE

pytestmark = pytest.mark.xdist_group("audit-fairness")

TERM_DAYS = 30
HOLDER_INDEXES = (13, 14, 16, 17, 18)  # alice, bob and three more test accounts
INVESTOR_INDEX = 19  # the vault's depositor (its cash pays for the vault's lot)


# ====================================================================== terms and ghost


@dataclass(frozen=True)
class Terms:
    code: str
    decimals: int
    face: int  # cash units per whole bill
    price: int  # auction price, cash units per whole bill

    @property
    def unit(self) -> int:
        return 10**self.decimals

    def at_face(self, amount: int) -> int:
        return amount * self.face // self.unit

    def owed(self, supply: int) -> int:  # outstandingFace(): rounded up
        return -(-supply * self.face // self.unit)

    def cost(self, amount: int) -> int:  # quote(): rounded up
        return -(-amount * self.price // self.unit)


TERMS = (
    Terms("FAIR-6", 6, 1_000_000, 980_000),
    Terms("FAIR-18", 18, 1_000_000, 990_000),
    Terms("FAIR-0", 0, 1_000_003, 950_000),
)


class Stats:
    """What the file ran and checked, for reports/fairness-<profile>.json."""

    def __init__(self):
        self.examples = Counter()
        self.steps = Counter()
        self.rules = Counter()
        self.outcomes = defaultdict(Counter)
        self.checks = Counter()
        self.max_excess = 0  # largest p - floor(a*P0/S0) seen
        self.max_k = 0
        self.seconds = {}

    def outcome(self, op: str, result: str) -> None:
        self.outcomes[op][result] += 1

    def as_json(self) -> dict:
        return {
            "profile": PROFILE,
            "examples": dict(self.examples),
            "examples_total": sum(v for k, v in self.examples.items() if "(started)" not in k),
            "steps": dict(self.steps),
            "rules": dict(sorted(self.rules.items())),
            "outcomes": {k: dict(sorted(v.items())) for k, v in sorted(self.outcomes.items())},
            "checks": dict(sorted(self.checks.items())),
            "checks_total": sum(self.checks.values()),
            "largest_excess_over_floor_a_P0_over_S0": self.max_excess,
            "largest_k": self.max_k,
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


STATS = Stats()


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    write_report("fairness", STATS.as_json())


@pytest.fixture(autouse=True)
def _timed(request):
    start = time.monotonic()
    yield
    STATS.seconds[request.node.name] = time.monotonic() - start


def now() -> int:
    """The latest block's timestamp (what an eth_call sees)."""
    return int(rpc("eth_getBlockByNumber", ["latest", False])["result"]["timestamp"], 16)


# ====================================================================== the world


@pytest.fixture(scope="module")
def book(project, system, accounts, deployer, central_bank, compliance, debt_office):
    """Three series (TERMS), auctions open, maturing TERM_DAYS from now; five holders with
    100,000,000 cash each approved to every series; the funder (the treasury, which also
    receives the auction proceeds) likewise; the vault holding 20,000,000 idle cash of an
    investor's deposit."""
    cash, vault, registry = system.cash, system.vault, system.registry
    holders = [accounts[i].address for i in HOLDER_INDEXES]
    investor = accounts[INVESTOR_INDEX].address
    funder = registry.treasury()
    assert funder == deployer.address
    issued = ape.chain.pending_timestamp
    maturity = issued + TERM_DAYS * DAY
    series = []
    for t in TERMS:
        send(
            registry.createSeries, t.code, t.decimals, t.face, issued, maturity, sender=debt_office
        )
        s = project.TBillSeries.at(registry.seriesByCode(t.code))
        # 10^10 of face per series: more than the holders' cash buys, inside BILLS' ceiling.
        offered = 10**10 * CASH * 10**t.decimals // t.face
        send(registry.openAuction, s, t.price, offered, sender=debt_office)
        series.append(s)
    for who in (*holders, funder):
        send(cash.mint, who, 100_000_000 * CASH, sender=central_bank)
        for s in series:
            send(cash.approve, s, MAX, sender=who)
    send(vault.setAllowlisted, investor, True, ref("KYC-FAIR"), sender=compliance)
    send(cash.mint, investor, 20_000_000 * CASH, sender=central_bank)
    send(cash.approve, vault, MAX, sender=investor)
    send(vault.deposit, 20_000_000 * CASH, investor, sender=investor)
    assert all(s.maturity() == maturity for s in series)
    return SimpleNamespace(
        system=system, cash=cash, vault=vault, series=series, holders=holders, funder=funder,
        maturity=maturity, grace_end=maturity + GRACE_PERIOD,
    )  # fmt: skip


@dataclass
class Ghost:
    terms: Terms
    bills: dict  # address -> series balance (the holders and the vault)
    cash: dict  # address -> cash balance (the holders, the vault's idle cash, the funder)
    pool: int = 0
    supply: int = 0
    lot: int = 0  # the vault's lot of the series, while it holds it
    lot_face: int = 0
    lot_cost: int = 0
    defaulted: bool = False
    p0: int | None = None  # pool at the default
    s0: int | None = None  # supply at the default
    k: int = 0  # pro-rata redemptions since the default
    added_after_default: bool = False  # cash sent by plain transfer since the default


@dataclass(frozen=True)
class Err:
    name: str
    inputs: dict


class Market:
    """One example's series, holders and vault lot: operations predicted from the ghost
    state, compared with the chain, and the fairness checks."""

    def __init__(self, book, which: int):
        self.b = book
        self.terms = TERMS[which]
        self.series = book.series[which]
        self.vault = book.vault.address
        self.g = Ghost(
            self.terms,
            bills={a: 0 for a in (*book.holders, self.vault)},
            cash={
                a: read(book.cash.balanceOf, a) for a in (*book.holders, self.vault, book.funder)
            },
            pool=read(self.series.pool),
            supply=read(self.series.totalSupply),
        )
        assert self.g.pool == 0 and self.g.supply == 0

    # ------------------------------------------------------------------ set-up

    def buy(self, holder: str, amount: int) -> None:
        if amount == 0:
            return
        cost = self.terms.cost(amount)
        send(self.series.buy, amount, self.terms.price, sender=holder)
        self.g.bills[holder] += amount
        self.g.cash[holder] -= cost
        self.g.cash[self.b.funder] += cost  # the proceeds go to the treasury
        self.g.supply += amount

    def vault_buy(self, amount: int) -> bool:
        t = self.terms
        cost, face = t.cost(amount), t.at_face(amount)
        if amount == 0 or cost >= face:
            return False  # VaultNotADiscount: no lot for this example
        send(
            self.b.vault.buy,
            self.series,
            amount,
            t.price,
            sender=self.b.system.holders.vault_manager,
        )
        g = self.g
        g.bills[self.vault] += amount
        g.cash[self.vault] -= cost
        g.cash[self.b.funder] += cost
        g.supply += amount
        g.lot, g.lot_face, g.lot_cost = amount, face, cost
        return True

    # ------------------------------------------------------------------ predictions

    def value(self, amount: int) -> int:
        """redemptionValue(amount) after maturity, from the ghost state."""
        g, t = self.g, self.terms
        if g.defaulted:
            return amount * g.p0 // g.s0  # the recovery rate fixed at the default
        if g.pool >= t.owed(g.supply):
            return t.at_face(amount)
        return amount * g.pool // g.supply  # short: what a default now would pay

    def expect_redeem(self, who: str, amount: int, ts: int):
        """(payout, records_default) or Err, for series.redeem(amount) by `who` at `ts`."""
        g, b = self.g, self.b
        if ts < b.maturity:
            return Err("TBillNotMatured", {"nowTs": ts, "maturity": b.maturity})
        if amount == 0:
            return Err("TBillZeroAmount", {})
        held = g.bills[who]
        if amount > held:
            return Err(
                "ERC20InsufficientBalance", {"sender": who, "balance": held, "needed": amount}
            )
        records = False
        owed = self.terms.owed(g.supply)
        if not g.defaulted and g.pool < owed:
            if ts < b.grace_end:
                return Err(
                    "TBillRepaymentShort",
                    {"owed": owed, "available": g.pool, "graceEnd": b.grace_end},
                )
            records = True
        payout = self.value(amount)  # recording a default: floor(a*P0/S0) too
        if payout == 0:
            return Err("TBillNothingToPay", {"amount": amount})
        return payout, records

    @staticmethod
    def check_revert(op: str, expected: Err, method, *args, by) -> None:
        got = revert_of(method, *args, by=by)
        assert (
            got is not None
        ), f"{op}: expected {expected.name}{expected.inputs}, the call succeeds"
        assert (
            got.name == expected.name
        ), f"{op}: expected {expected.name}{expected.inputs}, got {got.name}{got.inputs}"
        for key, value in expected.inputs.items():
            assert (
                got.inputs[key] == value
            ), f"{op}: {got.name}.{key} = {got.inputs[key]} != {value}"
        STATS.outcome(op, expected.name)
        if expected.name == "TBillRepaymentShort":
            STATS.checks["grace: a short pool pays nobody (TBillRepaymentShort)"] += 1

    # ------------------------------------------------------------------ operations

    def redeem(self, who: str, amount: int) -> int | None:
        """A direct holder's redemption; returns the payout (None when refused)."""
        ts = now()
        expected = self.expect_redeem(who, amount, ts)
        if isinstance(expected, Err):
            self.check_revert("redeem", expected, self.series.redeem, amount, by=who)
            return None
        payout, records = expected
        assert revert_of(self.series.redeem, amount, by=who) is None
        # redemptionValue is what this redemption pays (in the grace period of a short
        # pool it already names the pro-rata share a default would pay).
        assert read(self.series.redemptionValue, amount) == payout
        before = read(self.b.cash.balanceOf, who)
        send(self.series.redeem, amount, sender=who)
        got = read(self.b.cash.balanceOf, who) - before
        assert got == payout, f"redeem {amount}: paid {got}, the series' rule gives {payout}"
        self._settle(who, amount, got, records)
        STATS.outcome("redeem", "ok")
        return got

    def vault_redeem(self) -> int | None:
        """The vault's redeemMatured of its lot (index 0: the only lot)."""
        g, b = self.g, self.b
        ts = now()
        vault, manager = b.vault, b.system.holders.vault_manager
        if g.lot == 0 or ts < b.maturity:
            self.check_revert(
                "vault.redeemMatured",
                Err("VaultNoMaturedLot", {"index": 0}),
                vault.redeemMatured,
                0,
                by=manager,
            )
            return None
        expected = self.expect_redeem(self.vault, g.lot, ts)
        if isinstance(expected, Err):
            self.check_revert("vault.redeemMatured", expected, vault.redeemMatured, 0, by=manager)
            return None
        payout, records = expected
        nav_before = read(vault.totalAssets)
        counted = read(self.series.redemptionValue, g.lot)
        idle_before = read(vault.idleCash)
        send(vault.redeemMatured, 0, sender=manager)
        got = read(vault.idleCash) - idle_before
        assert got == payout, f"vault lot {g.lot}: paid {got}, the series' rule gives {payout}"
        # It was counted at exactly what it was paid: the exit NAV does not move.
        assert counted == got
        assert read(vault.totalAssets) == nav_before
        STATS.checks["vault: redeemMatured pays what totalAssets counted"] += 1
        lot = g.lot
        g.lot = 0
        self._settle(self.vault, lot, got, records)
        STATS.outcome("vault.redeemMatured", "ok")
        return got

    def _settle(self, who: str, amount: int, payout: int, records: bool) -> None:
        """Ghost update after a paid redemption, and the fairness checks."""
        g, t = self.g, self.terms
        if records:
            assert not g.defaulted
            g.defaulted, g.p0, g.s0, g.k = True, g.pool, g.supply, 0
            STATS.checks["default recorded by the first redemption after grace"] += 1
        if g.defaulted:
            lower = amount * g.p0 // g.s0
            assert lower <= payout <= lower + g.k, (
                f"{who} redeemed {amount} after the default (P0={g.p0}, S0={g.s0}, k={g.k}): paid "
                f"{payout}, outside [{lower}, {lower + g.k}]"
            )
            assert payout <= t.at_face(amount)
            assert payout == lower, f"the fixed recovery rate pays {lower}, paid {payout}"
            STATS.checks["after default: floor(a*P0/S0) <= p <= floor(a*P0/S0) + k"] += 1
            STATS.max_excess = max(STATS.max_excess, payout - lower)
            STATS.max_k = max(STATS.max_k, g.k)
            g.k += 1
        else:
            assert payout == t.at_face(
                amount
            ), f"full pool: {amount} paid {payout}, face {t.at_face(amount)}"
            STATS.checks["full pool: exactly face"] += 1
        g.bills[who] -= amount
        g.supply -= amount
        g.pool -= payout
        g.cash[who] += payout
        if not g.defaulted:
            assert g.pool >= t.owed(g.supply)  # a full pool stays full

    def transfer(self, src: str, dst: str, amount: int) -> None:
        send(self.series.transfer, dst, amount, sender=src)
        self.g.bills[src] -= amount
        self.g.bills[dst] += amount
        STATS.outcome("transfer", "ok")

    def fund(self, amount: int, *, count: bool = True) -> None:
        g, b = self.g, self.b
        if amount == 0:
            expected = Err("TBillZeroAmount", {})
        elif g.defaulted:
            expected = Err("TBillPoolClosed", {})
        else:
            expected = None
        if expected is not None:
            self.check_revert(
                "fundRepayment", expected, self.series.fundRepayment, amount, by=b.funder
            )
            if expected.name == "TBillPoolClosed":
                STATS.checks["after default: funding refused (TBillPoolClosed)"] += 1
            return
        send(self.series.fundRepayment, amount, sender=b.funder)
        g.pool += amount
        g.cash[b.funder] -= amount
        if count:
            STATS.outcome("fundRepayment", "ok")

    def donate(self, amount: int) -> None:
        """Cash sent to the series by a plain transfer (the treasury's, here)."""
        g, b = self.g, self.b
        send(b.cash.transfer, self.series, amount, sender=b.funder)
        g.pool += amount
        g.cash[b.funder] -= amount
        if g.defaulted and amount:
            g.added_after_default = True
        STATS.outcome("cash.transfer to the series", "ok")

    def sweep(self, caller: str) -> None:
        g, b = self.g, self.b
        if not g.defaulted:
            self.check_revert(
                "sweepSurplus", Err("TBillNotDefaulted", {}), self.series.sweepSurplus, by=caller
            )
            return
        owed = -(-g.supply * g.p0 // g.s0)
        surplus = g.pool - owed
        if surplus <= 0:
            self.check_revert(
                "sweepSurplus",
                Err("TBillNothingToPay", {"amount": 0}),
                self.series.sweepSurplus,
                by=caller,
            )
            return
        send(self.series.sweepSurplus, sender=caller)
        g.pool -= surplus
        g.cash[b.funder] += surplus  # the treasury (proceedsRecipient)
        g.added_after_default = False  # the pool is back to ceil(S*P0/S0): E < 1 <= k or E = 0
        assert g.pool == owed
        STATS.checks["sweepSurplus leaves exactly ceil(S*P0/S0)"] += 1
        STATS.outcome("sweepSurplus", "ok")

    def mark_default(self) -> None:
        g, b, t = self.g, self.b, self.terms
        ts = now()
        owed = t.owed(g.supply)
        if ts < b.grace_end:
            expected = Err("TBillInGracePeriod", {"nowTs": ts, "graceEnd": b.grace_end})
        elif g.defaulted:
            expected = Err("TBillAlreadyDefaulted", {})
        elif g.pool >= owed:
            expected = Err("TBillFullyFunded", {"owed": owed, "available": g.pool})
        else:
            expected = None
        if expected is not None:
            self.check_revert("markDefault", expected, self.series.markDefault, by=b.funder)
            return
        send(self.series.markDefault, sender=b.funder)
        g.defaulted, g.p0, g.s0, g.k = True, g.pool, g.supply, 0
        STATS.outcome("markDefault", "ok")

    # ------------------------------------------------------------------ invariants

    def check(self) -> None:
        """The ghost equals the chain, and the vault's NAV rule."""
        g, b, s = self.g, self.b, self.series
        assert read(s.totalSupply) == g.supply == sum(g.bills.values())
        assert read(s.pool) == g.pool
        assert read(s.defaulted) == g.defaulted
        for who, held in g.bills.items():
            assert read(s.balanceOf, who) == held, who
        for who, amount in g.cash.items():
            assert read(b.cash.balanceOf, who) == amount, who
        vault = b.vault
        ts = now()
        idle = read(vault.idleCash)
        nav, entry = read(vault.totalAssets), read(vault.entryAssets)
        assert idle == g.cash[self.vault]
        if g.lot == 0:
            assert nav == entry == idle
        elif ts < b.maturity:
            assert idle + g.lot_cost <= nav <= entry <= idle + g.lot_face  # accruing, no markdown
        else:
            value = read(s.redemptionValue, g.lot)
            assert value == self.value(g.lot)
            assert (
                nav == idle + value
            ), f"vault NAV {nav} != idle {idle} + redemptionValue(lot) {value}"
            assert entry == idle + (value if g.defaulted else g.lot_face)
            STATS.checks["vault: totalAssets counts the lot at redemptionValue(lot)"] += 1
            simulated = revert_of(s.redeem, g.lot, by=self.vault)
            if simulated is None:
                assert read(s.redeem, g.lot, by=self.vault) == value
                STATS.checks["vault: redemptionValue(lot) is what redeeming now pays"] += 1
            else:
                assert simulated.name in ("TBillRepaymentShort", "TBillNothingToPay"), simulated
        if g.defaulted:
            assert (read(s.defaultPool), read(s.defaultSupply)) == (g.p0, g.s0)
            # Proof steps (i) and (ii): 0 <= E = P - P0*S/S0, and E < k without cash added.
            excess = Fraction(g.pool) - Fraction(g.p0 * g.supply, g.s0)
            assert 0 <= excess, excess
            if not g.added_after_default:
                assert excess < g.k or g.k == 0 and excess == 0, excess
            STATS.checks["after default: 0 <= pool - P0*S/S0 (< k)"] += 1


# ====================================================================== strategies

FUNDING = st.one_of(
    st.sampled_from(["zero", "half", "one short", "full", "six fifths"]),
    st.fractions(0, Fraction(6, 5), max_denominator=10_000),
)
START = st.sampled_from(["before", "maturity", "in grace", "graceEnd - 1", "graceEnd", "later"])


def amounts(terms: Terms, low: int = 0):
    """A holding: zero, a few units, or up to 2,000 whole bills (with a remainder)."""
    top = 2_000 * terms.unit
    return st.one_of(
        st.just(low), st.integers(max(low, 1), max(low, 1) + 5), st.integers(max(low, 1), top)
    )


def funding_amount(owed: int, how) -> int:
    if isinstance(how, Fraction):
        return int(owed * how)
    return {
        "zero": 0,
        "half": owed // 2,
        "one short": max(owed - 1, 0),
        "full": owed,
        "six fifths": owed * 6 // 5,
    }[how]


def instant(book, where: str, extra: int) -> int:
    return {
        "maturity - 1": book.maturity - 1,
        "maturity": book.maturity,
        "in grace": book.maturity + extra % GRACE_PERIOD,
        "graceEnd - 1": book.grace_end - 1,
        "graceEnd": book.grace_end,
        "graceEnd + 1": book.grace_end + 1,
        "later": book.grace_end + extra,
    }[where]


def go(ts: int) -> None:
    """Mine a block at `ts` (or now, if `ts` is in the past)."""
    mine_at(max(ts, now()))


def set_up(market: Market, holdings, lot: int, how) -> None:
    for holder, amount in zip(market.b.holders, holdings, strict=True):
        market.buy(holder, amount)
    market.vault_buy(lot)
    amount = funding_amount(market.terms.owed(market.g.supply), how)
    if amount:
        market.fund(amount, count=False)


# ====================================================================== the state machine


class FairnessMachine(RuleBasedStateMachine):
    """Random holders, transfers, time travel, funding, redemptions and markDefault on one
    series with a vault lot; every outcome predicted, every payout checked (module doc)."""

    book = None  # the module's `book`, set by the test

    def __init__(self):
        super().__init__()
        self._iso = isolated()
        self._iso.__enter__()
        self.m: Market | None = None
        STATS.examples["FairnessMachine"] += 1

    def teardown(self):
        self._iso.__exit__(None, None, None)

    def _step(self, name: str) -> None:
        STATS.rules[name] += 1
        STATS.steps["FairnessMachine"] += 1

    @initialize(
        which=st.integers(0, len(TERMS) - 1),
        how=FUNDING,
        start=START,
        extra=st.integers(0, 40 * DAY),
        data=st.data(),
    )
    def set_up(self, which, how, start, extra, data):
        self.m = Market(self.book, which)
        t = self.m.terms
        holdings = [data.draw(amounts(t), label=f"holding {i}") for i in range(len(HOLDER_INDEXES))]
        lot = data.draw(st.integers(t.unit, 2_000 * t.unit), label="vault lot")
        set_up(self.m, holdings, lot, how)
        g = self.m.g
        note(f"{t.code}: holdings {holdings}, lot {g.lot}, pool {g.pool} for {t.owed(g.supply)}")
        if start != "before":
            go(instant(self.book, start, extra))
        self.m.check()

    @rule(
        where=st.sampled_from(
            [
                "maturity - 1",
                "maturity",
                "in grace",
                "graceEnd - 1",
                "graceEnd",
                "graceEnd + 1",
                "later",
            ]
        ),
        extra=st.integers(0, 60 * DAY),
    )
    def travel(self, where, extra):
        self._step("travel")
        go(instant(self.book, where, extra))

    @rule()
    def to_next_instant(self):
        self._step("to_next_instant")
        b, ts = self.book, now()
        for target in (b.maturity - 1, b.maturity, b.grace_end - 1, b.grace_end, b.grace_end + DAY):
            if target > ts:
                go(target)
                return
        go(ts + 30 * DAY)

    @rule(
        who=st.integers(0, len(HOLDER_INDEXES) - 1),
        how=st.sampled_from(["all", "part", "one", "over", "zero"]),
        frac=st.fractions(0, 1, max_denominator=1_000),
    )
    def redeem(self, who, how, frac):
        self._step("redeem")
        holder = self.book.holders[who]
        held = self.m.g.bills[holder]
        amount = {"all": held, "part": int(held * frac), "one": 1, "over": held + 1, "zero": 0}[how]
        self.m.redeem(holder, amount)

    @rule()
    def vault_redeem(self):
        self._step("vault_redeem")
        self.m.vault_redeem()

    @rule(
        src=st.integers(0, len(HOLDER_INDEXES) - 1),
        dst=st.integers(0, len(HOLDER_INDEXES) - 1),
        frac=st.fractions(0, 1, max_denominator=1_000),
    )
    def transfer(self, src, dst, frac):
        self._step("transfer")
        a, b = self.book.holders[src], self.book.holders[dst]
        self.m.transfer(a, b, int(self.m.g.bills[a] * frac))

    @rule(
        how=st.sampled_from(["cure", "cure - 1", "random", "zero"]),
        frac=st.fractions(0, 1, max_denominator=1_000),
    )
    def fund(self, how, frac):
        self._step("fund")
        g = self.m.g
        short = max(self.m.terms.owed(g.supply) - g.pool, 0)
        amount = {
            "cure": short,
            "cure - 1": max(short - 1, 0),
            "random": int(frac * 1_000 * CASH) + 1,
            "zero": 0,
        }[how]
        self.m.fund(amount)

    @rule()
    def mark_default(self):
        self._step("mark_default")
        self.m.mark_default()

    @rule(frac=st.fractions(0, 1, max_denominator=1_000))
    def send_cash(self, frac):
        """A plain cash transfer to the series: up to the whole outstanding face."""
        self._step("send_cash")
        self.m.donate(int(frac * self.m.terms.owed(self.m.g.supply)) + 1)

    @rule(who=st.integers(0, len(HOLDER_INDEXES) - 1))
    def sweep(self, who):
        self._step("sweep")
        self.m.sweep(self.book.holders[who])

    @invariant()
    def ghost_equals_chain(self):
        if self.m is not None:
            self.m.check()


def test_fairness_machine(book):
    """Fairness state machine: full pool pays face; a short pool pays nobody in the grace
    period; after it, every redemption (the vault's included) pays the same fraction of face
    up to rounding (floor(a*P0/S0) <= p <= floor(a*P0/S0) + k); funding after the default is
    refused; the vault counts its matured lot at exactly what the series would pay it."""
    FairnessMachine.book = book
    run_state_machine_as_test(FairnessMachine)


# ====================================================================== redeem everything


def tickets(data, market: Market, label: str) -> list:
    """Every holder's bills in one to three pieces, and the vault's lot, in a random order."""
    out = []
    for holder in market.b.holders:
        held = market.g.bills[holder]
        cuts = sorted(data.draw(st.lists(st.integers(0, held), max_size=2), label=f"{label} cuts"))
        pieces = [b - a for a, b in zip([0, *cuts], [*cuts, held], strict=True) if b > a]
        out += [(holder, p) for p in pieces]
    if market.g.lot:
        out.append(("vault", market.g.lot))
    return data.draw(st.permutations(out), label=f"{label} order")


def run_tickets(market: Market, order) -> list:
    """Redeem each piece in turn; returns the pieces refused."""
    refused = []
    for who, amount in order:
        got = market.vault_redeem() if who == "vault" else market.redeem(who, amount)
        if got is None:
            refused.append((who, amount))
        market.check()
    return refused


@given(
    which=st.integers(0, len(TERMS) - 1),
    short=st.fractions(0, 1, max_denominator=10_000),
    in_grace=st.integers(0, GRACE_PERIOD - 1),
    after=st.integers(0, 60 * DAY),
    mark=st.booleans(),
    data=st.data(),
)
def test_short_pool_everyone_gets_the_same_fraction_whoever_redeems_first(
    book, which, short, in_grace, after, mark, data
):
    """A pool funded at a fraction in [0, 1) of face: at maturity, at a random moment of the
    grace period and at graceEnd - 1 every redemption (the vault's too) is refused with
    TBillRepaymentShort; after graceEnd (optionally after markDefault) every holder redeems
    in one to three pieces, in a random order interleaved with the vault: each payout lies
    in [floor(a*P0/S0), floor(a*P0/S0) + k]; funding is then refused; what stays in the pool
    is below P0*S/S0 + k."""
    STATS.examples["short pool, random order (started)"] += 1
    with isolated():
        m = Market(book, which)
        t = m.terms
        holdings = [data.draw(amounts(t), label="holding") for _ in book.holders]
        if sum(holdings) == 0:
            holdings[0] = t.unit
        m.vault_buy(data.draw(st.integers(t.unit, 2_000 * t.unit), label="lot"))
        for holder, amount in zip(book.holders, holdings, strict=True):
            m.buy(holder, amount)
        owed = t.owed(m.g.supply)
        m.fund(min(int(owed * short), owed - 1), count=False)
        assert m.g.pool < owed
        for moment in (book.maturity, book.maturity + in_grace, book.grace_end - 1):
            go(moment)
            for holder in book.holders:
                if m.g.bills[holder]:
                    assert m.redeem(holder, m.g.bills[holder]) is None
            assert m.vault_redeem() is None
            m.mark_default()  # TBillInGracePeriod
            m.check()
        go(book.grace_end + after)
        if mark:
            m.mark_default()
        run_tickets(m, tickets(data, m, "redemptions"))
        if m.g.defaulted:
            m.fund(CASH)  # TBillPoolClosed
            assert m.g.pool < Fraction(m.g.p0 * m.g.supply, m.g.s0) + max(m.g.k, 1)
            STATS.checks[
                "after everyone redeemed: the pool keeps less than one unit per redemption"
            ] += 1
        STATS.examples["short pool, random order"] += 1


@given(
    which=st.integers(0, len(TERMS) - 1),
    over=st.fractions(0, Fraction(1, 5), max_denominator=10_000),
    when=st.integers(0, 60 * DAY),
    data=st.data(),
)
def test_full_pool_everyone_gets_exactly_face(book, which, over, when, data):
    """A pool funded at 100-120% of face: at any moment from maturity on (the grace period
    included) every holder and the vault, in a random order and in pieces, get exactly face;
    markDefault is refused (TBillInGracePeriod or TBillFullyFunded)."""
    STATS.examples["full pool, random order (started)"] += 1
    with isolated():
        m = Market(book, which)
        t = m.terms
        holdings = [data.draw(amounts(t), label="holding") for _ in book.holders]
        for holder, amount in zip(book.holders, holdings, strict=True):
            m.buy(holder, amount)
        m.vault_buy(data.draw(st.integers(t.unit, 2_000 * t.unit), label="lot"))
        owed = t.owed(m.g.supply)
        m.fund(owed + int(owed * over), count=False)
        go(book.maturity + when)
        m.mark_default()
        refused = run_tickets(m, tickets(data, m, "redemptions"))
        assert not m.g.defaulted
        # Only a piece worth less than one cash unit at face is refused (TBillNothingToPay).
        assert all(t.at_face(amount) == 0 for _, amount in refused), refused
        m.mark_default()  # fully funded, even with nothing outstanding
        STATS.examples["full pool, random order"] += 1


# ====================================================================== the reported case


def test_reported_case_pool_500_for_1000_pays_half_per_bill_to_everyone(book):
    """The reported case: 500 cash in the pool for 1,000 bills of face 1.00. Before, a
    400-bill holder redeemed first at face (400) and the other 600 bills shared 100. Now:
    during the grace period nobody gets anything (TBillRepaymentShort(1000, 500, graceEnd)),
    and after it the 400-bill holder, redeeming first, gets 200, and the other 600 bills
    (a holder redeeming 100 then 150, the vault's lot of 350) get 0.5 per bill too."""
    STATS.examples["reported case"] += 1
    alice, bob = book.holders[:2]
    with isolated():
        m = Market(book, 0)  # 6 decimals, face 1.00
        bill = m.terms.unit
        m.buy(alice, 400 * bill)
        m.buy(bob, 250 * bill)
        assert m.vault_buy(350 * bill)
        m.fund(500 * CASH, count=False)
        short = {"owed": 1_000 * CASH, "available": 500 * CASH, "graceEnd": book.grace_end}
        for moment in (book.maturity, book.maturity + DAY, book.grace_end - 1):
            go(moment)
            for who, amount in ((alice, 400 * bill), (bob, 250 * bill), (bob, 100 * bill)):
                got = revert_of(m.series.redeem, amount, by=who)
                assert (
                    got is not None and got.name == "TBillRepaymentShort" and got.inputs == short
                ), got
            got = revert_of(book.vault.redeemMatured, 0, by=book.system.holders.vault_manager)
            assert (
                got is not None and got.name == "TBillRepaymentShort" and got.inputs == short
            ), got
            # The vault's exit NAV counts the lot at what a default would pay it: 175.
            assert read(book.vault.totalAssets) == read(book.vault.idleCash) + 175 * CASH
            m.check()
        go(book.grace_end)
        assert m.redeem(alice, 400 * bill) == 200 * CASH  # first, and still only 0.5 per bill
        assert read(m.series.defaulted)
        assert m.redeem(bob, 100 * bill) == 50 * CASH
        assert read(book.vault.totalAssets) == read(book.vault.idleCash) + 175 * CASH
        assert m.vault_redeem() == 175 * CASH
        assert m.redeem(bob, 150 * bill) == 75 * CASH
        m.fund(100 * CASH)  # TBillPoolClosed
        m.check()
        assert m.g.pool == 0 and m.g.supply == 0
        STATS.checks["reported case: 0.5 per bill for all"] += 1


# ====================================================================== cash sent after the default


def test_cash_sent_to_a_defaulted_series_by_plain_transfer_pays_no_later_redeemer_more(book):
    """The pool closes to fundRepayment at the default (TBillPoolClosed), but a plain ERC-20
    transfer cannot be refused. Same start as the reported case (500 for 1,000 of face;
    alice redeems 400 after the grace period for 200); then 300 cash is transferred to the
    series: bob's 600 bills are still paid 300 (0.5 per bill, floor(a*P0/S0)), not 600, and
    sweepSurplus returns the 300 to the treasury. (Before the recovery rate was fixed at the
    default, bob was paid 600: 1.00 per bill against alice's 0.5.)"""
    STATS.examples["cash sent after default"] += 1
    alice, bob = book.holders[:2]
    with isolated():
        m = Market(book, 0)
        bill = m.terms.unit
        m.buy(alice, 400 * bill)
        m.buy(bob, 600 * bill)
        m.fund(500 * CASH, count=False)
        go(book.grace_end)
        m.sweep(bob)  # TBillNotDefaulted
        assert m.redeem(alice, 400 * bill) == 200 * CASH
        m.sweep(bob)  # TBillNothingToPay(0): the pool holds what the rate owes
        m.fund(300 * CASH)  # refused: TBillPoolClosed
        m.donate(300 * CASH)  # ...but this cannot be refused
        assert read(m.series.redemptionValue, 600 * bill) == 300 * CASH
        assert m.redeem(bob, 250 * bill) == 125 * CASH  # asserts p = floor(a*P0/S0)
        m.check()
        m.sweep(alice)  # returns the 300 to the treasury
        assert m.redeem(bob, 350 * bill) == 175 * CASH
        m.check()
        assert m.g.pool == 0 and m.g.supply == 0
