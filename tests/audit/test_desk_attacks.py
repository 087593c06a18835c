"""Attacks on the bank-run brake, each from an attacker's point of view: what it does,
what it gains, what it pays (tests/redemption/conftest.py's braked world; ``p[3]`` is
the attacker, a licensed participant like the others).

- griefing the bucket: redeeming at once up to its own limit to make the others queue;
- many tiny requests, to make the keeper loop or to crowd the queue;
- front-running a refill: a request made on seeing cash arrive;
- cancel-and-requeue, to reset a place or to take a larger share of a round.
"""

from __future__ import annotations

import ape
import pytest

from sovereign import governance
from tests.redemption import conftest as desk_world
from tests.redemption.conftest import CASH_UNIT, WAD
from tests.utils import ref, travel

world = desk_world.world  # the fixture, shared
pytestmark = pytest.mark.xdist_group("audit-desk-attacks")
HOUR, DAY = 3_600, 86_400


def coins(n: int) -> int:
    return n * WAD


def fraction_paid(desk, rid) -> float:
    _, amount, _, _, unpaid, _, _ = desk.request(rid)
    return (amount - unpaid) / amount


def short_of_cash(w, keep: int) -> None:
    """The reserve keeps ``keep`` of cash: the rest moved out by its manager."""
    left = w.cash.balanceOf(w.reserve)
    w.reserve.withdrawCollateral(w.cash, w.p[0], left - keep * 10**6,
                                 sender=w.system.holders.reserve_manager)  # fmt: skip


def test_griefing_the_bucket__costs_the_fee__and_buys_no_priority(world):
    w, attacker, victims = world, world.p[3], world.p[:3]
    governance.call(
        w.system.manager, w.reserve, "setRedemptionFee", 50, sender=w.governor, travel=True
    )
    # The attacker redeems at once all its own day allows: the hour's bucket is near empty.
    own = w.desk.buckets(attacker).ownRoom
    cash0 = w.cash.balanceOf(attacker)
    assert w.desk.redeem(own, ref("GRIEF"), sender=attacker).return_value == 0
    paid = w.cash.balanceOf(attacker) - cash0
    assert paid == (own // CASH_UNIT) * 9_950 // 10_000  # it paid the fee on all of it
    # The others queue, and so does the attacker's next redemption: its own day is spent.
    ids = [w.desk.redeem(coins(20_000), ref(f"V-{i}"), sender=v).return_value
           for i, v in enumerate(victims)]  # fmt: skip
    again = w.desk.redeem(coins(20_000), ref("GRIEF-2"), sender=attacker).return_value
    assert all(ids) and again
    # An hour later the bucket has refilled: one round pays every request the same share.
    travel(HOUR)
    w.desk.process(100, sender=w.p[0])
    fractions = [fraction_paid(w.desk, i) for i in [*ids, again]]
    assert max(fractions) - min(fractions) < 1e-12
    assert fractions[0] > 0.5  # the victims waited an hour, not a day


def test_many_tiny_requests__bounded_per_participant__and_the_keeper_admits_by_pages(world):
    w, attacker, honest = world, world.p[3], world.p[0]
    first = w.desk.requestRedeem(coins(50_000), ref("HONEST"), sender=honest).return_value
    for i in range(8):  # as many open requests as one participant may have
        w.desk.requestRedeem(coins(1_000), ref(f"TINY-{i}"), sender=attacker)
    with ape.reverts(w.desk.DeskTooManyOpen):
        w.desk.requestRedeem(coins(1_000), ref("TINY-8"), sender=attacker)
    with ape.reverts(w.desk.DeskBelowMinimum):
        w.desk.requestRedeem(coins(1_000) - 1, ref("TINY-DUST"), sender=w.p[1])
    travel(HOUR)
    # A keeper admitting 3 at a time pays no round until all are in: none is left out.
    gas = []
    while True:
        receipt = w.desk.process(3, sender=w.p[1])
        gas.append(receipt.gas_used)
        if receipt.return_value.paidCoins:
            break
    assert len(gas) == 3  # 9 requests, 3 a call
    assert fraction_paid(w.desk, first) == pytest.approx(fraction_paid(w.desk, first + 1))
    # The honest request did not wait behind the crowd: it was paid in the same round.
    assert fraction_paid(w.desk, first) > 0


def test_front_running_a_refill__the_new_request_is_not_in_that_round(world):
    w, early, attacker = world, world.p[0], world.p[3]
    short_of_cash(w, 0)
    old = w.desk.requestRedeem(coins(40_000), ref("OLD"), sender=early).return_value
    travel(HOUR)
    w.desk.process(100, sender=w.p[1])  # admitted; nothing paid, no cash
    # Cash is about to arrive; the attacker asks first, in the block before the round.
    late = w.desk.requestRedeem(coins(40_000), ref("FRONT"), sender=attacker).return_value
    w.cash.mint(w.reserve, 40_000 * 10**6, sender=w.system.holders.central_bank)
    w.desk.process(100, sender=w.p[1])
    assert fraction_paid(w.desk, old) == 1.0
    assert fraction_paid(w.desk, late) == 0.0  # too young to join: all the cash went ahead


def test_cancel_and_requeue__only_after_a_week__and_only_to_the_back(world):
    w, attacker, honest = world, world.p[3], world.p[0]
    short_of_cash(w, 0)
    mine = w.desk.requestRedeem(coins(40_000), ref("MINE"), sender=attacker).return_value
    theirs = w.desk.requestRedeem(coins(40_000), ref("THEIRS"), sender=honest).return_value
    with ape.reverts(w.desk.DeskCancelTooEarly):
        w.desk.cancel(mine, sender=attacker)
    travel(HOUR)
    w.desk.process(100, sender=w.p[1])
    w.cash.mint(w.reserve, 20_000 * 10**6, sender=w.system.holders.central_bank)
    w.desk.process(100, sender=w.p[1])  # both paid a quarter
    travel(7 * DAY)
    w.feed.report(10**8, sender=w.system.holders.oracle_reporter)  # else stale: limits at floor
    held = w.coin.balanceOf(attacker)
    w.desk.cancel(mine, sender=attacker)
    assert w.coin.balanceOf(attacker) - held == pytest.approx(coins(30_000), abs=2)
    again = w.desk.requestRedeem(coins(30_000), ref("MINE-AGAIN"), sender=attacker).return_value
    w.cash.mint(w.reserve, 30_000 * 10**6, sender=w.system.holders.central_bank)
    w.desk.process(100, sender=w.p[1])  # the requeued one is too young: theirs is paid
    assert fraction_paid(w.desk, theirs) == 1.0
    assert fraction_paid(w.desk, again) == 0.0
