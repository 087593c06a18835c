"""Valuation of the reserve's collateral: haircuts, unusable prices and concentration caps.

The properties, in plain words:

1. **No asset counts for more than its cap of what is counted.** For any balances, prices,
   haircuts and caps of up to Reserve.MAX_ASSETS = 20 listed assets, each asset's counted
   value in collateralBreakdown() is at most its cap times the counted total (plus the one
   wei that rounding the total down can cost): counted_i*10000 <= cap_i*total + 10000,
   and never more than its haircut value: counted_i <= v_i.
2. **The total is the largest fixed point.** total = floor(C*), where C* is the largest
   C with C = sum_i min(v_i, cap_i*C/10000), and counted_i = min(v_i, floor(cap_i*C*/10000))
   (as the NatSpec of collateralValue() promises). C* is computed here in Python with exact
   fractions by a different method from the contract's (which caps assets in rounds until
   none is added): a scan of the breakpoints of the concave function f (see
   `largest_fixed_point`). collateralValue() equals the total and maxMintable() equals
   floor(total*1e18/minRatio) - supply. (A consequence of the definition, checked too: if
   the caps of the assets held sum below 100%, nothing counts, C* = 0.)
3. **Each haircut value is the documented one:** balance x price x (1 - haircut), rounded
   down as documented, and zero when the balance is zero or the feed's answer is unusable
   (stale beyond the heartbeat, updatedAt 0 or in the future, answer <= 0 or > uint128 max,
   never reported).
4. **No outsider can halt issuance.** An asset whose feed is stale, never reported or
   otherwise unusable counts zero, and the valuation never reverts: after anyone (mallory)
   sends it dust (1 wei, or a little more), collateralValue(), collateralBreakdown() and
   maxMintable() are unchanged, a mint of exactly maxMintable() still passes and one unit
   more fails with ReserveCollateralRatioTooLow. Sending any amount of an asset with a
   usable price never lowers what is counted (f only grows, so C* only grows).
5. The reported case: 900 of a bond capped at 50% beside 100 of cash counts 200, of which
   the bond is 100 (before the fix: 600, of which the bond was 500, i.e. 83%).

Set-up (module `desk`): the system's two assets (the vault shares, priced by the on-chain
VaultNavFeed, and the SB30 bond with its ReportedPriceFeed; the system's commodity tokens
are taken off the list first, their valuation is tests/commodity's) plus 18 more, to fill the list
to MAX_ASSETS: the settlement cash itself and 17 MockERC20 tokens of 0 to 36 decimals, six
priced by ReportedPriceFeed stubs (constructor (authority, decimals, description,
maxDeviationBps, deviationWindow); their functions mapped to roles as
deployphases.wire_functions maps them, from roles.FUNCTION_ROLES: report to the oracle reporter,
forceReport and the setters to the governor; a stub's first answer is the governor's
forceReport, since report refuses one) and the rest by MockAggregator (which can also present the
answers a broken feed could: zero, negative, absurd, from the future). Everything goes
through the governor and its one-day delay: one multicall of `schedule`, the clock past
the delay, one multicall of `execute`. Per example (inside isolated()) the caps,
haircuts and heartbeats, and the stubs' forced answers, are set the same way (a stub
meant to be stale gets a heartbeat shorter than the time to the valuation moment), then
the balances (mints, withdrawals by
the reserve manager, a vault deposit in the reserve's name) and the prices, and a block is
mined at the moment of valuation.

A JSON summary (examples, checks, how many assets were capped, feed states seen) goes to
reports/valuation-<profile>.json. (A last test checks the Python model alone against a
bisection, without the chain.)
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from types import SimpleNamespace

import pytest
from eth_utils import to_checksum_address
from hypothesis import given, note
from hypothesis import strategies as st

from sovereign import governance
from sovereign.limits import MAX_ASSETS
from sovereign.roles import FUNCTION_ROLES
from sovereign.units import BPS, WAD
from tests.utils import ref
from tests.utils.audit import (
    assert_reverts,
    deploy,
    isolated,
    mine_at,
    read,
    rpc,
    schedule_now,
    send,
    write_report,
)
from tests.utils.constants import CASH, DAY, MAX, MAX_ANSWER, PROFILE

pytestmark = pytest.mark.xdist_group("audit-valuation")

STUB_AGE = 600  # seconds from the governor's forceReport (executed) to the valuation moment
INVESTOR_INDEX = 19  # deposits cash into the vault in the reserve's name

# The 18 assets listed beside the system's two: (symbol, token decimals, feed, feed decimals).
# "cash" is the system's settlement cash (6 decimals); "stub" a ReportedPriceFeed.
EXTRA = (
    ("cash", 6, "mock", 8),
    ("TK1", 18, "stub", 8),
    ("TK2", 6, "mock", 8),
    ("TK3", 8, "stub", 18),
    ("TK4", 0, "mock", 0),
    ("TK5", 2, "stub", 6),
    ("TK6", 24, "mock", 18),
    ("TK7", 18, "mock", 36),
    ("TK8", 12, "stub", 0),
    ("TK9", 18, "mock", 8),
    ("TK10", 36, "mock", 12),
    ("TK11", 6, "stub", 8),
    ("TK12", 18, "mock", 6),
    ("TK13", 9, "mock", 8),
    ("TK14", 18, "stub", 12),
    ("TK15", 3, "mock", 27),
    ("TK16", 18, "mock", 8),
    ("TK17", 27, "mock", 2),
)


# ====================================================================== the model


def largest_fixed_point(values, caps) -> Fraction:
    """C* = the largest C >= 0 with C = f(C), f(C) = sum_i min(v_i, cap_i*C/BPS), exactly.

    Method (a scan of breakpoints, not the contract's rounds of capping): with c_i =
    cap_i/BPS, each term min(v_i, c_i*C) is linear in C below its breakpoint
    b_i = v_i/c_i and constant above it, so f is concave, non-decreasing and piecewise
    linear with kinks at the b_i, and constant (= V = sum v_i) from max b_i on. Hence
    g(C) = f(C) - C is concave with g(0) = 0, and {C >= 0 : g(C) >= 0} is an interval
    [0, C*]. Every fixed point is <= V (f <= V). So: take the points 0, V and the b_i
    below V, in order; the last point q with g(q) >= 0 is in [0, C*]. If q = V, C* = V.
    Otherwise the next point p has g(p) < 0, no kink lies strictly between q and p, and
    there f(C) = A + B*C with A the sum of v_i over the assets with b_i <= q (saturated)
    and B the sum of c_i over the others (b_i >= p, still proportional); g falls on
    [q, p], so B < 1 and C* = A/(1 - B). Assets with v_i = 0 add nothing to f.
    """
    items = [(Fraction(v), Fraction(c, BPS)) for v, c in zip(values, caps, strict=True) if v > 0]
    if not items:
        return Fraction(0)
    total = sum(v for v, _ in items)

    def f(c_total):
        return sum(min(v, c * c_total) for v, c in items)

    points = sorted({Fraction(0), total, *(v / c for v, c in items if v / c < total)})
    q = max(p for p in points if f(p) >= p)
    if q == total:
        return total
    p = min(x for x in points if x > q)
    saturated = sum(v for v, c in items if v / c <= q)
    slope = sum(c for v, c in items if v / c >= p)
    assert slope < 1
    star = saturated / (1 - slope)
    assert q <= star <= p and f(star) == star  # the construction, checked
    return star


def haircut_value(
    balance, answer, updated_at, now, heartbeat, asset_decimals, feed_decimals, haircut
):
    """The documented haircut value [wad]: zero for a zero balance or an unusable answer,
    else balance x price, rounded down once to wad, times (1 - haircut), rounded down."""
    if balance == 0:
        return 0
    usable = (
        0 < answer <= MAX_ANSWER
        and updated_at != 0
        and updated_at <= now
        and now - updated_at <= heartbeat
    )
    if not usable:
        return 0
    scale = asset_decimals + feed_decimals
    value = (
        balance * answer // 10 ** (scale - 18)
        if scale >= 18
        else balance * answer * 10 ** (18 - scale)
    )
    return value * (BPS - haircut) // BPS


# ====================================================================== report


class Stats:
    def __init__(self):
        self.examples = Counter()
        self.checks = Counter()
        self.capped = Counter()  # how many assets were capped per example
        self.feed_states = Counter()
        self.modes = Counter()
        self.seconds = {}

    def as_json(self) -> dict:
        return {
            "profile": PROFILE,
            "examples": dict(self.examples),
            "examples_total": sum(v for k, v in self.examples.items() if "(started)" not in k),
            "checks": dict(sorted(self.checks.items())),
            "checks_total": sum(self.checks.values()),
            "assets_capped_per_example": {str(k): v for k, v in sorted(self.capped.items())},
            "feed_states": dict(sorted(self.feed_states.items())),
            "modes": dict(sorted(self.modes.items())),
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


STATS = Stats()


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    write_report("valuation", STATS.as_json())


@pytest.fixture(autouse=True)
def _timed(request):
    start = time.monotonic()
    yield
    STATS.seconds[request.node.name] = time.monotonic() - start


def breakdown(reserve) -> tuple[list, list, list, int]:
    """collateralBreakdown(), its addresses checksummed and arrays as lists."""
    assets, haircuts, counted, total = read(reserve.collateralBreakdown)
    return [to_checksum_address(a) for a in assets], list(haircuts), list(counted), total


def now() -> int:
    return int(rpc("eth_getBlockByNumber", ["latest", False])["result"]["timestamp"], 16)


# ====================================================================== the desk


@dataclass
class Asset:
    symbol: str
    token: object
    feed: object
    kind: str  # "vault", "bond" (SB30's stub, reported at set-up), "cash", "stub", "mock"
    decimals: int
    feed_decimals: int

    @property
    def address(self) -> str:
        return self.token.address

    @property
    def feed_kind(self) -> str:
        return {"vault": "nav", "bond": "stub", "stub": "stub"}.get(self.kind, "mock")


def governed(desk, calls) -> None:
    """Restricted calls [(contract, method, args)] by the governor through its delay: one
    multicall of schedule, the clock past the delay, one multicall of execute."""
    manager, governor = desk.manager, desk.governor
    ops = [(c.address, getattr(c, m).encode_input(*a)) for c, m, a in calls]
    send(
        manager.multicall, [manager.schedule.encode_input(t, d, 0) for t, d in ops], sender=governor
    )
    mine_at(now() + desk.delay + 1)
    send(manager.multicall, [manager.execute.encode_input(t, d) for t, d in ops], sender=governor)


@pytest.fixture(scope="module")
def desk(
    project, system, bond, accounts, governor, reporter, compliance, central_bank, mallory, exchange
):
    """The reserve with MAX_ASSETS listed (see the module doc); the extra assets with a 1-day
    heartbeat, no haircut, no cap; SB30 re-reported at 1.00; no mocks or stubs priced yet."""
    reserve, manager, cash, vault = system.reserve, system.manager, system.cash, system.vault
    delay = max(
        governance.permission(manager, governor, reserve, "setCollateral").delay,
        governance.permission(manager, governor, manager, "setTargetFunctionRole").delay,
    )
    assets = [
        Asset("STBF", vault, system.vault_feed, "vault", vault.decimals(), 18),
        Asset("SB30", bond, system.feeds["SB30"], "bond", 18, 8),
    ]
    # The commodity tokens the system also lists are valued by tests/commodity (their
    # price needs a live attestation): this suite takes them off the list first.
    commodities = [c.token.address for c in system.commodity.commodities.values()]
    desk_ = SimpleNamespace(manager=manager, governor=governor, delay=delay)
    governed(desk_, [(reserve, "removeCollateral", (t,)) for t in commodities])
    assert list(reserve.collateralAssets()) == [a.address for a in assets]
    calls = []
    for symbol, decimals, feed_kind, feed_decimals in EXTRA:
        token = (
            cash
            if symbol == "cash"
            else deploy(project.MockERC20, f"Token {symbol}", symbol, decimals)
        )
        if feed_kind == "stub":
            feed = deploy(
                project.ReportedPriceFeed,
                manager.address,
                feed_decimals,
                f"{symbol} / SSHL",
                1_000,
                DAY,
            )
            by_role: dict = {}
            for method, role in FUNCTION_ROLES["ReportedPriceFeed"].items():
                by_role.setdefault(int(role), []).append(governance.selector(feed, method))
            calls += [
                (manager, "setTargetFunctionRole", (feed.address, sels, role))
                for role, sels in by_role.items()
            ]
        else:
            feed = deploy(project.MockAggregator, feed_decimals)
        kind = "cash" if symbol == "cash" else feed_kind
        assets.append(Asset(symbol, token, feed, kind, decimals, feed_decimals))
        calls.append((reserve, "setCollateral", (token.address, feed.address, DAY, 0, BPS)))
    desk = SimpleNamespace(
        system=system, reserve=reserve, manager=manager, cash=cash, vault=vault, governor=governor,
        delay=delay, assets=assets, investor=accounts[INVESTOR_INDEX].address,
        mallory=mallory.address, exchange=exchange.address,
    )  # fmt: skip
    governed(desk, calls)
    assert [a.address for a in assets] == list(reserve.collateralAssets())
    send(system.feeds["SB30"].report, 10**8, sender=reporter)  # fresh again after the delay
    send(vault.setAllowlisted, desk.investor, True, ref("KYC-VAL"), sender=compliance)
    send(cash.mint, desk.investor, 100_000_000 * CASH, sender=central_bank)
    send(cash.approve, vault, MAX, sender=desk.investor)
    desk.baseline = now()
    return desk


def test_the_list_holds_max_assets_and_refuses_one_more(project, desk, governor):
    """The set-up lists MAX_ASSETS = 20 assets; a 21st is refused with ReserveTooManyAssets(20)
    when the governor's scheduled call executes; the valuation of a full list never reverts."""
    STATS.examples["list full"] += 1
    reserve = desk.reserve
    assert reserve.MAX_ASSETS() == MAX_ASSETS == len(reserve.collateralAssets())
    with isolated():
        token = deploy(project.MockERC20, "One Too Many", "TK21", 18)
        feed = deploy(project.MockAggregator, 8)
        data = schedule_now(
            desk.manager, reserve, "setCollateral", token, feed, DAY, 0, BPS, sender=governor
        )
        assert_reverts(
            "ReserveTooManyAssets",
            desk.manager.execute,
            reserve.address,
            data,
            by=governor,
            max=MAX_ASSETS,
        )
        read(reserve.collateralBreakdown)
    STATS.checks["a 21st asset is refused"] += 1


# ====================================================================== one example


@dataclass(frozen=True)
class Draw:
    """One asset's state in an example."""

    cap: int
    haircut: int
    heartbeat: int
    balance: int  # token units (vault: cash deposited in the reserve's name)
    answer: int
    status: str  # fresh, stale, never, zero, negative, huge, future, updated0
    age: int  # seconds since updatedAt (fresh) or beyond the heartbeat (stale), or ahead (future)


STATUSES = {
    "nav": ["fresh"],
    "stub": ["fresh", "stale", "never"],
    "mock": ["fresh", "stale", "never", "zero", "negative", "huge", "future", "updated0"],
}


def draw_asset(data, asset: Asset, mode: str, cap: int | None, units: int | None) -> Draw:
    """Hypothesis draws for one asset. In the "exact" modes (cap and units given) the asset
    is priced at 1.00 with no haircut and holds `units` whole tokens: its haircut value is
    exactly units x 1e18."""
    label = asset.symbol
    if cap is not None:
        one = 10**asset.feed_decimals
        return Draw(cap, 0, 7 * DAY, units * 10**asset.decimals, one, "fresh", 0)
    cap = data.draw(
        st.one_of(st.sampled_from([100, 2_500, 5_000, 10_000]), st.integers(100, BPS)),
        label=f"{label} cap",
    )
    haircut = data.draw(
        st.one_of(st.sampled_from([0, 9_000]), st.integers(0, 9_000)), label=f"{label} haircut"
    )
    statuses = STATUSES[asset.feed_kind] if asset.kind != "bond" else ["fresh", "stale"]
    status = data.draw(
        st.one_of(st.just("fresh"), st.sampled_from(statuses)), label=f"{label} status"
    )
    if asset.feed_kind == "stub" and status == "stale":  # forced STUB_AGE before the valuation
        heartbeat = data.draw(st.integers(60, STUB_AGE - 1), label=f"{label} heartbeat")
    elif asset.feed_kind == "stub":
        heartbeat = data.draw(st.integers(3_600, 7 * DAY), label=f"{label} heartbeat")
    else:
        heartbeat = data.draw(st.integers(60, 7 * DAY), label=f"{label} heartbeat")
    if asset.kind == "vault":
        top = 1_000_000 * CASH
    else:
        top = 2_000 * 10**asset.decimals
    balance = data.draw(
        st.one_of(st.just(0), st.integers(1, 10), st.integers(1, top)), label=f"{label} balance"
    )
    one = 10**asset.feed_decimals
    answer = data.draw(st.integers(1, min(one * 10_000, MAX_ANSWER)), label=f"{label} price")
    age = data.draw(st.integers(0, 10 * DAY), label=f"{label} age")
    return Draw(cap, haircut, heartbeat, balance, answer, status, age)


def exact_caps(data, n: int) -> list[int]:
    """`n` caps, each >= 100 bps, summing to exactly 10,000."""
    weights = data.draw(st.lists(st.integers(0, 100), min_size=n, max_size=n), label="cap weights")
    spare = BPS - 100 * n
    total = sum(weights) or 1
    parts = [spare * w // total for w in weights]
    parts[0] += spare - sum(parts)
    return [100 + p for p in parts]


def build(desk, draws: list[Draw]) -> int:
    """Put the example on chain (see the module doc); returns the valuation moment."""
    reserve, h = desk.reserve, desk.system.holders
    # Empty the two assets the set-up funded (no supply: no ratio to keep).
    for asset in desk.assets:
        held = read(asset.token.balanceOf, reserve) if asset.kind in ("bond", "cash") else 0
        if held:
            send(
                reserve.withdrawCollateral,
                asset.address,
                h.reserve_manager.address,
                held,
                sender=h.reserve_manager,
            )
    calls = [
        (reserve, "setCollateral", (a.address, a.feed.address, d.heartbeat, d.haircut, d.cap))
        for a, d in zip(desk.assets, draws, strict=True)
    ]
    # A stub's answer is forced by the governor (its first one must be): fresh ones have a
    # heartbeat of an hour or more, stale ones one shorter than STUB_AGE.
    calls += [
        (a.feed, "forceReport", (d.answer,))
        for a, d in zip(desk.assets, draws, strict=True)
        if a.feed_kind == "stub" and d.status in ("fresh", "stale")
    ]
    governed(desk, calls)
    moment = now() + STUB_AGE  # now(): the block that executed the calls
    for a, d in zip(desk.assets, draws, strict=True):
        if a.kind == "vault":
            if d.balance:
                send(desk.vault.deposit, d.balance, reserve.address, sender=desk.investor)
        elif a.kind == "cash":
            if d.balance:
                send(desk.cash.mint, reserve.address, d.balance, sender=h.central_bank)
        elif d.balance:
            send(a.token.mint, reserve.address, d.balance, sender=h.central_bank)
        if a.feed_kind == "mock":
            at = {
                "fresh": moment - min(d.age, d.heartbeat),
                "stale": moment - d.heartbeat - 1 - d.age,
                "future": moment + 1 + d.age,
                "updated0": 0,
            }.get(d.status, moment)
            answer = {"zero": 0, "negative": -d.answer, "huge": MAX_ANSWER + 1 + d.answer}.get(
                d.status, d.answer
            )
            if d.status != "never":
                send(a.feed.set, answer, at, sender=h.central_bank)
    assert now() <= moment, "set-up took longer than the margin"
    mine_at(moment)
    return moment


def check_valuation(desk, draws: list[Draw], moment: int) -> dict:
    """Every property of the module doc's points 1-3 at the current block."""
    reserve = desk.reserve
    assert now() == moment
    addresses, haircuts, counted, total = breakdown(reserve)
    assert addresses == [a.address for a in desk.assets]
    values, caps = [], []
    for i, (a, d) in enumerate(zip(desk.assets, draws, strict=True)):
        config = read(reserve.collateralConfig, a.address)
        assert config[0].lower() == a.feed.address.lower(), (a.symbol, config)
        assert config[1:6] == (d.heartbeat, d.haircut, d.cap, a.decimals, True), (a.symbol, config)
        balance = read(a.token.balanceOf, reserve.address)
        _, answer, _, updated_at, _ = read(a.feed.latestRoundData)
        v = haircut_value(
            balance, answer, updated_at, moment, d.heartbeat, a.decimals, a.feed_decimals, d.haircut
        )
        assert haircuts[i] == v, f"{a.symbol}: haircut value {haircuts[i]}, documented rule {v}"
        usable = read(reserve.assetStatus, a.address)[3]
        intended = d.status == "fresh"
        if a.kind == "vault":
            intended = True
        assert (
            usable == intended
        ), f"{a.symbol}: meant {d.status}, usable {usable} (the harness is off)"
        STATS.feed_states[f"{a.feed_kind}:{d.status}{'' if balance else ' (empty)'}"] += 1
        values.append(v)
        caps.append(d.cap)
    STATS.checks["haircut value = documented rule"] += len(values)
    star = largest_fixed_point(values, caps)
    note(f"values {values}, caps {caps}, C* {star}")
    assert (
        total == star.numerator // star.denominator
    ), f"total {total} != floor(C*) = floor({star})"
    STATS.checks["total = floor(largest fixed point)"] += 1
    n_capped = 0
    for i, (v, cap) in enumerate(zip(values, caps, strict=True)):
        assert (
            counted[i] * BPS <= cap * total + BPS
        ), f"{desk.assets[i].symbol}: {counted[i]} above cap {cap} of {total}"
        assert counted[i] <= v
        at_cap = (cap * star).numerator // ((cap * star).denominator * BPS)
        assert counted[i] == min(
            v, at_cap
        ), f"{desk.assets[i].symbol}: counted {counted[i]}, min(v, cap*C*) = {min(v, at_cap)}"
        n_capped += counted[i] < v
    STATS.checks["counted_i*10000 <= cap_i*total + 10000"] += len(values)
    STATS.checks["counted_i <= haircut value_i"] += len(values)
    STATS.checks["counted_i = min(v_i, floor(cap_i*C*))"] += len(values)
    STATS.capped[n_capped] += 1
    assert read(reserve.collateralValue) == total
    ratio, supply = read(reserve.minCollateralRatioWad), read(desk.system.stablecoin.totalSupply)
    assert read(reserve.maxMintable) == max(total * WAD // ratio - supply, 0)
    STATS.checks["collateralValue and maxMintable agree"] += 1
    return {"total": total, "counted": counted, "values": values}


MODES = st.sampled_from(["random", "random", "proportional", "exact", "exact + 1"])


@given(mode=MODES, data=st.data())
def test_counted_values_respect_caps_and_the_total_is_the_largest_fixed_point(desk, mode, data):
    """Points 1-3 of the module doc, for random caps, haircuts, heartbeats, balances, prices
    and feed states of all 20 listed assets. Modes: "random"; "proportional" (every asset
    but the vault shares at 1.00, no haircut, holding m x its cap in whole tokens: C* is the
    sum when the caps add up to 100% or more, else 0); "exact" (the same with caps summing
    to exactly 100%: every asset exactly at its cap, the contract's strict comparison's
    edge); "exact + 1" (one asset one token unit above that)."""
    STATS.examples["caps (started)"] += 1
    STATS.modes[mode] += 1
    n = len(desk.assets)
    by_index = {}
    if mode == "random":
        draws = [draw_asset(data, a, mode, None, None) for a in desk.assets]
    else:
        chosen = data.draw(
            st.lists(st.integers(1, n - 1), min_size=1, max_size=n - 1, unique=True),
            label="assets held",
        )
        if mode == "proportional":
            caps = [data.draw(st.integers(100, BPS), label="cap") for _ in chosen]
        else:
            caps = exact_caps(data, len(chosen))
        m = data.draw(st.integers(1, 1_000), label="m")
        by_index = dict(zip(chosen, caps, strict=True))
        draws = []
        for i, a in enumerate(desk.assets):
            if i in by_index:
                draws.append(draw_asset(data, a, mode, by_index[i], by_index[i] * m))
            else:
                draws.append(Draw(BPS, 0, 7 * DAY, 0, 10**a.feed_decimals, "fresh", 0))
        if mode == "exact + 1":
            i = chosen[0]
            draws[i] = dataclasses.replace(draws[i], balance=draws[i].balance + 1)
    with isolated():
        moment = build(desk, draws)
        out = check_valuation(desk, draws, moment)
        if mode in ("exact", "proportional") and sum(by_index.values()) >= BPS:
            assert out["total"] == sum(out["values"]) and list(out["counted"]) == out["values"]
            STATS.checks["caps summing to >= 100%, values proportional: all counted"] += 1
        elif mode == "proportional":
            # Caps of what is held summing below 100%: f(C) < C for every C > 0, so C* = 0.
            assert out["total"] == 0 and not any(out["counted"])
            STATS.checks["caps summing to < 100%, values proportional: nothing counted"] += 1
    STATS.examples["caps"] += 1


# ====================================================================== no outsider halts issuance


@given(
    index=st.integers(1, len(EXTRA) + 1),
    dust=st.one_of(st.just(1), st.integers(1, 10**6)),
    minted=st.integers(0, 500_000),
    age=st.integers(0, 5 * DAY),
    data=st.data(),
)
def test_dust_of_an_unpriced_asset_never_halts_issuance(desk, index, dust, minted, age, data):
    """Point 4: an asset (SB30, the cash or an extra token) whose feed is unusable (stale,
    never reported, zero, negative, above uint128, from the future, updatedAt 0; what its
    feed type can present) counts zero, and mallory sending it `dust` units changes neither
    collateralValue(), nor the breakdown, nor maxMintable(): a mint of exactly maxMintable()
    passes, one unit more is refused with ReserveCollateralRatioTooLow. With a usable
    ("fresh") feed the same send never lowers anything."""
    STATS.examples["dust (started)"] += 1
    sys_, reserve, h = desk.system, desk.reserve, desk.system.holders
    asset = desk.assets[index]
    # What the asset's feed can present (SB30's stub has had an answer since deployment).
    kinds = ["fresh", "stale"] if asset.kind == "bond" else STATUSES[asset.feed_kind]
    kind = data.draw(
        st.one_of(st.sampled_from([k for k in kinds if k != "fresh"]), st.just("fresh")),
        label="feed",
    )
    STATS.feed_states[f"dust {asset.feed_kind}:{kind}"] += 1
    mallory, exchange = desk.mallory, desk.exchange
    with isolated():
        if minted:  # some supply first, while SB30 is priced
            send(reserve.mint, exchange, minted * WAD, ref("DUST-MINT"), sender=h.minter)
        feed = asset.feed
        if asset.kind == "stub" and kind in ("fresh", "stale"):
            governed(desk, [(feed, "forceReport", (10**asset.feed_decimals,))])  # its first answer
        if kind == "stale" and asset.feed_kind == "stub":
            mine_at(now() + DAY + 1 + age)  # past the stub's one-day heartbeat
        if asset.kind != "bond" or kind == "fresh":
            send(sys_.feeds["SB30"].report, 10**8, sender=h.oracle_reporter)  # SB30 fresh
        ts = now()
        if asset.feed_kind == "mock":
            at = {"stale": ts - DAY - 1 - age, "future": ts + 600 + age, "updated0": 0}.get(
                kind, ts
            )
            answer = {"zero": 0, "negative": -(10**8), "huge": MAX_ANSWER + 1}.get(
                kind, 10**asset.feed_decimals
            )
            if kind != "never":
                send(feed.set, answer, at, sender=h.central_bank)
        mine_at(now())
        before = (read(reserve.collateralValue), read(reserve.maxMintable), breakdown(reserve))
        status = read(reserve.assetStatus, asset.address)
        assert status[3] == (kind == "fresh"), (asset.symbol, kind, status)
        if asset.kind == "cash":
            send(desk.cash.mint, mallory, dust, sender=h.central_bank)
        else:
            send(asset.token.mint, mallory, dust, sender=mallory)
        send(asset.token.transfer, reserve.address, dust, sender=mallory)
        value, mintable, after = (
            read(reserve.collateralValue),
            read(reserve.maxMintable),
            breakdown(reserve),
        )
        _, haircuts, counted, total = after
        assert total == value
        if kind == "fresh":
            assert value >= before[0] and mintable >= before[1]
            STATS.checks["a usable asset sent: nothing counted falls"] += 1
        else:
            assert haircuts[index] == counted[index] == 0
            assert read(reserve.assetStatus, asset.address)[4] == 0
            assert (
                value,
                mintable,
                after,
            ) == before, f"{asset.symbol} ({kind}): {dust} units moved the valuation"
            STATS.checks["unusable feed + dust: valuation unchanged"] += 1
        if mintable:
            read(reserve.mint, exchange, mintable, ref("DUST-MAX"), by=h.minter)
            STATS.checks["a mint of maxMintable passes"] += 1
        supply = read(sys_.stablecoin.totalSupply)
        assert_reverts(
            "ReserveCollateralRatioTooLow", reserve.mint, exchange, mintable + 1, ref("DUST-OVER"),
            by=h.minter, collateralValueWad=value, supplyAfter=supply + mintable + 1,
        )  # fmt: skip
        STATS.checks["one unit more: ReserveCollateralRatioTooLow"] += 1
    STATS.examples["dust"] += 1


# ====================================================================== the reported case


def test_reported_case_bond_capped_at_half_beside_cash_counts_200_of_which_bond_100(desk):
    """900 of the SB30 bond capped at 50% (no haircut) beside 100 of settlement cash (no
    cap, no haircut), both priced 1.00, everything else empty: the counted total is 200,
    the bond counts 100 (50% of it) and the cash 100. Before the fix the cap applied to the
    total before capping: 600 counted, of which the bond 500 (83%)."""
    STATS.examples["reported case"] += 1
    reserve, h = desk.reserve, desk.system.holders
    bond = desk.assets[1]
    cash = next(a for a in desk.assets if a.kind == "cash")
    with isolated():
        send(
            reserve.withdrawCollateral,
            bond.address,
            h.reserve_manager.address,
            read(bond.token.balanceOf, reserve) - 900 * WAD,
            sender=h.reserve_manager,
        )
        send(
            reserve.withdrawCollateral,
            cash.address,
            h.reserve_manager.address,
            read(cash.token.balanceOf, reserve) - 100 * CASH,
            sender=h.reserve_manager,
        )
        governed(desk, [
            (reserve, "setCollateral", (bond.address, bond.feed.address, DAY, 0, 5_000)),
            (reserve, "setCollateral", (cash.address, cash.feed.address, DAY, 0, BPS)),
        ])  # fmt: skip
        send(bond.feed.report, 10**8, sender=h.oracle_reporter)
        send(cash.feed.set, 10**8, now(), sender=h.central_bank)
        mine_at(now())
        addresses, haircuts, counted, total = breakdown(reserve)
        i, j = addresses.index(bond.address), addresses.index(cash.address)
        assert haircuts[i] == 900 * WAD and haircuts[j] == 100 * WAD
        assert total == 200 * WAD == read(reserve.collateralValue)
        assert counted[i] == 100 * WAD and counted[j] == 100 * WAD
        assert sum(counted) == total
        assert largest_fixed_point([900, 100], [5_000, BPS]) == 200
    STATS.checks["reported case: 200 counted, bond 100"] += 1


# ====================================================================== the model alone


@given(
    values=st.lists(
        st.one_of(st.just(0), st.integers(1, 10**6), st.integers(1, 10**30)),
        min_size=1,
        max_size=MAX_ASSETS,
    ),
    caps=st.lists(
        st.one_of(st.sampled_from([100, 5_000, 10_000]), st.integers(100, BPS)),
        min_size=MAX_ASSETS,
        max_size=MAX_ASSETS,
    ),
)
def test_the_model_is_the_largest_fixed_point(values, caps):
    """The Python model on its own (no chain): C* is a fixed point, nothing above it is
    (f(C) < C a little above, and f(C) <= V < C beyond V), and it agrees with a bisection
    on rationals for the largest C with f(C) >= C (a third method)."""
    STATS.examples["model"] += 1
    caps = caps[: len(values)]
    star = largest_fixed_point(values, caps)

    def f(c):
        return sum(
            min(Fraction(v), Fraction(cap, BPS) * c) for v, cap in zip(values, caps, strict=True)
        )

    assert f(star) == star
    total = sum(values)
    above = star + max(star, Fraction(1)) / 10**9
    assert above > total or f(above) < above
    low, high = Fraction(0), Fraction(total)  # invariant: f(low) >= low; the answer is <= high
    if f(high) >= high:
        low = high
    for _ in range(200):
        if high - low <= max(high, Fraction(1)) / 10**12:
            break
        mid = (low + high) / 2
        if f(mid) >= mid:
            low = mid
        else:
            high = mid
    assert low <= star <= high or star == low
    STATS.checks["model: fixed point, maximal, agrees with bisection"] += 1
