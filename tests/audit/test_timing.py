"""Timing: no deposit/withdrawal round trip timed around a value-moving event gains more
than rounding (issue 10, finding 3, as a general property).

The property, in plain words. An investor who buys vault shares just before something
moves the vault's value and sells them just after (in the same second, or a block either
side) gets back no more cash than it paid; and the holders who stayed are left with no
less value per share than if it had never come. The only thing a round trip may keep is
what time itself pays every holder: the bills' accretion over the seconds it held, at
its share, computed here from the bills' terms (cost, face, rate, maturity), never from
the vault's NAV code; in the same second that is zero, so there the bound is exact. The
same in reverse: a holder who sells before the event and buys back after ends with no
more cash and no more shares than it started with. For the reserve: a participant minted
coins just before a price report (or a move of the vault-share price the reserve reads
through VaultNavFeed) and redeeming just after gets par minus the fee for the coins it
redeems, whatever the price did, and the reserve's counted value is a function of the
prices and the balances it holds, which the round trip does not touch.

Value-moving events: a markdown set, raised, lowered or lifted (`setMarkdown` by the
oracle reporter); a price report (`ReportedPriceFeed.report`, SB30); a maturity (the
clock passing a lot's maturity, pool full, short, or the lot marked down); a default
after the grace period (`markDefault`, or the first redemption: the vault's
`redeemMatured` or an outside holder's `redeem`); a cure during the grace period
(`fundRepayment`, in full or in part); a `sync`.

How each example runs. A random ladder is built inside ``isolated()`` (1-3 series of
random discount and maturity, bought by the vault, pools funded in full, over, or short
by a random fraction, each series marked down at a random level 0..5000 bps; two
stayers; the attacker with or without shares beforehand). Then every event kind (and a
few more drawn at random) is played from that state twice, in nested snapshots: once with
the attacker's round trip (deposit or mint at t_d = t_e - 0, 1 or 12 s; the event at
t_e; redeem, or withdraw and redeem the dust, at t_r = t_e + 0, 1 or 12 s; or, holding
shares, the reverse order) and once without it. Same-second steps are consecutive blocks
with one timestamp (Anvil allows it).

The bound, exactly. T = totalSupply + 10**6 (OpenZeppelin's virtual shares) before the
deposit, h the attacker's shares then, s the shares its D bought, X the exit NAV at t_r
without the attacker, E_d the entry NAV at t_d, Acc the bills' accretion over [t_d, t_r]:
    s <= D·T/(E_d + 1)           (shares round down; a mint's cash rounds up: the same)
    X + D is the exit NAV at t_r with the attacker (its cash is idle cash)
    X <= E_d + ceil(Acc)         (exit <= entry; entry moves only with accretion, down at a default)
    out <= (h + s)·(X + D + 1)/(T + s) <= h·(X + 1)/T + D + s·ceil(Acc)/(T + s)
The first two lines give, in the same second (Acc = 0), out <= h·(X + 1)/T + D, and as D
is an integer the floors keep it: out <= floor(h·(X + 1)/T) + D, which is exactly what h
alone fetches without the round trip, plus D. So the one unit of rounding the issue allows
is not needed in the same second: the attacker gets at most its cash back, to the unit,
and (equal supplies afterwards) the stayers' totalAssets/totalSupply is at least as high.
With a gap of 1 or 12 s the allowance is ceil(s·ceil(Acc)/(T + s)): its share of the
accretion over those seconds, which its idle cash dilutes for the stayers by exactly the
same amount (time value, not the event). Every example asserts the exact fraction bound,
the integer gain bound, the stayers' per-share values (raw and with virtual shares, as
exact fractions), and the two mechanism claims (exit <= entry; entry moves only with
accretion). The reverse order needs no allowance: exit NAV at t_d <= entry NAV at t_r, so
buying back with the cash received returns at most the shares sold.

A summary (examples, round trips by event kind and sub-kind, timing, largest gain and
allowance seen) is written to reports/timing-<profile>.json (SOVEREIGN_PROFILE, default
quick) when the module finishes.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from fractions import Fraction
from types import SimpleNamespace

import ape
import pytest
from eth_utils import to_checksum_address
from hypothesis import given, note
from hypothesis import strategies as st

from sovereign.limits import GRACE_PERIOD
from sovereign.units import BPS, WAD
from tests.utils import ref
from tests.utils.audit import (
    assert_reverts,
    delayed,
    isolated,
    mine_at,
    model_assets,
    model_shares,
    read,
    send,
)
from tests.utils.constants import CASH, DAY, MAX, OFFSET, PROFILE, REPORTS

pytestmark = pytest.mark.xdist_group("audit-timing")

FEED_ONE = 10**8  # 1.00 on the 8-decimal SB30 feed

# ---------------------------------------------------------------- strategies

LEVEL = st.one_of(st.sampled_from([0, 5_000]), st.integers(0, 5_000))  # markdown [bps]
BILL = st.fixed_dictionaries(
    {
        "days": st.integers(2, 365),
        "price": st.integers(900_000, 999_000),  # cash per token: 0.1% .. 10% discount
        "amount": st.integers(1_000 * CASH, 100_000 * CASH),  # tokens the vault buys
        # the pool in bps of the outstanding face: full, over, or short by a random fraction
        "pool": st.sampled_from(["short", "full", "short", "over"]).flatmap(
            lambda mode: st.just(BPS if mode == "full" else 12_000 if mode == "over" else 0)
            if mode != "short"
            else st.integers(0, BPS - 1)
        ),
        "markdown": LEVEL,
        "outsider": st.one_of(st.just(0), st.integers(1, 50_000 * CASH)),  # tokens held outside
    }
)
LADDER = st.lists(BILL, min_size=1, max_size=3)
# Deposit: the same second (twice as likely), the block before, or a 12-second block before;
# the exit likewise after the event.
BEFORE = st.sampled_from([0, 0, 1, 12])
AFTER = st.sampled_from([0, 0, 1, 12])
KINDS = ("markdown", "report", "maturity", "default", "cure", "sync")
SIZE = st.one_of(
    st.just(700 * CASH), st.integers(1, 1_000), st.integers(1, 2_000_000 * CASH)
)  # cash a deposit brings (a mint asks for the shares this buys at par)

# ---------------------------------------------------------------- summary

STATS: dict = {
    "examples": Counter(),
    "round_trips": Counter(),
    "events": defaultdict(Counter),
    "timing": Counter(),
    "modes": Counter(),
    "skipped": Counter(),
    "reserve": defaultdict(Counter),
    "max_gain_units": None,
    "max_allowance_units": 0,
    "gapped_with_allowance": 0,
    "seconds": Counter(),
}


@contextmanager
def _timed(test: str):
    started = time.monotonic()
    try:
        yield
    finally:
        STATS["seconds"][test] += time.monotonic() - started


def _note_gain(gain: int, allowance: int) -> None:
    if STATS["max_gain_units"] is None or gain > STATS["max_gain_units"]:
        STATS["max_gain_units"] = gain
    STATS["max_allowance_units"] = max(STATS["max_allowance_units"], allowance)
    STATS["gapped_with_allowance"] += allowance > 0


@pytest.fixture(scope="module", autouse=True)
def timing_report():
    yield
    path = REPORTS / f"timing-{PROFILE}.json"
    path.parent.mkdir(exist_ok=True)
    summary = {
        "profile": PROFILE,
        "examples": dict(STATS["examples"]),
        "round_trips": dict(STATS["round_trips"]),
        "events_by_kind": {k: dict(v) for k, v in sorted(STATS["events"].items())},
        "timing": dict(STATS["timing"]),
        "modes": dict(STATS["modes"]),
        "skipped_no_short_pool": dict(STATS["skipped"]),
        "reserve_events_by_kind": {k: dict(v) for k, v in sorted(STATS["reserve"].items())},
        "max_gain_units": STATS["max_gain_units"],
        "max_accretion_allowance_units": STATS["max_allowance_units"],
        "round_trips_with_nonzero_allowance": STATS["gapped_with_allowance"],
        "seconds_per_test": {k: round(v, 1) for k, v in STATS["seconds"].items()},
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- chain helpers

_NONCES = itertools.count(1)


def at(ts: int, method, *args, sender):
    """Send ``method(*args)`` in a block stamped ``ts`` (may equal the last: the same second)."""
    ape.chain.provider.make_request("evm_setNextBlockTimestamp", [ts])
    return send(method, *args, sender=sender)


def head() -> int:
    """The latest block's timestamp."""
    ts = ape.chain.provider.make_request("eth_getBlockByNumber", ["latest", False])["timestamp"]
    return int(ts, 16) if isinstance(ts, str) else int(ts)


def fresh_registry_nonce(registry) -> None:
    """Series get addresses never used before in this run: Anvil (1.7.1) can run the old
    code of a contract created in a reverted snapshot when another is created at the same
    address (tests/utils/audit.py, deploy), and a series' terms are immutables."""
    nonce = 1_000_000 + 16 * next(_NONCES)
    ape.chain.provider.make_request("anvil_setNonce", [registry.address, hex(nonce)])


def create_series(c, code: str, ts: int, days: int, price: int):
    """A series of face 1.00 (6 decimals) issued at `ts`, maturing `days` later, its auction
    open at `price`; both steps in the second `ts`."""
    at(ts, c.registry.createSeries, code, 6, CASH, ts, ts + days * DAY, sender=c.debt_office)
    series = ape.project.TBillSeries.at(read(c.registry.seriesByCode, code))
    at(ts, c.registry.openAuction, series, price, 10**13, sender=c.debt_office)
    return series


class Lot(SimpleNamespace):
    """A vault lot as the vault reports it (accruingLots / maturedLots)."""

    @classmethod
    def of(cls, raw) -> Lot:
        series, maturity, purchased, markdown, amount, face, cost, rate = raw
        return cls(
            series=to_checksum_address(series),
            maturity=maturity,
            purchased=purchased,
            markdown=markdown,
            amount=amount,
            face=face,
            cost=cost,
            rate=rate,
        )


def accretion(lots, t_d: int, t_r: int, scale: int) -> Fraction:
    """The bills' accretion over [t_d, t_r], from their terms alone: each lot's unmarked
    accreted value (cost·S + rate·(t − purchasedAt))/S before maturity, face from it."""

    def u(lot, t):
        if t >= lot.maturity:
            return Fraction(lot.face)
        return Fraction(lot.cost * scale + lot.rate * (t - lot.purchased), scale)

    return sum((u(lot, t_r) - u(lot, t_d) for lot in lots), Fraction(0))


# ---------------------------------------------------------------- module set-up


@pytest.fixture(scope="module")
def c(
    accounts,
    system,
    compliance,
    central_bank,
    debt_office,
    vault_manager,
    reporter,
    minter,
    governor,
    exchange,
    bond,
    alice,
    bob,
    mallory,
):
    """The actors: alice and bob (stayers), the attacker (accounts[16]), a funder who cures
    pools (17) and an outside bill holder (18); KYC'd where they hold shares, 10,000,000
    cash each, approved to the vault. Nothing is deposited: each example builds its own."""
    attacker, funder, outsider = accounts[16], accounts[17], accounts[18]
    vault, cash = system.vault, system.cash
    for who in (alice, bob, attacker):
        send(vault.setAllowlisted, who, True, ref("KYC-TIMING"), sender=compliance)
    for who in (alice, bob, attacker, funder, outsider):
        send(cash.mint, who, 10_000_000 * CASH, sender=central_bank)
    for who in (alice, bob, attacker):
        send(cash.approve, vault, MAX, sender=who)
    return SimpleNamespace(
        system=system,
        vault=vault,
        cash=cash,
        registry=system.registry,
        reserve=system.reserve,
        coin=system.stablecoin,
        feed=system.feeds["SB30"],
        nav_feed=system.vault_feed,
        manager=system.manager,
        bond=bond,
        attacker=attacker,
        funder=funder,
        outsider=outsider,
        alice=alice,
        bob=bob,
        mallory=mallory,
        compliance=compliance,
        central_bank=central_bank,
        debt_office=debt_office,
        vault_manager=vault_manager,
        reporter=reporter,
        minter=minter,
        governor=governor,
        exchange=exchange,
        scale=read(vault.scale),
    )


# ====================================================================== the reported case


def test_markdown_lift_same_second__700_in_no_longer_852_out(c):
    """Attack: deposit 700 just before a 50% markdown is lifted, redeem after, in one second.
    Defence: deposits pay the entry NAV (no markdowns); 699.999999 out, the stayer keeps all."""
    vault, cash, attacker, alice = c.vault, c.cash, c.attacker, c.alice
    fresh_registry_nonce(c.registry)
    t0 = head() + 1
    # alice deposits 1,500; the vault buys 800 of a 91-day bill at 0.98 (cost 784) and the
    # reporter marks it down 50%; 30 days on, all in the second t1: the attacker deposits
    # 700, the markdown is lifted, the attacker redeems every share.
    at(t0, vault.deposit, 1_500 * CASH, alice, sender=alice)
    series = create_series(c, "TIMING-CASE", t0, 91, 980_000)
    at(t0, vault.buy, series, 800 * CASH, 980_000, sender=c.vault_manager)
    at(t0, vault.setMarkdown, series, 5_000, sender=c.reporter)
    t1 = t0 + 30 * DAY
    mine_at(t1)
    supply = read(vault.totalSupply)
    exit_nav, entry_nav = read(vault.totalAssets), read(vault.entryAssets)
    # NAV at t1 (S = 10**12): idle 716; the lot accretes from its cost 784 at
    # rate = floor(16·10**6·S / (91 days)) for 30 days: 789.274725 unmarked, and with the
    # 50% markdown (cost and rate halved, each floored) 394.637362.
    rate = (800 * CASH - 784 * CASH) * c.scale // (91 * DAY)
    unmarked = (784 * CASH * c.scale + rate * 30 * DAY) // c.scale
    marked = (392 * CASH * c.scale + rate // 2 * 30 * DAY) // c.scale
    assert supply == 1_500 * CASH * OFFSET
    assert entry_nav == 716 * CASH + unmarked == 1_505_274_725
    assert exit_nav == 716 * CASH + marked == 1_110_637_362
    # Before the fix the deposit paid the exit NAV: s = floor(700·(S + 10**6)/(exit + 1)),
    # and after the lift those shares fetched floor(s·(entry + 700 + 1)/(S + 10**6 + s)):
    # 852.568460 for 700 (the 852).
    d = 700 * CASH
    old_shares = model_shares(d, exit_nav, supply)
    assert model_assets(old_shares, entry_nav + d, supply + old_shares) == 852_568_460
    # Now the deposit pays the entry NAV, which the lift does not move:
    # s = floor(700·(S + 10**6)/(entry + 1)) and out = floor(s·(entry + 700 + 1)/(S + 10**6 + s))
    # <= 700, since s·(entry + 1) <= 700·(S + 10**6); the two floors cost one unit.
    cash0 = read(cash.balanceOf, attacker)
    at(t1, vault.deposit, d, attacker, sender=attacker)
    shares = read(vault.balanceOf, attacker)
    assert shares == model_shares(d, entry_nav, supply)
    at(t1, vault.setMarkdown, series, 0, sender=c.reporter)
    assert read(vault.totalAssets) == read(vault.entryAssets) == entry_nav + d  # lifted
    at(t1, vault.redeem, shares, attacker, attacker, sender=attacker)
    out = read(cash.balanceOf, attacker) - (cash0 - d)
    assert out == model_assets(shares, entry_nav + d, supply + shares) == 699_999_999
    # alice's shares are worth what they would be had the attacker never come (one unit more:
    # the attacker's rounding stays in the vault).
    assert read(vault.totalSupply) == supply
    assert read(vault.totalAssets) == entry_nav + 1


# ====================================================================== the vault


def _build_ladder(c, data, ladder, t0: int):
    """Stayers, the attacker's prior shares, the ladder, its pools and markdowns, all at t0."""
    vault, cash = c.vault, c.cash
    prior = data.draw(st.one_of(st.just(0), st.integers(1, 100_000 * CASH)), label="prior")
    need = sum(b["amount"] for b in ladder) + prior + 10_000 * CASH  # idle covers every exit
    alice_in = data.draw(st.integers(0, 500_000 * CASH), label="alice") + need
    bob_in = data.draw(st.one_of(st.just(0), st.integers(1, 300_000 * CASH)), label="bob")
    at(t0, vault.deposit, alice_in, c.alice, sender=c.alice)
    if bob_in:
        at(t0, vault.deposit, bob_in, c.bob, sender=c.bob)
    if prior:
        at(t0, vault.deposit, prior, c.attacker, sender=c.attacker)
    fresh_registry_nonce(c.registry)
    bills = []
    for i, spec in enumerate(ladder):
        series = create_series(c, f"TIMING-{i}", t0, spec["days"], spec["price"])
        at(t0, vault.buy, series, spec["amount"], spec["price"], sender=c.vault_manager)
        if spec["outsider"]:
            at(t0, cash.approve, series, MAX, sender=c.outsider)
            at(t0, series.buy, spec["outsider"], spec["price"], sender=c.outsider)
        outstanding = spec["amount"] + spec["outsider"]  # face 1.00: one cash unit per token unit
        pool = outstanding * spec["pool"] // BPS
        if pool:
            at(t0, cash.mint, series, pool, sender=c.central_bank)
        if spec["markdown"]:
            at(t0, vault.setMarkdown, series, spec["markdown"], sender=c.reporter)
        if pool < outstanding:
            at(t0, cash.approve, series, MAX, sender=c.funder)
        maturity = t0 + spec["days"] * DAY
        bills.append(
            SimpleNamespace(
                i=i,
                series=series,
                maturity=maturity,
                grace_end=maturity + GRACE_PERIOD,
                outstanding=outstanding,
                pool=pool,
                amount=spec["amount"],
                outsider=spec["outsider"],
                markdown=spec["markdown"],
            )
        )
    note(f"t0={t0} alice={alice_in} bob={bob_in} prior={prior} ladder={ladder}")
    return bills, prior


def _markdown_move(old: int, new: int, matured: bool) -> str:
    if matured:
        return "after maturity (no lot left to mark)"
    if new == old:
        return "unchanged"
    if old == 0:
        return "set"
    if new == 0:
        return "lifted"
    return "raised" if new > old else "lowered"


def _plan(data, kind: str, bills, t0: int, prior: int, lots):
    """One event of `kind` on the ladder with its timing and the attacker's trip, or None."""
    ev = SimpleNamespace(kind=kind, sub=kind)
    short = [b for b in bills if b.pool < b.outstanding]
    last = max(b.grace_end for b in bills)
    keys = sorted({t for b in bills for t in (b.maturity - 1, b.maturity, b.maturity + 1)})
    some_time = st.one_of(st.integers(t0 + 13, last + DAY), st.sampled_from(keys))
    before, after = data.draw(BEFORE, label="before"), data.draw(AFTER, label="after")
    if kind == "markdown":
        bill = data.draw(st.sampled_from(bills), label="bill")
        ev.bill, ev.level = bill, data.draw(LEVEL, label="level")
        ahead = st.integers(t0 + 13, bill.maturity - 1)
        ev.t_e = data.draw(
            st.sampled_from(["ahead", "ahead", "ahead", "any"]).flatmap(
                lambda when: ahead if when == "ahead" else some_time
            ),
            label="t_e",
        )
        ev.sub = _markdown_move(bill.markdown, ev.level, ev.t_e >= bill.maturity)
    elif kind == "report":
        ev.answer = data.draw(st.integers(FEED_ONE * 9 // 10, FEED_ONE * 11 // 10), label="answer")
        ev.t_e = data.draw(some_time, label="t_e")
    elif kind == "sync":
        ev.t_e = data.draw(some_time, label="t_e")
    elif kind == "maturity":
        bill = data.draw(st.sampled_from(bills), label="bill")
        ev.bill, ev.t_e = bill, bill.maturity
        before = data.draw(st.sampled_from([1, 12]), label="before")  # the clock is the event
        if bill.pool < bill.outstanding:
            ev.sub = "pool short"
        else:
            ev.sub = "marked down, pool full" if bill.markdown else "pool full"
    elif kind == "cure":
        if not short:
            STATS["skipped"][kind] += 1
            return None
        bill = data.draw(st.sampled_from(short), label="bill")
        gap = bill.outstanding - bill.pool
        ev.bill = bill
        ev.amount = data.draw(
            st.one_of(st.just(gap), st.integers(1, gap), st.integers(gap, 2 * gap)), label="cure"
        )
        ev.t_e = bill.maturity + data.draw(
            st.one_of(st.sampled_from([0, GRACE_PERIOD - 1]), st.integers(0, GRACE_PERIOD - 1)),
            label="into grace",
        )
        ev.sub = "full" if ev.amount >= gap else "partial"
    elif kind == "default":
        if not short:
            STATS["skipped"][kind] += 1
            return None
        bill = data.draw(st.sampled_from(short), label="bill")
        ev.bill = bill
        ev.t_e = bill.grace_end + data.draw(
            st.one_of(st.just(0), st.integers(0, 2 * DAY)), label="after grace"
        )
        supply = bill.outstanding
        how = ["markDefault"]
        if bill.amount * bill.pool // supply:
            how.append("vault redemption")
        if bill.outsider and bill.outsider * bill.pool // supply:
            how.append("holder redemption")
        ev.sub = data.draw(st.sampled_from(how), label="how")
        if ev.sub == "vault redemption":
            # redeemMatured syncs first: the stored matured lots (none yet), then the lots
            # matured by t_e in maturity order, as accruingLots lists them.
            matured = [lot for lot in lots if lot.maturity <= ev.t_e]
            ev.index = [lot.series for lot in matured].index(bill.series.address)
    ev.t_d, ev.t_r = ev.t_e - before, ev.t_e + after
    # The attacker's trip.
    orders = ["in-out", "out-in"] if prior else ["in-out"]
    trip = SimpleNamespace(
        order=data.draw(st.sampled_from(orders), label="order"),
        entry=data.draw(st.sampled_from(["deposit", "mint"]), label="entry"),
        exit=data.draw(st.sampled_from(["redeem", "withdraw"]), label="exit"),
        size=data.draw(SIZE, label="size"),
    )
    if trip.entry == "mint":
        trip.size *= OFFSET  # shares: about `size` cash at the first deposit's price
    note(
        f"{kind} ({ev.sub}) t_d={ev.t_d} t_e={ev.t_e} t_r={ev.t_r} trip={vars(trip)} "
        + ", ".join(
            f"{k}={v}" for k, v in vars(ev).items() if k in ("level", "answer", "amount", "index")
        )
        + (f" bill={ev.bill.i}" if hasattr(ev, "bill") else "")
    )
    return ev, trip


def _fire(c, ev) -> None:
    kind, t = ev.kind, ev.t_e
    if kind == "markdown":
        at(t, c.vault.setMarkdown, ev.bill.series, ev.level, sender=c.reporter)
    elif kind == "report":
        at(t, c.feed.report, ev.answer, sender=c.reporter)
    elif kind == "sync":
        at(t, c.vault.sync, sender=c.mallory)
    elif kind == "cure":
        at(t, ev.bill.series.fundRepayment, ev.amount, sender=c.funder)
    elif kind == "default":
        if ev.sub == "markDefault":
            at(t, ev.bill.series.markDefault, sender=c.mallory)
        elif ev.sub == "vault redemption":
            at(t, c.vault.redeemMatured, ev.index, sender=c.vault_manager)
        else:
            at(t, ev.bill.series.redeem, ev.bill.outsider, sender=c.outsider)
        assert read(ev.bill.series.defaulted)
    # maturity: the clock is the event


def _exit_all(c, ts: int, mode: str) -> None:
    """The attacker leaves with every share: redeem them, or withdraw the most it may
    (idle cash never binds here) and redeem the dust of shares left."""
    vault, a = c.vault, c.attacker
    shares = read(vault.balanceOf, a)
    if not shares:
        return
    if mode == "redeem":
        at(ts, vault.redeem, shares, a, a, sender=a)
        return
    most = read(vault.maxWithdraw, a)
    assert most == read(vault.previewRedeem, shares), "idle cash binds the exit"
    if most:
        at(ts, vault.withdraw, most, a, a, sender=a)
    rest = read(vault.balanceOf, a)
    if rest:
        at(ts, vault.redeem, rest, a, a, sender=a)


SNAP = {  # what each moment of a world records
    "d": ("exit", "entry", "supply", "shares", "cash"),
    "mid": ("shares", "cash"),
    "r": ("exit", "entry", "supply"),
    "end": ("exit", "supply", "shares", "cash"),
}


def _snap(c, r, tag: str) -> None:
    vault, a = c.vault, c.attacker
    views = {
        "exit": (vault.totalAssets,),
        "entry": (vault.entryAssets,),
        "supply": (vault.totalSupply,),
        "shares": (vault.balanceOf, a),
        "cash": (c.cash.balanceOf, a),
    }
    for name in SNAP[tag]:
        setattr(r, f"{name}_{tag}", read(*views[name]))


def _world(c, ev, trip):
    """Play the event, with the attacker's trip or (trip None) without it; the attacker's
    prior shares, if any, leave at t_r in the world without the trip (after `r` is read)."""
    r = SimpleNamespace()
    vault, a = c.vault, c.attacker
    with isolated():
        mine_at(ev.t_d)
        _snap(c, r, "d")
        if trip and trip.order == "in-out":
            if trip.entry == "deposit":
                at(ev.t_d, vault.deposit, trip.size, a, sender=a)
            else:
                at(ev.t_d, vault.mint, trip.size, a, sender=a)
        elif trip:  # out-in: sell everything before the event
            _exit_all(c, ev.t_d, trip.exit)
        _snap(c, r, "mid")
        _fire(c, ev)
        mine_at(ev.t_r)
        _snap(c, r, "r")
        if trip and trip.order == "out-in":  # buy back after it with the cash received
            received = r.cash_mid - r.cash_d
            if trip.entry == "deposit" and received:
                at(ev.t_r, vault.deposit, received, a, sender=a)
            elif trip.entry == "mint":
                at(ev.t_r, vault.mint, r.shares_d, a, sender=a)
        else:
            _exit_all(c, ev.t_r, trip.exit if trip else "redeem")
        _snap(c, r, "end")
    return r


def _check_in_out(c, ev, trip, w, wo, lots) -> None:
    paid = w.cash_d - w.cash_mid  # D
    bought = w.shares_mid - w.shares_d  # s
    out = w.cash_end - w.cash_mid
    out_alone = wo.cash_end - wo.cash_d  # what the prior shares fetch without the trip
    h, t_virtual, nav = wo.shares_d, wo.supply_d + OFFSET, wo.exit_r
    acc = accretion(lots, ev.t_d, ev.t_r, c.scale)
    allowance = Fraction(bought * math.ceil(acc), t_virtual + bought)
    gain = out - out_alone - paid
    msg = (
        f"{ev.kind} ({ev.sub}): in {paid} for {bought} shares at t_d={ev.t_d}, out {out} at "
        f"t_r={ev.t_r} (prior shares {h} fetch {out_alone} alone): gain {gain}, allowed "
        f"{math.ceil(allowance)} (accretion {float(acc):.3f} over {ev.t_r - ev.t_d} s)"
    )
    note(msg)
    assert paid > 0 and bought > 0, msg
    assert w.exit_r == nav + paid, "the deposit moved the NAV by more than its cash"
    # The mechanism (TBillVault's contract doc): exit <= entry; entry moves only with accretion.
    assert wo.exit_r <= wo.entry_r, "exit NAV above entry NAV"
    assert wo.entry_r - wo.entry_d <= math.ceil(acc), "entry NAV rose by more than accretion"
    # The attacker: exact, then in whole units.
    assert out <= Fraction(h * (nav + 1), t_virtual) + paid + allowance, msg
    assert gain <= math.ceil(allowance), msg
    # The stayers: equal supplies afterwards, per-share value not lower (exact fractions).
    assert w.supply_end == wo.supply_end > 0
    supply = w.supply_end
    slack = math.ceil(allowance)
    assert Fraction(w.exit_end, supply) >= Fraction(wo.exit_end - slack, supply), msg
    virtual = supply + OFFSET
    assert Fraction(w.exit_end + 1, virtual) >= Fraction(wo.exit_end + 1 - slack, virtual), msg
    _note_gain(gain, slack)


def _check_out_in(c, ev, trip, w, wo) -> None:
    received = w.cash_mid - w.cash_d
    paid = w.cash_mid - w.cash_end
    msg = (
        f"{ev.kind} ({ev.sub}): sold {w.shares_d} shares for {received} at t_d={ev.t_d}, "
        f"bought {w.shares_end} back for {paid} at t_r={ev.t_r}"
    )
    note(msg)
    assert w.exit_r == wo.exit_r - received
    assert w.exit_d <= wo.entry_r, "exit NAV before the event above the entry NAV after it"
    assert paid >= received, msg  # no cash gained ...
    assert w.shares_end <= w.shares_d, msg  # ... and no shares
    # The stayers, against the world where the attacker just held on.
    assert Fraction(w.exit_end, w.supply_end) >= Fraction(wo.exit_r, wo.supply_r), msg
    assert Fraction(w.exit_end + 1, w.supply_end + OFFSET) >= Fraction(
        wo.exit_r + 1, wo.supply_r + OFFSET
    ), msg
    _note_gain(received - paid, 0)


@given(ladder=LADDER, data=st.data())
def test_vault_round_trip_around_every_value_moving_event_gains_nothing(c, ladder, data):
    """Attack: deposit (or mint) just before any value-moving event, redeem (or withdraw)
    just after; or sell before and buy back after. Defence: entry NAV >= exit NAV, and no
    event lifts the exit NAV above the entry NAV it was bought at (see the module doc)."""
    STATS["examples"]["vault"] += 1
    with _timed("vault"), isolated():
        t0 = head() + 1
        bills, prior = _build_ladder(c, data, ladder, t0)
        lots = [Lot.of(raw) for raw in read(c.vault.accruingLots)]
        lots += [Lot.of(raw) for raw in read(c.vault.maturedLots)]
        kinds = list(data.draw(st.permutations(KINDS), label="kinds"))
        kinds += data.draw(st.lists(st.sampled_from(KINDS), max_size=2), label="extra kinds")
        for kind in kinds:
            planned = _plan(data, kind, bills, t0, prior, lots)
            if planned is None:
                continue
            ev, trip = planned
            with_trip = _world(c, ev, trip)
            without = _world(c, ev, None)
            if trip.order == "in-out":
                _check_in_out(c, ev, trip, with_trip, without, lots)
            else:
                _check_out_in(c, ev, trip, with_trip, without)
            STATS["round_trips"]["vault"] += 1
            STATS["events"][kind][ev.sub] += 1
            gap = (ev.t_e - ev.t_d, ev.t_r - ev.t_e)
            STATS["timing"][
                "same second" if gap == (0, 0) else f"deposit -{gap[0]} s, exit +{gap[1]} s"
            ] += 1
            STATS["modes"][f"{trip.order} {trip.entry}/{trip.exit}"] += 1
            STATS["modes"]["with prior shares" if prior else "no prior shares"] += 1


# ====================================================================== the reserve


class _Handles:
    """The reserve's listed assets with their configuration and feeds (fixed in this
    module: nothing here lists, re-configures or removes an asset)."""

    def __init__(self, c):
        tokens = {x.address: x for x in (c.vault, c.bond, c.cash)}
        feeds = {x.address: x for x in (c.feed, c.nav_feed)}
        # The system's commodity tokens (none held here) with their AttestedValueFeeds.
        for commodity in c.system.commodity.commodities.values():
            tokens[commodity.token.address] = commodity.token
            feeds[commodity.value_feed.address] = commodity.value_feed
        self.assets = []
        for asset in map(to_checksum_address, read(c.reserve.collateralAssets)):
            feed, heartbeat, haircut, cap, decimals, listed = read(
                c.reserve.collateralConfig, asset
            )
            assert listed
            oracle = feeds[to_checksum_address(feed)]
            self.assets.append(
                SimpleNamespace(
                    token=tokens[asset],
                    feed=oracle,
                    heartbeat=heartbeat,
                    haircut=haircut,
                    cap=cap,
                    scale=decimals + read(oracle.decimals),
                )
            )


def model_collateral_value(c, handles, now: int) -> int:
    """Reserve.collateralValue() recomputed from the balances and the feeds' answers: the
    haircut value of each listed asset (zero without a usable price), then the water-filling
    of the concentration caps, as the NatSpec of collateralValue states it."""
    values, caps = [], []
    for a in handles.assets:
        balance = read(a.token.balanceOf, c.reserve.address)
        _, answer, _, updated, _ = read(a.feed.latestRoundData)
        usable = 0 < answer <= 2**128 - 1 and 0 < updated <= now and now - updated <= a.heartbeat
        value = 0
        if balance and usable:
            value = (
                balance * answer // 10 ** (a.scale - 18)
                if a.scale >= 18
                else balance * answer * 10 ** (18 - a.scale)
            )
            value = value * (BPS - a.haircut) // BPS
        values.append(value)
        caps.append(a.cap)
    capped, uncapped, capped_bps = [False] * len(values), sum(values), 0
    added = True
    while added:
        added, room = False, BPS - capped_bps
        for i, value in enumerate(values):
            if not capped[i] and value * room > caps[i] * uncapped:
                capped[i], added = True, True
                uncapped -= value
                capped_bps += caps[i]
    return uncapped * BPS // (BPS - capped_bps)


RESERVE_KINDS = ("bond report", "vault markdown", "vault maturity")


@given(data=st.data())
def test_reserve_mint_then_redeem_around_a_price_move_pays_par_minus_fee(c, data):
    """Attack: have coins minted just before a price report (or a move of the vault-share
    price), redeem just after. Defence: redemption pays par minus the fee, never a price;
    the counted value is a function of prices and holdings the round trip does not touch."""
    STATS["examples"]["reserve"] += 1
    reserve, cash, vault = c.reserve, c.cash, c.vault
    handles = _Handles(c)
    with _timed("reserve"), isolated():
        fee = data.draw(st.one_of(st.just(0), st.integers(0, 100)), label="fee bps")
        if fee:
            delayed(c.manager, reserve, "setRedemptionFee", fee, sender=c.governor)
        t0 = head() + 1
        p0 = data.draw(st.integers(FEED_ONE * 95 // 100, FEED_ONE * 105 // 100), label="p0")
        at(t0, c.feed.report, p0, sender=c.reporter)
        # The reserve holds vault shares (alice deposits for it); the vault holds one bill.
        days = data.draw(st.integers(2, 200), label="days")
        price = data.draw(st.integers(900_000, 999_000), label="price")
        amount = data.draw(st.integers(1_000 * CASH, 100_000 * CASH), label="bill")
        pool_bps = data.draw(st.one_of(st.just(BPS), st.integers(0, BPS - 1)), label="pool")
        level = data.draw(LEVEL, label="markdown")
        deposit = amount + data.draw(st.integers(1_000 * CASH, 400_000 * CASH), label="deposit")
        at(t0, vault.deposit, deposit, reserve.address, sender=c.alice)
        fresh_registry_nonce(c.registry)
        series = create_series(c, "TIMING-R", t0, days, price)
        at(t0, vault.buy, series, amount, price, sender=c.vault_manager)
        if amount * pool_bps // BPS:
            at(t0, cash.mint, series, amount * pool_bps // BPS, sender=c.central_bank)
        if level:
            at(t0, vault.setMarkdown, series, level, sender=c.reporter)
        prior = data.draw(st.one_of(st.just(0), st.integers(1, 50_000 * WAD)), label="prior")
        if prior:
            at(t0, reserve.mint, c.exchange, prior, ref("TIMING-PRIOR"), sender=c.minter)
        maturity = t0 + days * DAY
        note(
            f"fee={fee} p0={p0} bill={amount}@{price} {days}d pool={pool_bps} md={level} "
            f"deposit={deposit} prior={prior}"
        )
        for kind in data.draw(st.permutations(RESERVE_KINDS), label="kinds"):
            after = data.draw(AFTER, label="after")
            if kind == "vault maturity":  # the clock is the event: the mint is before it
                before = data.draw(st.sampled_from([1, 12]), label="before")
                t_e, move = maturity, None
            else:
                before = data.draw(BEFORE, label="before")
                t_e = t0 + data.draw(st.integers(13, 3_600), label="t_e")
                if kind == "bond report":  # within 10% of every answer in the window (p0, 1.00)
                    low = max(a - a // 10 for a in (p0, FEED_ONE))
                    high = min(a + a // 10 for a in (p0, FEED_ONE))
                    move = data.draw(st.integers(low, high), label="answer")
                else:
                    move = data.draw(LEVEL, label="new markdown")
            t_d, t_r = t_e - before, t_e + after
            mint_bps = data.draw(st.integers(1, BPS), label="mint bps of room")
            redeem = data.draw(
                st.one_of(st.just("all"), st.integers(1, BPS), st.integers(1, 3 * 10**12)),
                label="redeem",
            )
            note(
                f"{kind}: move={move} t_d={t_d} t_e={t_e} t_r={t_r} mint={mint_bps} redeem={redeem}"
            )
            args = (c, handles, kind, move, series, t_d, t_e, t_r, p0, mint_bps, redeem)
            w = _reserve_world(*args, moved=True)
            # The world where the price stays (a maturity happens in both: no second world).
            still = w if kind == "vault maturity" else _reserve_world(*args, moved=False)
            # Par minus fee, whatever the price did: the same payout in both worlds.
            assert w.payout == still.payout and w.burned == still.burned
            gross = w.asked // 10**12  # Reserve.cashUnit: 6-decimal cash
            fee_units = -(-gross * fee // BPS)
            if w.refused:
                assert w.payout == 0 and w.burned == 0
            else:
                assert w.payout == gross - fee_units and w.burned == gross * 10**12
                assert w.payout * 10**12 * BPS <= w.asked * (BPS - fee)  # at most par minus fee
            STATS["round_trips"]["reserve"] += 1
            STATS["reserve"][kind]["refused (pays nothing)" if w.refused else "redeemed"] += 1
            STATS["reserve"][kind]["price moved" if w.value_moved else "price unchanged"] += 1


def _reserve_world(c, handles, kind, move, series, t_d, t_e, t_r, p0, mint_bps, redeem, moved):
    reserve, coin, cash, vault, ex = c.reserve, c.coin, c.cash, c.vault, c.exchange
    r = SimpleNamespace(refused=False)
    with isolated():
        if kind == "vault maturity":  # keep the bond's price fresh across the days waited
            at(t_d - 1, c.feed.report, p0, sender=c.reporter)
        mine_at(t_d)
        holdings = (read(c.bond.balanceOf, reserve), read(vault.balanceOf, reserve))
        value0 = read(reserve.collateralValue)
        assert value0 == model_collateral_value(c, handles, t_d)
        room = min(read(reserve.maxMintable), 400_000 * WAD)
        minted = room * mint_bps // BPS
        if minted:
            at(t_d, reserve.mint, ex, minted, ref("TIMING-MINT"), sender=c.minter)
        assert read(reserve.collateralValue) == value0  # a mint adds no collateral
        if moved and kind == "bond report":
            at(t_e, c.feed.report, move, sender=c.reporter)
        elif moved and kind == "vault markdown":
            at(t_e, vault.setMarkdown, series, move, sender=c.reporter)
        else:  # no report, or the clock passing the bill's maturity (in both worlds)
            mine_at(t_e)
        # The vault-share price the reserve reads is the vault's exit NAV per share.
        nav, supply = read(vault.totalAssets), read(vault.totalSupply)
        assert read(c.nav_feed.latestRoundData)[1] == model_assets(10**12, nav, supply) * 10**12
        value1 = read(reserve.collateralValue)
        assert value1 == model_collateral_value(c, handles, t_e)
        r.value_moved = value1 != value0
        mine_at(t_r)
        value2 = read(reserve.collateralValue)
        assert value2 == model_collateral_value(c, handles, t_r)
        balance = read(coin.balanceOf, ex)
        asked = (
            balance
            if redeem == "all"
            else min(balance, balance * redeem // BPS if redeem <= BPS else redeem)
        )
        r.asked = asked
        cash0, coins0 = read(cash.balanceOf, ex), balance
        unit = read(reserve.cashUnit)
        gross = asked // unit
        fee = read(reserve.redemptionFeeBps)
        if asked == 0:
            r.refused = True
        elif gross == 0:
            assert_reverts(
                reserve.ReserveAmountBelowCashUnit,
                reserve.redeem,
                asked,
                ref("TIMING-REDEEM"),
                by=ex,
                amount=asked,
                unit=unit,
            )
            r.refused = True
        elif gross - (-(-gross * fee // BPS)) == 0:
            assert_reverts(
                reserve.ReserveRedemptionPaysNothing,
                reserve.redeem,
                asked,
                ref("TIMING-REDEEM"),
                by=ex,
                amount=asked,
            )
            r.refused = True
        else:
            at(t_r, reserve.redeem, asked, ref("TIMING-REDEEM"), sender=ex)
        r.payout = read(cash.balanceOf, ex) - cash0
        r.burned = coins0 - read(coin.balanceOf, ex)
        # Cash is not a listed asset here: the redemption leaves the counted value as it was.
        assert read(reserve.collateralValue) == value2 == model_collateral_value(c, handles, t_r)
        assert (read(c.bond.balanceOf, reserve), read(vault.balanceOf, reserve)) == holdings
    return r
