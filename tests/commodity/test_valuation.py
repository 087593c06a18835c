"""Valuation through FX and proof of reserve: FxConvertedFeed and AttestedValueFeed,
and the reserve counting a commodity at zero once its attestation expires.

The model of every answer is written out in the test (price x rate in wad, the
window's lowest rate, the closed-market cut), never read back from the contract.
"""

from __future__ import annotations

import ape
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sovereign.attest import mint_arguments
from sovereign.units import text_to_bytes32
from tests.commodity.conftest import (
    DAY,
    HOUR,
    MAX_RATE,
    MIN_RATE,
    PKR_USD,
    T0,
    UNIT,
    WAD,
    XAU_USD,
    at,
    attest,
    bars,
    mine,
)
from tests.utils.audit import isolated

SPOT_VALUE = 2_400 * 280 * WAD  # one ounce: 2,400 USD x 280 per USD


def answer(feed) -> int:
    return feed.latestRoundData()[1]


def test_an_open_market_converts_price_times_rate(w):
    mine(T0)
    assert answer(w.gold_price) == SPOT_VALUE
    assert w.gold_price.rate() == (280 * WAD, 280 * WAD, T0 - HOUR, False)
    assert (w.gold_price.decimals(), w.gold_price.description()) == (18, "XAU / PKR")
    assert w.gold_price.latestRoundData()[3] == T0 - 2  # the price's time passes through


def test_a_rise_in_the_rate_counts_only_after_the_lag_a_fall_at_once(w):
    w.fx.setRound(2, PKR_USD, T0 - HOUR, sender=w.admin)  # round 2 as history
    w.fx.set(300 * 10**8, T0, sender=w.admin)  # round 3: the currency weakens to 300
    mine(T0 + 1)
    spot, used, _, _ = w.gold_price.rate()
    assert (spot, used) == (300 * WAD, 280 * WAD)  # 280 was in force within the last 24 h
    assert answer(w.gold_price) == SPOT_VALUE
    at(T0 + DAY + 1)
    w.xau.set(XAU_USD, T0 + DAY + 1, sender=w.admin)
    w.fx.setRound(3, 300 * 10**8, T0, sender=w.admin)
    w.fx.set(300 * 10**8, T0 + DAY + 1, sender=w.admin)  # round 4, the next fixing
    mine(T0 + DAY + 2)
    assert w.gold_price.rate()[1] == 300 * WAD  # 280 left the window a second ago
    w.fx.setRound(4, 300 * 10**8, T0 + DAY + 1, sender=w.admin)
    w.fx.set(250 * 10**8, T0 + DAY + 2, sender=w.admin)  # round 5: it strengthens
    mine(T0 + DAY + 3)
    assert w.gold_price.rate()[:2] == (250 * WAD, 250 * WAD)  # a fall counts at once


def test_a_stale_fx_rate_counts_zero(w):
    w.fx.set(PKR_USD, T0 - DAY - 1, sender=w.admin)  # Wednesday: 24-hour heartbeat
    mine(T0)
    assert w.gold_price.rate() == (0, 0, T0 - DAY - 1, False) and answer(w.gold_price) == 0


def test_an_inverted_fx_answer_counts_zero(w):
    w.fx.set(10**16 // 280, T0 - 1, sender=w.admin)  # USD per peg unit, 8 decimals
    mine(T0)
    assert w.gold_price.rate()[:2] == (0, 0) and answer(w.gold_price) == 0


def test_fx_decimals_are_read_not_assumed(project, w):
    fx18 = w.admin.deploy(project.MockAggregator, 18)
    fx18.set(280 * WAD, T0 - 1, sender=w.admin)
    feed = w.admin.deploy(
        project.FxConvertedFeed, w.xau, fx18, DAY, 3 * DAY, DAY, 0, 0, 500, MIN_RATE,
        MAX_RATE, "XAU / PKR (18)",
    )  # fmt: skip
    assert answer(feed) == SPOT_VALUE
    fx18.setDecimals(6, sender=w.admin)  # the same answer read with other decimals: out of bounds
    assert answer(feed) == 0
    fx18.setDecimals(19, sender=w.admin)
    assert answer(feed) == 0


def test_a_closed_market_accepts_an_older_rate_and_cuts_the_value(w):
    saturday = T0 + 3 * DAY + 6 * HOUR  # Saturday 18:00 UTC
    friday = T0 + 2 * DAY + 3 * HOUR  # Friday 15:00 UTC: 27 hours before
    at(friday)
    w.fx.set(PKR_USD, friday, sender=w.admin)
    at(saturday)
    w.xau.set(XAU_USD, saturday, sender=w.admin)
    mine(saturday + 1)
    assert w.gold_price.marketClosed(saturday) and not w.gold_price.marketClosed(friday)
    assert w.gold_price.rate() == (280 * WAD, 280 * WAD, friday, True)
    assert answer(w.gold_price) == SPOT_VALUE * 9_500 // 10_000
    monday = T0 + 5 * DAY  # Monday 12:00: open again, and 69 hours is stale
    at(monday)
    w.xau.set(XAU_USD, monday, sender=w.admin)
    mine(monday + 1)
    assert answer(w.gold_price) == 0


@pytest.mark.parametrize(
    "moment, closed",
    [
        (T0 + 2 * DAY + 9 * HOUR - 1, False),  # Friday 20:59:59
        (T0 + 2 * DAY + 9 * HOUR, True),  # Friday 21:00
        (T0 + 4 * DAY + 11 * HOUR - 1, True),  # Sunday 22:59:59
        (T0 + 4 * DAY + 11 * HOUR, False),  # Sunday 23:00
    ],
)
def test_the_weekly_closure_edges(w, moment, closed):
    assert w.gold_price.marketClosed(moment) is closed


def test_a_reverting_price_feed_counts_zero(project, w):
    broken = w.admin.deploy(
        project.FxConvertedFeed, w.ceilings, w.fx, DAY, 3 * DAY, DAY, 0, 0, 0, MIN_RATE,
        MAX_RATE, "broken",
    )  # fmt: skip
    assert broken.latestRoundData() == (1, 0, 0, 0, 1)


@settings(max_examples=20, deadline=None)
@given(
    spot=st.integers(150 * 10**8, 1_000 * 10**8),
    history=st.lists(st.integers(10**8, 3_000 * 10**8), min_size=0, max_size=5),
)
def test_the_conversion_never_values_above_spot(w, spot, history):
    """Whatever the rounds within the lag window (in bounds or not), the value is at most
    price x spot; with all in bounds it is price x the lowest of them. The window holds
    the history, the spot, and the fixture's round 2 (280, replaced inside the window)."""
    with isolated():
        w.fx.setRound(2, PKR_USD, T0 - DAY - 60, sender=w.admin)  # in force at the window start
        for k, rate in enumerate(history):  # rounds 3, 4, ... oldest first
            w.fx.set(rate, T0 - 60 * (len(history) - k), sender=w.admin)
            w.fx.setRound(3 + k, rate, T0 - 60 * (len(history) - k), sender=w.admin)
        w.fx.set(spot, ape.chain.blocks.head.timestamp, sender=w.admin)
        value = answer(w.gold_price)
    assert 0 <= value <= XAU_USD * spot * 10**10 // 10**8
    if all(150 * 10**8 <= r <= 1_000 * 10**8 for r in history):
        assert value == XAU_USD * min([spot, PKR_USD, *history]) * 10**10 // 10**8
    else:
        assert value == 0  # a window holding an out-of-bounds round has no rate


# ---------------------------------------------------------------- proof of reserve


def test_the_value_feed_counts_zero_without_a_live_attestation(w):
    mine(T0)
    assert answer(w.gold_value) == 0  # never attested
    lots = bars(2)
    attest(w, lots, expires_at=T0 + DAY)
    leaves, proof, flags = mint_arguments(lots, [0, 1])
    w.gold.mint(w.holder, leaves, proof, flags, sender=w.admin)
    mine(T0 + 100)
    assert answer(w.gold_value) == SPOT_VALUE
    price, live, attested, supply, value, _ = w.gold_value.valuation()
    assert (price, live, value) == (SPOT_VALUE, True, SPOT_VALUE)
    assert attested == supply == lots[0].quantity + lots[1].quantity
    mine(T0 + DAY)
    assert w.gold_value.valuation()[1:5] == (False, 0, supply, 0)  # no backing once expired


def test_an_attestation_below_the_supply_values_each_token_at_its_share(w):
    lots = bars(3)
    attest(w, lots)
    leaves, proof, flags = mint_arguments(lots, [0, 1, 2])
    w.gold.mint(w.holder, leaves, proof, flags, sender=w.admin)
    supply = w.gold.totalSupply()
    attest(w, lots[:2])  # a bar is missing at the next count
    short = lots[0].quantity + lots[1].quantity
    mine(ape.chain.blocks.head.timestamp + 1)
    assert answer(w.gold_value) == SPOT_VALUE * short // supply


@pytest.fixture
def gold_reserve(project, w):
    """A reserve over a 6-decimal cash, listing gold at its AttestedValueFeed (15% haircut)."""
    coin = w.admin.deploy(project.SovereignStablecoin, "Sovereign Shilling", "SSHL", w.manager)
    cash = w.admin.deploy(project.MockERC20, "Leone", "SLL", 6)
    reserve = w.admin.deploy(project.Reserve, w.manager, coin, cash, 102 * 10**16)
    coin.setReserve(reserve, sender=w.admin)
    reserve.setCollateral(w.gold, w.gold_value, DAY, 1_500, 10_000, sender=w.admin)
    return reserve


def test_the_reserve_counts_gold_until_its_attestation_expires_without_reverting(w, gold_reserve):
    reserve = gold_reserve
    lots = bars(2)
    attest(w, lots, expires_at=T0 + 2 * DAY)
    leaves, proof, flags = mint_arguments(lots, [0, 1])
    w.gold.mint(reserve, leaves, proof, flags, sender=w.admin)
    held = lots[0].quantity + lots[1].quantity
    mine(T0 + HOUR)
    counted = held * SPOT_VALUE // UNIT * 8_500 // 10_000
    assert reserve.collateralValue() == counted
    at(T0 + 2 * DAY)
    w.xau.set(XAU_USD, T0 + 2 * DAY, sender=w.admin)
    w.fx.set(PKR_USD, T0 + 2 * DAY, sender=w.admin)
    mine(T0 + 2 * DAY + 1)
    assert reserve.collateralValue() == 0  # expired: counted zero, and no revert
    balance, value, _, usable, counted_now = reserve.assetStatus(w.gold)
    assert (balance, value, usable, counted_now) == (held, 0, False, 0)


def test_a_rate_stale_before_the_close_stays_stale_over_the_weekend(w):
    """The review's M-3: Wednesday's fixing, 25 hours old on Thursday (stale), must not
    come back to life when the closure starts on Friday night."""
    friday_night = T0 + 2 * DAY + 10 * HOUR  # Friday 22:00 UTC, an hour into the closure
    at(friday_night - 1)
    w.xau.set(XAU_USD, friday_night - 1, sender=w.admin)
    mine(friday_night)
    assert w.gold_price.marketClosed(friday_night)
    assert w.gold_price.rate()[:2] == (0, 0) and answer(w.gold_price) == 0  # fixed T0 - 1 h


def test_a_rate_fresh_at_the_close_serves_the_weekend(w):
    friday = T0 + 2 * DAY + 8 * HOUR  # Friday 20:00, an hour before the close
    at(friday)
    w.fx.set(PKR_USD, friday, sender=w.admin)
    sunday = T0 + 4 * DAY + 10 * HOUR  # Sunday 22:00: 50 hours old, fresh at the close
    at(sunday)
    w.xau.set(XAU_USD, sunday, sender=w.admin)
    mine(sunday + 1)
    assert answer(w.gold_price) == SPOT_VALUE * 9_500 // 10_000


def test_more_rounds_in_the_window_than_can_be_read_give_no_rate(w):
    """The review's L-1: 17 reports at 280 within the hour would hide a 250 earlier in
    the 24-hour window; the walk gives up (no rate) rather than count the rise."""
    w.fx.setRound(2, 250 * 10**8, T0 - 2 * HOUR, sender=w.admin)
    with isolated():
        for k in range(17):  # rounds 3..19
            w.fx.set(PKR_USD, T0 - 60 * (17 - k), sender=w.admin)
            w.fx.setRound(3 + k, PKR_USD, T0 - 60 * (17 - k), sender=w.admin)
        assert w.gold_price.rate()[:2] == (280 * WAD, 0) and answer(w.gold_price) == 0
    with isolated():
        for k in range(10):
            w.fx.set(PKR_USD, T0 - 60 * (10 - k), sender=w.admin)
            w.fx.setRound(3 + k, PKR_USD, T0 - 60 * (10 - k), sender=w.admin)
        assert w.gold_price.rate()[:2] == (280 * WAD, 250 * WAD)


def test_a_round_the_feed_answers_without_a_time_ends_the_walk(w):
    """The review's L-2: an OCR2 aggregator answers zeros for a round across a phase
    boundary; that is the end of the history, not a zero rate."""
    w.fx.setRound(2, 0, 0, sender=w.admin)  # round 2: no data
    w.fx.set(PKR_USD, T0 - 1, sender=w.admin)  # round 3
    mine(T0)
    assert w.gold_price.rate()[:2] == (280 * WAD, 280 * WAD)


def test_fx_decimals_that_revert_count_zero_without_reverting(w):
    w.fx.setDecimalsRevert(True, sender=w.admin)
    mine(T0)
    assert answer(w.gold_price) == 0 and w.gold_price.spotValue()[0] == 0
    w.fx.setDecimalsRevert(False, sender=w.admin)
    w.xau.setDecimalsRevert(True, sender=w.admin)
    mine(T0 + 1)
    assert answer(w.gold_price) == 0
    assert w.gold_value.valuation()[4] == 0


@pytest.mark.parametrize(
    "low, high",
    [
        (WAD // 2, 2 * WAD),  # across 1: an inverted answer would pass
        (100 * WAD, 1_000 * WAD),  # a factor of 10: a decimals error would pass
        (0, WAD // 2),
    ],
)
def test_rate_bounds_that_cannot_catch_an_inverted_or_misscaled_answer_are_refused(
    project, w, low, high
):
    with ape.reverts(w.gold_price.FxInvalidParameter, name=text_to_bytes32("rateBounds")):
        w.admin.deploy(
            project.FxConvertedFeed, w.xau, w.fx, DAY, 3 * DAY, DAY, 0, 0, 0, low, high, "bad"
        )
