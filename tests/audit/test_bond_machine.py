"""Stateful invariants of coupon bond series: a hypothesis RuleBasedStateMachine drives one
of two series (created through a BondRegistry, each valued by a BondValueFeed) with four
holders, a treasury and an outsider, and checks every outcome and, after every step, the
chain against an independent Python model.

The two series (``VARIANTS``):
- A: 12.375% semi-annual ACT/ACT (ICMA), face 100.00 per whole token, 6 decimals, three
  coupons (2041-09-15 .. 2042-09-15), record date 15 days before each;
- B: 7.3% quarterly ACT/365F, face 1,000.000003 per whole token, 0 decimals (a token unit
  is worth a thousand cash), four coupons (2041-06-15 .. 2042-03-15), record date 10 days
  before each.

The model (``Book``) is written from the series' documented rules, not from its code: the
holders of coupon k are the balances at the instant record date k begins (a snapshot the
model takes when its clock first reaches that instant, before any transaction then);
a coupon pays floor(balance x coupon per token unit), is paid only once fully funded and
only from its payment date; accrued interest is face x rate x year fraction (ACT/ACT on
regular periods: days / (2 x days of the period); ACT/365F: days / 365), negative for the
days left from the record date on, rounded down (up in a quote); a default (30 days after
a payment date for a coupon short of funding, 3 days after maturity for a short principal
pool) makes the principal pool the recovery pool, paid at a fixed rate per token (P0 / S0),
and lets each part-funded coupon pay its record-date holders pro rata.

Rules: buy at the auction (any amount, past the offer too), transfer (part, all, more than
held), time travel (to a record date, one second before it, a payment date, the end of a
grace period, maturity, the end of the principal grace, or a few days on; ``advance`` goes
to the next of them), fund a coupon (in full, half, one unit short, twice what is owed),
claim (a holder's own or for another holder, by an outsider), ``claim_all``,
``fund_due_coupons`` and ``miss_a_coupon`` (half-fund a coupon, wait out its grace, record
the default), fund the principal (in full, half, one unit short), redeem (all, part, one
unit, more than held) and markDefault (any coupon or the principal). Every outcome, success
with its exact cash moves or the exact custom error with its values, is predicted by the
model first.

Invariants after every step:
1. per coupon, claimed <= funded <= owed, and funding, claims and owed equal the model;
2. every claim pays exactly floor(balanceAtRecord x coupon) once (a second is refused), and
   the claims of a coupon never sum above what it owes;
3. coupon rights do not move with later transfers: balanceAtRecord and supplyAtRecord of
   every holder and every record date passed equal the model's snapshot;
4. default fairness: every redemption after the default pays exactly floor(a x P0 / S0)
   (never more, and less only by the rounding down of one unit);
5. the series' cash balance equals principalPool + recoveryPool + sum(funded - claimed),
   so it is never below what it owes (no cash arrives other than through the series);
6. the BondValueFeed answer equals the model's valuation (clean plus accrued, less the
   registry's maturity haircut; the recovery rate in default; the pool per token, at most
   the redemption price, from the redemption date on; zero in a default recorded with no
   token left).

Speed: the steps go through tests/audit/invariants/driver.py's Chain (JSON-RPC straight to
Anvil, one batched read per step) with one-second blocks, so that each prediction knows
the timestamp its transaction will see (the latest block's plus one). Each example runs
inside isolated(). A JSON summary goes to reports/bond-machine-<profile>.json.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from math import ceil, floor
from types import SimpleNamespace

import ape
import pytest
from eth_utils import keccak
from hypothesis import note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from sovereign.bondterms import BondTerms, day_timestamp, rate_wad
from sovereign.roles import Role
from tests.audit.invariants.driver import Chain
from tests.bonds.test_bond_lifecycle import CODE, fresh
from tests.utils.audit import isolated, write_report
from tests.utils.bonds import deploy_bond_registry
from tests.utils.constants import DAY, MAX, PROFILE, WAD

pytestmark = pytest.mark.xdist_group("audit-bond-machine")

CASH = 10**6
COUPON_GRACE = 30 * DAY
PRINCIPAL_GRACE = 3 * DAY
HAIRCUTS = [200, 600, 1_000, 1_800, 2_500]
TIERS = [365 * DAY, 3 * 365 * DAY, 5 * 365 * DAY, 10 * 365 * DAY]
HOLDERS = ("alice", "bob", "carol", "dave")
HOLDER_INDEXES = (13, 14, 16, 18)
ANYONE = 15  # mallory: claims for others, records defaults
TREASURY = 17

VARIANTS = (
    BondTerms(
        name="Machine Bond A",
        isin="SLMACH0000A1",
        currency="SLL",
        decimals=6,
        face_value=100 * CASH,
        issue=dt.date(2041, 3, 15),
        first_coupon=dt.date(2041, 9, 15),
        maturity=dt.date(2042, 9, 15),
        frequency=2,
        day_count="ACT/ACT-ICMA",
        coupon_rate=Decimal("0.12375"),
        record_days=15,
    ),
    BondTerms(
        name="Machine Bond B",
        isin="SLMACH0000B1",
        currency="SLL",
        decimals=0,
        face_value=1_000 * CASH + 3,
        issue=dt.date(2041, 3, 15),
        first_coupon=dt.date(2041, 6, 15),
        maturity=dt.date(2042, 3, 15),
        frequency=4,
        day_count="ACT/365F",
        coupon_rate=Decimal("0.073"),
        record_days=10,
    ),
)
PRICES = (99 * CASH, 990 * CASH)  # the auctions' clean prices per whole token


def b32(text: str) -> bytes:
    return text.encode().ljust(32, b"\0")


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, day.day)  # the 15th: never clipped


@dataclass(frozen=True)
class Schedule:
    """A variant's dates and coupon factors, from its terms (regular periods only)."""

    terms: BondTerms
    price: int

    @property
    def one(self) -> int:
        return 10**self.terms.decimals

    @property
    def face(self) -> int:
        return self.terms.face_value

    @property
    def issue(self) -> int:
        return day_timestamp(self.terms.issue)

    @property
    def pays(self) -> list[int]:
        step = 12 // self.terms.frequency
        out, day = [], self.terms.first_coupon
        while day <= self.terms.maturity:
            out.append(day_timestamp(day))
            day = add_months(day, step)
        return out

    @property
    def starts(self) -> list[int]:
        return [self.issue, *self.pays[:-1]]

    @property
    def records(self) -> list[int]:
        return [p - self.terms.record_days * DAY for p in self.pays]

    @property
    def maturity(self) -> int:
        return self.pays[-1]

    def year_fraction(self, k: int, d1: int, d2: int) -> Fraction:
        days = (d2 - d1) // DAY
        if self.terms.day_count == "ACT/365F":
            return Fraction(days, 365)
        length = (self.pays[k] - self.starts[k]) // DAY
        return Fraction(days, self.terms.frequency * length)  # ICMA, regular period

    def interest(self, k: int, d1: int, d2: int) -> Fraction:
        """Interest per whole token from d1 to d2 within coupon k's period [cash units]."""
        rate = Fraction(rate_wad(self.terms.coupon_rate), WAD)
        return self.face * rate * self.year_fraction(k, d1, d2)

    def coupon_on(self, amount: int, k: int) -> int:
        return floor(amount * self.interest(k, self.starts[k], self.pays[k]) / self.one)

    def accrued(self, timestamp: int, up: bool = False) -> int:
        day = timestamp // DAY * DAY
        k = sum(p <= day for p in self.pays)
        if day <= self.issue or k >= len(self.pays) or day == self.starts[k]:
            return 0
        if day + self.terms.record_days * DAY >= self.pays[k]:
            left = self.interest(k, day, self.pays[k])
            return -(floor(left) if up else ceil(left))
        owed = self.interest(k, self.starts[k], day)
        return ceil(owed) if up else floor(owed)


SCHEDULES = tuple(Schedule(t, p) for t, p in zip(VARIANTS, PRICES, strict=True))


# ====================================================================== the model


@dataclass
class Book:
    """The model of one example's series (see the module doc)."""

    sch: Schedule
    bal: dict
    cash: dict  # holders, treasury, anyone, series
    rec: dict = field(default_factory=dict)  # coupon -> holder balances at its record date
    supply: int = 0
    price: int = 0
    remaining: int = 0
    funded: dict = field(default_factory=lambda: defaultdict(int))
    claimed: dict = field(default_factory=lambda: defaultdict(int))
    claims: set = field(default_factory=set)
    paid: dict = field(default_factory=dict)  # (holder, coupon) -> cash claimed
    pool: int = 0
    recovery: int = 0
    defaulted: bool = False
    p0: int = 0
    s0: int = 0

    @property
    def count(self) -> int:
        return len(self.sch.pays)

    def cross(self, timestamp: int) -> None:
        """Snapshot the holders of every record date that has begun by `timestamp`."""
        for k, record in enumerate(self.sch.records):
            if record <= timestamp and k not in self.rec:
                self.rec[k] = dict(self.bal)

    def rec_balance(self, who: str, k: int) -> int:
        return (self.rec[k] if k in self.rec else self.bal)[who]

    def rec_supply(self, k: int) -> int:
        return sum((self.rec[k] if k in self.rec else self.bal).values())

    def owed(self, k: int) -> int:
        return self.sch.coupon_on(self.rec_supply(k), k)

    def principal_owed(self) -> int:
        return ceil(Fraction(self.supply * self.sch.face, self.sch.one))

    def record_default(self) -> None:
        # Part-funded coupons keep their cash for their record-date holders (pro rata).
        pool = self.pool
        self.defaulted, self.pool, self.recovery = True, 0, pool
        self.p0, self.s0 = pool, self.supply
        self.price = self.remaining = 0

    def value(self, timestamp: int, clean: int):
        """The BondValueFeed answer at `timestamp` (zero in a default with nothing outstanding)."""
        to_wad = 10**12
        if self.defaulted:
            return 0 if self.s0 == 0 else self.p0 * self.sch.one // self.s0 * to_wad
        if timestamp >= self.sch.maturity:
            if self.supply == 0:
                return self.sch.face * to_wad
            return min(self.sch.face, self.pool * self.sch.one // self.supply) * to_wad
        dirty = clean * 10**10 + self.sch.accrued(timestamp) * to_wad
        remaining = self.sch.maturity - timestamp
        tier = next((i for i, limit in enumerate(TIERS) if remaining <= limit), 4)
        return max(dirty, 0) * (10_000 - HAIRCUTS[tier]) // 10_000


# ====================================================================== statistics


class Stats:
    def __init__(self):
        self.examples = Counter()
        self.steps = 0
        self.rules = Counter()
        self.outcomes = defaultdict(Counter)
        self.checks = Counter()

    def as_json(self, seconds: float) -> dict:
        return {
            "profile": PROFILE,
            "examples": dict(self.examples),
            "steps": self.steps,
            "rules": dict(sorted(self.rules.items())),
            "outcomes": {k: dict(sorted(v.items())) for k, v in sorted(self.outcomes.items())},
            "checks": dict(sorted(self.checks.items())),
            "seconds": round(seconds, 2),
        }


STATS = Stats()


# ====================================================================== the world


def _types():
    names = ("BondSeries", "BondRegistry", "BondValueFeed", "MockERC20", "MockAggregator")
    return {n: getattr(ape.project, n).contract_type for n in names}


@pytest.fixture(scope="module")
def bench(project, accounts, debt_office):
    """A BondRegistry (its own SovereignAccessManager, the debt office's role granted to
    `debt_office`), one series per variant created through it with a BondValueFeed over a
    shared MockAggregator clean-price feed (8 decimals); cash minted to the holders and the
    treasury, approving every series."""
    admin = fresh(accounts)
    manager = admin.deploy(project.SovereignAccessManager, admin)
    cash = admin.deploy(project.MockERC20, "Leone", "SLL", 6)
    treasury = accounts[TREASURY]
    registry = deploy_bond_registry(project, admin, manager, cash, treasury, keccak(CODE))
    methods = registry.contract_type.mutable_methods
    selectors = [keccak(text=methods[n].selector)[:4] for n in ("createSeries", "openAuction")]
    manager.setTargetFunctionRole(registry, selectors, Role.DEBT_OFFICE, sender=admin)
    manager.grantRole(Role.DEBT_OFFICE, debt_office, 0, sender=admin)
    clean = admin.deploy(project.MockAggregator, 8)
    series, feeds = [], []
    for terms in VARIANTS:
        receipt = registry.createSeries(terms.as_struct(), CODE, sender=debt_office)
        s = project.BondSeries.at(receipt.events.filter(registry.SeriesCreated)[0].series)
        series.append(s)
        feeds.append(admin.deploy(project.BondValueFeed, s, clean))
    who = {n: accounts[i].address for n, i in zip(HOLDERS, HOLDER_INDEXES, strict=True)}
    who.update(treasury=treasury.address, anyone=accounts[ANYONE].address)
    for name in (*HOLDERS, "treasury"):
        cash.mint(who[name], 10**12 * CASH, sender=accounts[TREASURY])
        for s in series:
            cash.approve(s, MAX, sender=who[name])
    chain = Chain(ape.chain.provider.web3.provider, _types())
    return SimpleNamespace(
        chain=chain,
        cash=chain.contract(cash.address, "MockERC20"),
        clean=chain.contract(clean.address, "MockAggregator"),
        registry=chain.contract(registry.address, "BondRegistry"),
        series=[chain.contract(s.address, "BondSeries") for s in series],
        feeds=[chain.contract(f.address, "BondValueFeed") for f in feeds],
        who=SimpleNamespace(**who, debt=debt_office.address),
    )


@pytest.fixture
def one_second_blocks(bench):
    bench.chain.rpc("anvil_setBlockTimestampInterval", 1)
    bench.chain.rpc("evm_mine")
    try:
        yield
    finally:
        bench.chain.rpc("anvil_removeBlockTimestampInterval")


# ====================================================================== the machine

AMOUNT = st.one_of(st.sampled_from([0, 1, 7]), st.integers(1, 3_000))  # whole tokens
FRAC = st.fractions(0, 1, max_denominator=1_000)
WHERE = st.sampled_from(
    ["record - 1", "record", "pay", "grace end - 1", "grace end", "maturity", "principal grace",
     "days"]
)  # fmt: skip


class BondMachine(RuleBasedStateMachine):
    bench = None

    def __init__(self):
        super().__init__()
        self._iso = isolated()
        self._iso.__enter__()
        self.book: Book | None = None
        STATS.examples["started"] += 1

    def teardown(self):
        self._iso.__exit__(None, None, None)

    # ------------------------------------------------------------------ plumbing

    @property
    def chain(self) -> Chain:
        return self.bench.chain

    def latest(self) -> int:
        return self.chain.head()[1]

    def go(self, timestamp: int) -> None:
        """The next transaction runs at `timestamp` (or one second on, if that is past)."""
        latest = self.latest()
        self.chain.mine(max(timestamp - 1, latest + 1))

    def addr(self, name: str) -> str:
        return getattr(self.bench.who, name)

    def act(self, op: str, sender: str, method: str, *args, expect=None):
        """Send series.method(*args) from `sender`, predicted to succeed (expect None) or to
        revert with expect = (error, args)."""
        out = self.chain.send(self.addr(sender), self.s, method, *args)
        if expect is None:
            assert out.ok, f"{op}: expected success, got {out.error}{out.args}"
            STATS.outcomes[op]["ok"] += 1
        else:
            name, values = expect
            assert not out.ok, f"{op}: expected {name}{values}, it succeeded"
            assert (out.error, out.args) == (
                name,
                tuple(values),
            ), f"{op}: expected {name}{tuple(values)}, got {out.error}{out.args}"
            STATS.outcomes[op][name] += 1
        return out

    def step(self, name: str) -> int:
        """Count the step; returns the timestamp of the next transaction, for which the model
        first takes the snapshots of the record dates it reaches."""
        STATS.rules[name] += 1
        STATS.steps += 1
        t = self.latest() + 1
        self.book.cross(t)
        return t

    def move_cash(self, src: str, dst: str, amount: int) -> None:
        self.book.cash[src] -= amount
        self.book.cash[dst] += amount

    # ------------------------------------------------------------------ set-up

    @initialize(
        which=st.integers(0, len(VARIANTS) - 1),
        start=st.integers(0, 60),
        clean=st.one_of(st.just(1), st.integers(90, 105)),
        buys=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 2_000)), min_size=1, max_size=4),
    )
    def set_up(self, which, start, clean, buys):
        b = self.bench
        self.which, self.s, self.feed = which, b.series[which], b.feeds[which]
        sch = SCHEDULES[which]
        # The clean price: 1 unit (ex-coupon, the dirty price goes negative) or 90-105% of face.
        self.clean = 1 if clean == 1 else sch.face * 100 * clean // 100
        names = (*HOLDERS, "treasury", "anyone", "series")
        cash = self.chain.read(
            {n: (b.cash, "balanceOf", self.s.address if n == "series" else self.addr(n))
             for n in names}
        )  # fmt: skip
        self.book = Book(sch, bal=dict.fromkeys(HOLDERS, 0), cash={n: cash[n] for n in names})
        assert self.book.cash["series"] == 0
        self.go(sch.issue + start * DAY)
        out = self.chain.send(b.who.debt, b.registry, "openAuction", self.s.address, sch.price,
                              10_000 * sch.one)  # fmt: skip
        assert out.ok, out
        self.book.price, self.book.remaining = sch.price, 10_000 * sch.one
        self.clean_at = out.timestamp  # the quote's time, passed through by the feed
        out = self.chain.send(b.who.treasury, b.clean, "set", self.clean, self.clean_at)
        assert out.ok, out
        for i, amount in buys:
            self.buy(HOLDERS[i], amount * sch.one // (1 if sch.one == 1 else 10), count=False)
        note(f"variant {which}, clean {self.clean}, buys {buys}")
        STATS.examples[sch.terms.isin] += 1

    # ------------------------------------------------------------------ rules

    @rule(who=st.integers(0, 3), amount=AMOUNT, part=st.booleans())
    def buy_rule(self, who, amount, part):
        sch = self.book.sch
        units = amount * sch.one + (sch.one // 3 if part and sch.one > 1 else 0)
        self.buy(HOLDERS[who], units)

    def buy(self, who: str, amount: int, count: bool = True) -> None:
        g, sch = self.book, self.book.sch
        t = self.step("buy") if count else self.latest() + 1
        g.cross(t)
        if t < sch.issue:
            expect = ("BondSaleClosed", [b32("not issued")])
        elif t >= sch.maturity:
            expect = ("BondSaleClosed", [b32("redeemed")])
        elif g.defaulted:
            expect = ("BondSaleClosed", [b32("defaulted")])
        elif g.price == 0:
            expect = ("BondSaleClosed", [b32("closed")])
        elif amount == 0:
            expect = ("BondZeroAmount", [])
        elif amount > g.remaining:
            expect = ("BondAuctionExhausted", [amount, g.remaining])
        else:
            per_token = g.price + sch.accrued(t, up=True)
            cost = ceil(Fraction(amount * max(per_token, 0), sch.one))
            expect = ("BondNothingToPay", [amount]) if cost == 0 else None
        self.act("buy", who, "buy", amount, g.price, expect=expect)
        if expect is None:
            g.bal[who] += amount
            g.supply += amount
            g.remaining -= amount
            self.move_cash(who, "treasury", cost)

    @rule(src=st.integers(0, 3), dst=st.integers(0, 3), how=st.sampled_from(["part", "all"]),
          frac=FRAC)  # fmt: skip
    def transfer(self, src, dst, how, frac):
        self.step("transfer")
        g = self.book
        a, b = HOLDERS[src], HOLDERS[dst]
        held = g.bal[a]
        amount = {"part": int(held * frac), "all": held}[how] + (frac == 1)  # 1: one too many
        expect = None
        if amount > held:
            expect = ("ERC20InsufficientBalance", [self.addr(a).lower(), held, amount])
        self.act("transfer", a, "transfer", self.addr(b), amount, expect=expect)
        if expect is None:
            g.bal[a] -= amount
            g.bal[b] += amount
            if a != b and amount:
                STATS.checks["transfers (coupon rights checked after each)"] += 1

    def instant(self, where: str, k: int, extra: int) -> int:
        sch = self.book.sch
        return {
            "record - 1": sch.records[k] - 1,
            "record": sch.records[k],
            "pay": sch.pays[k],
            "grace end - 1": sch.pays[k] + COUPON_GRACE - 1,
            "grace end": sch.pays[k] + COUPON_GRACE,
            "maturity": sch.maturity,
            "principal grace": sch.maturity + PRINCIPAL_GRACE,
            "days": self.latest() + extra * DAY,
        }[where]

    @rule(where=WHERE, k=st.integers(0, 3), extra=st.integers(1, 40))
    def travel(self, where, k, extra):
        self.step("travel")
        target = self.instant(where, min(k, self.book.count - 1), extra)
        if target > self.latest() + 1:
            self.go(target)

    @rule()
    def advance(self):
        """To the next record date, payment date, end of a grace period or maturity."""
        self.step("advance")
        sch, now = self.book.sch, self.latest() + 1
        moments = sorted(
            {*sch.records, *sch.pays, *(p + COUPON_GRACE for p in sch.pays),
             sch.maturity + PRINCIPAL_GRACE}
        )  # fmt: skip
        target = next((m for m in moments if m > now), now + 90 * DAY)
        self.go(target)

    @rule(k=st.integers(0, 3), how=st.sampled_from(["full", "half", "one short", "twice", "zero"]))
    def fund_coupon(self, k, how):
        t = self.step("fund_coupon")
        g, sch = self.book, self.book.sch
        k = min(k, g.count - 1)
        owed = g.owed(k)
        missing = max(owed - g.funded[k], 0)
        amount = {"full": missing, "half": missing // 2, "one short": max(missing - 1, 0),
                  "twice": 2 * owed + 1, "zero": 0}[how]  # fmt: skip
        taken = min(amount, missing)
        if g.defaulted:
            expect = ("BondDefaulted", [])
        elif amount == 0:
            expect = ("BondZeroAmount", [])
        elif t < sch.records[k]:
            expect = ("BondBeforeRecordDate", [k, sch.records[k], t])
        elif g.funded[k] >= owed:
            expect = ("BondCouponFullyFunded", [k, owed])
        else:
            expect = None
        self.act("fundCoupon", "treasury", "fundCoupon", k, amount, expect=expect)
        if expect is None:
            g.funded[k] += taken
            self.move_cash("treasury", "series", taken)
            assert g.funded[k] <= owed

    def claim_one(self, holder: str, k: int, caller: str, t: int) -> None:
        g, sch = self.book, self.book.sch
        g.cross(t)
        owed = g.owed(k)
        balance = g.rec_balance(holder, k) if k in g.rec else 0
        if g.funded[k] >= owed:
            amount = sch.coupon_on(balance, k)
        else:  # in default, a part-funded coupon pays its record-date holders pro rata
            amount = balance * g.funded[k] // g.rec_supply(k)
        if t < sch.pays[k]:
            expect = ("BondCouponNotDue", [k, sch.pays[k], t])
        elif (holder, k) in g.claims:
            expect = ("BondAlreadyClaimed", [self.addr(holder).lower(), k])
        elif g.funded[k] < owed and not g.defaulted:
            expect = ("BondCouponNotFunded", [k, owed, g.funded[k]])
        elif amount == 0:
            expect = ("BondNothingToClaim", [self.addr(holder).lower(), k])
        else:
            expect = None
        self.act("claim", caller, "claim", self.addr(holder), [k], expect=expect)
        if expect is None:
            g.claims.add((holder, k))
            g.paid[(holder, k)] = amount
            g.claimed[k] += amount
            self.move_cash("series", holder, amount)
            assert g.claimed[k] <= g.funded[k] <= owed
            if g.funded[k] >= owed:
                STATS.checks["claim pays floor(balanceAtRecord x coupon)"] += 1
            else:
                STATS.checks["in default: a part-funded coupon paid pro rata"] += 1
        elif expect[0] == "BondAlreadyClaimed":
            STATS.checks["a second claim is refused"] += 1

    @rule(who=st.integers(0, 3), k=st.integers(0, 3), by_anyone=st.booleans())
    def claim(self, who, k, by_anyone):
        t = self.step("claim")
        holder = HOLDERS[who]
        self.claim_one(holder, min(k, self.book.count - 1), "anyone" if by_anyone else holder, t)

    @rule()
    def claim_all(self):
        """Every holder claims every coupon whose payment date has passed."""
        t = self.step("claim_all")
        for k in range(self.book.count):
            if self.book.sch.pays[k] <= t:
                for holder in HOLDERS:
                    t = self.latest() + 1
                    self.claim_one(holder, k, holder, t)

    @rule()
    def fund_due_coupons(self):
        """Fund, in full, every coupon short of funding whose record date has begun."""
        g = self.book
        t = self.latest() + 1
        g.cross(t)
        due = [k for k in range(g.count) if g.sch.records[k] <= t and g.funded[k] < g.owed(k)]
        if not due or g.defaulted:
            self.step("fund_due_coupons (nothing to fund)")
        for k in due if not g.defaulted else ():
            self.fund_coupon(k, "full")

    @rule()
    def miss_a_coupon(self):
        """Half-fund the latest coupon short of funding whose record date has begun, go to
        the end of its grace period and record the default (its holders then claim pro rata)."""
        g = self.book
        t = self.latest() + 1
        g.cross(t)
        due = [k for k in range(g.count) if g.sch.records[k] <= t and g.funded[k] < g.owed(k)]
        if g.defaulted or not due:
            self.step("miss_a_coupon (nothing to miss)")
            return
        k = due[-1]
        self.fund_coupon(k, "half")
        self.go(max(g.sch.pays[k] + COUPON_GRACE, self.latest() + 1))
        self.mark_default(k)

    @rule(how=st.sampled_from(["full", "half", "one short", "zero"]))
    def fund_principal(self, how):
        self.step("fund_principal")
        g = self.book
        missing = max(g.principal_owed() - g.pool, 0)
        amount = {"full": missing, "half": missing // 2, "one short": max(missing - 1, 0),
                  "zero": 0}[how]  # fmt: skip
        if g.defaulted:
            expect = ("BondDefaulted", [])
        elif amount == 0:
            expect = ("BondZeroAmount", [])
        else:
            expect = None  # amount <= missing, and > 0
        self.act("fundPrincipal", "treasury", "fundPrincipal", amount, expect=expect)
        if expect is None:
            g.pool += amount
            self.move_cash("treasury", "series", amount)

    @rule(who=st.integers(0, 3), how=st.sampled_from(["all", "part", "one", "over", "zero"]),
          frac=FRAC)  # fmt: skip
    def redeem(self, who, how, frac):
        t = self.step("redeem")
        g, sch = self.book, self.book.sch
        holding = [h for h in HOLDERS if g.bal[h]] or list(HOLDERS)
        holder = holding[who % len(holding)]  # mostly a holder of something
        held = g.bal[holder]
        amount = {"all": held, "part": int(held * frac), "one": 1, "over": held + 1,
                  "zero": 0}[how]  # fmt: skip
        records = False
        expect = None
        if amount == 0:
            expect = ("BondZeroAmount", [])
        elif amount > held:
            expect = ("ERC20InsufficientBalance", [self.addr(holder).lower(), held, amount])
        elif not g.defaulted:
            owed = g.principal_owed()
            if t < sch.maturity:
                expect = ("BondNotRedeemable", [t, sch.maturity])
            elif g.pool < owed:
                if t < sch.maturity + PRINCIPAL_GRACE:
                    expect = ("BondPrincipalShort", [owed, g.pool, sch.maturity + PRINCIPAL_GRACE])
                else:
                    records = True
        if expect is None:
            if g.defaulted or records:
                p0, s0 = (g.p0, g.s0) if g.defaulted else (g.pool, g.supply)
                payout = amount * p0 // s0
            else:
                payout = amount * sch.face // sch.one
            if payout == 0:
                expect = ("BondNothingToPay", [amount])
        self.act("redeem", holder, "redeem", amount, expect=expect)
        if expect is not None:
            return
        if records:
            g.record_default()
            STATS.checks["principal default recorded by the first redemption after grace"] += 1
        if g.defaulted:
            lower = amount * g.p0 // g.s0
            assert payout == lower and payout * g.s0 <= amount * g.p0 < (payout + 1) * g.s0
            g.recovery -= payout
            STATS.checks["after default: paid exactly floor(a x P0 / S0)"] += 1
        else:
            g.pool -= payout
            STATS.checks["full pool: paid exactly face"] += 1
        g.bal[holder] -= amount
        g.supply -= amount
        self.move_cash("series", holder, payout)
        if not g.defaulted:
            assert g.pool >= g.principal_owed()  # a full pool stays full

    @rule(k=st.integers(0, 4))
    def mark_default(self, k):
        t = self.step("mark_default")
        g, sch = self.book, self.book.sch
        k = min(k, g.count)  # k == count: the principal
        if g.defaulted:
            expect = ("BondDefaulted", [])
        elif k == g.count:
            grace_end = sch.maturity + PRINCIPAL_GRACE
            if g.pool >= g.principal_owed():
                expect = ("BondNotInDefault", [b32("principal funded")])
            elif t < grace_end:
                expect = ("BondInGracePeriod", [t, grace_end])
            else:
                expect = None
        else:
            grace_end = sch.pays[k] + COUPON_GRACE
            if g.funded[k] >= g.owed(k):
                expect = ("BondNotInDefault", [b32("coupon funded")])
            elif t < grace_end:
                expect = ("BondInGracePeriod", [t, grace_end])
            else:
                expect = None
        self.act("markDefault", "anyone", "markDefault", k, expect=expect)
        if expect is None:
            g.record_default()
            STATS.checks["default recorded"] += 1

    # ------------------------------------------------------------------ invariants

    @invariant()
    def chain_equals_model(self):
        g = self.book
        if g is None:
            return
        b, s, n = self.bench, self.s, g.count
        now = self.latest()
        g.cross(now)
        calls = {
            "supply": (s, "totalSupply"),
            "pool": (s, "principalPool"),
            "recovery": (s, "recoveryPool"),
            "defaulted": (s, "defaulted"),
            "default": (s, "defaultPool"),
            "default_supply": (s, "defaultSupply"),
            "auction": (s, "auctionPrice"),
            "feed": (self.feed, "latestRoundData"),
        }
        for k in range(n):
            calls[f"funding:{k}"] = (s, "couponFunding", k)
            calls[f"owed:{k}"] = (s, "couponOwed", k)
            calls[f"srec:{k}"] = (s, "supplyAtRecord", k)
            for h in HOLDERS:
                calls[f"rec:{h}:{k}"] = (s, "balanceAtRecord", self.addr(h), k)
        for h in HOLDERS:
            calls[f"bal:{h}"] = (s, "balanceOf", self.addr(h))
        for name in g.cash:
            who = s.address if name == "series" else self.addr(name)
            calls[f"cash:{name}"] = (b.cash, "balanceOf", who)
        r = self.chain.read(calls)
        assert r["head"][1] == now
        assert r["supply"] == g.supply == sum(g.bal.values())
        for h in HOLDERS:
            assert r[f"bal:{h}"] == g.bal[h], h
        for name, amount in g.cash.items():
            assert r[f"cash:{name}"] == amount, f"cash of {name}: {r[f'cash:{name}']} != {amount}"
        assert (r["pool"], r["recovery"], r["defaulted"]) == (g.pool, g.recovery, g.defaulted)
        if g.defaulted:
            assert (r["default"], r["default_supply"], r["auction"]) == (g.p0, g.s0, 0)
        # 1 and 2: per coupon, claimed <= funded <= owed, as modelled.
        outstanding = 0
        for k in range(n):
            funded, claimed = r[f"funding:{k}"]
            owed = g.owed(k)
            assert (funded, claimed) == (g.funded[k], g.claimed[k]), k
            assert r[f"owed:{k}"] == owed, k
            assert claimed <= funded <= owed
            if k in g.rec:
                full = funded >= owed
                for h in HOLDERS:
                    if (h, k) in g.claims:  # exactly its share: in full, or pro rata in default
                        share = (
                            g.sch.coupon_on(g.rec[k][h], k)
                            if full
                            else (g.rec[k][h] * funded // sum(g.rec[k].values()))
                        )
                        assert g.paid[(h, k)] == share, (h, k)
                assert claimed == sum(v for (h, j), v in g.paid.items() if j == k) <= owed
            outstanding += funded - claimed
        # 3: coupon rights are the record-date snapshot, whatever moved since.
        for k in g.rec:
            assert r[f"srec:{k}"] == sum(g.rec[k].values()), k
            for h in HOLDERS:
                assert r[f"rec:{h}:{k}"] == g.rec[k][h], (h, k)
        STATS.checks["record-date balances equal the snapshot"] += len(g.rec)
        # 5: the series holds exactly what it owes.
        assert r["cash:series"] == r["pool"] + r["recovery"] + outstanding
        STATS.checks["cash == principalPool + recoveryPool + sum(funded - claimed)"] += 1
        # 6: the collateral value.
        expected = g.value(now, self.clean)
        _, answer, _, updated_at, _ = r["feed"]
        assert answer == expected, f"feed {answer} != model {expected} at {now}"
        fresh_answer = g.defaulted or now >= g.sch.maturity
        assert updated_at == (now if fresh_answer else self.clean_at)
        STATS.checks["BondValueFeed equals the model"] += 1


def test_bond_machine(bench, one_second_blocks):
    """BondMachine: coupon rights, funding, claims, principal, default and valuation of a
    coupon bond series, against the Python model (module doc)."""
    import time

    start = time.monotonic()
    BondMachine.bench = bench
    # A bond's life takes more steps than the profile's default (record dates, payment
    # dates, grace periods, maturity): 50 steps an example at least, 12 examples at least.
    run = settings(
        settings.default,
        stateful_step_count=max(settings.default.stateful_step_count, 50),
        max_examples=max(settings.default.max_examples, 12),
    )
    try:
        run_state_machine_as_test(BondMachine, settings=run)
    finally:
        write_report("bond-machine", STATS.as_json(time.monotonic() - start))
