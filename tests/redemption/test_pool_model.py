"""ProRataPool and OutflowBuckets against exact models (Python fractions), through the
test-only PoolProbe: random sequences of admissions, partial and full rounds (some
leaving less than 10^-18 of the pool, so that the product changes scale) and
cancellations.

The model keeps each batch's unpaid coins and earned cash exactly: a round paying x of
the pool's r coins for c of cash leaves every batch (r - x) / r of what it had unpaid
and gives it its unpaid share of c. The contract must never report more than the model
(it rounds down: it may never owe what it does not hold), and never less than the
model by more than its rounding (a few units per round, or 10^-18 of the batch once its
product has changed scale twice)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

P_UNIT = 10**36

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("admit"), st.integers(1, 10**30)),
        st.tuples(st.just("pay"), st.integers(0, 24), st.integers(1, 10**12)),
        st.tuples(st.just("full"), st.integers(1, 10**12)),
        st.tuples(st.just("cancel"), st.integers(0, 50)),
    ),
    min_size=1,
    max_size=25,
)


@pytest.fixture(scope="module")
def probe_type(project):
    return project.PoolProbe


def _check(probe, batches, cash_in):
    """Invariants: unpaid and earned never above the model, within rounding below it."""
    pool = probe.remaining()
    total_unpaid = total_earned = 0
    for b, (amount, unpaid, earned, _) in batches.items():
        got_unpaid = probe.remainingOf(b, amount)
        got_earned = probe.earnedOf(b, amount)
        assert got_unpaid <= unpaid, (b, got_unpaid, float(unpaid))
        assert got_unpaid >= int(unpaid) - amount // 10**17 - 2, (b, got_unpaid, float(unpaid))
        assert got_earned <= earned, (b, got_earned, float(earned))
        assert got_earned >= int(earned) - 64 - int(earned) // 10**15, (
            b,
            got_earned,
            float(earned),
        )
        total_unpaid += got_unpaid
        total_earned += got_earned
    assert total_unpaid <= pool
    assert total_earned <= cash_in


@settings(max_examples=40, deadline=None)
@given(ops=OPS)
def test_the_pool_never_owes_more_than_it_holds_and_pays_every_coin_alike(
    probe_type, accounts, ops
):
    probe = probe_type.deploy(sender=accounts[0])
    batches: dict[int, list] = {}  # batch -> [amount, unpaid (exact), earned (exact), live]
    cash_in = 0
    for op in ops:
        pool = probe.remaining()
        live = {b: v for b, v in batches.items() if v[3]}
        if op[0] == "admit":
            b = len(batches)
            probe.admit(b, op[1], sender=accounts[0])
            batches[b] = [op[1], Fraction(op[1]), Fraction(0), True]
        elif op[0] in ("pay", "full") and pool:
            full = op[0] == "full"
            x = pool if full else pool - max(1, pool // 10 ** op[1])
            cash = op[-1]
            probe.pay(x, cash, full, sender=accounts[0])
            cash_in += cash
            for v in live.values():
                v[2] += v[1] * cash / pool
                v[1] = Fraction(0) if full else v[1] * (pool - x) / pool
        elif op[0] == "cancel" and live:
            b = sorted(live)[op[1] % len(live)]
            amount = batches[b][0]
            probe.withdraw(probe.remainingOf(b, amount), sender=accounts[0])
            batches[b][3] = False  # its earnings are frozen from here (the desk pays them)
            batches.pop(b)
        _check(probe, {b: v for b, v in batches.items() if v[3]}, cash_in)


def test_a_round_leaving_less_than_a_quintillionth__changes_scale__and_counts_on(
    probe_type, accounts
):
    probe = probe_type.deploy(sender=accounts[0])
    probe.admit(0, 10**30, sender=accounts[0])
    probe.pay(10**30 - 10**11, 10**6, False, sender=accounts[0])  # leaves 10^-19 of it
    p, epoch, scale = probe.position()
    assert (epoch, scale) == (0, 1) and p == P_UNIT * 10**11 // 10**30 * 10**18
    assert probe.remainingOf(0, 10**30) == 10**11  # one scale behind: still exact
    probe.admit(1, 10**20, sender=accounts[0])
    probe.pay(probe.remaining() // 2, 10**6, False, sender=accounts[0])
    assert probe.remainingOf(1, 10**20) == 10**20 // 2


def test_a_product_that_would_round_to_zero__is_kept_at_one(probe_type, accounts):
    probe = probe_type.deploy(sender=accounts[0])
    probe.admit(0, 10**40, sender=accounts[0])
    probe.pay(10**40 - 10**22, 1, False, sender=accounts[0])  # the product falls to 10^18
    assert probe.position()[0] == 10**18
    probe.admit(1, 10**40, sender=accounts[0])  # past 10^18 whole coins in the pool
    probe.pay(probe.remaining() - 1, 1, False, sender=accounts[0])
    assert probe.position()[0] == 1  # never zero: what is unpaid is never taken for paid
    assert probe.remaining() == 1


def test_two_scales_behind__counted_paid(probe_type, accounts):
    probe = probe_type.deploy(sender=accounts[0])
    probe.admit(0, 10**30, sender=accounts[0])
    for _ in range(2):
        pool = probe.remaining()
        probe.admit(1 + _, 10**30, sender=accounts[0])  # keeps the pool alive
        probe.pay(probe.remaining() - probe.remaining() // 10**19, 1, False, sender=accounts[0])
        del pool
    assert probe.position()[2] >= 2
    assert probe.remainingOf(0, 10**30) == 0


def test_a_bucket_whose_capacity_fell_below_its_use__has_no_room(probe_type, accounts):
    probe = probe_type.deploy(sender=accounts[0])
    probe.take(1_000, 3_600, 900, sender=accounts[0])
    assert probe.roomAt(1_000, 3_600) >= 100
    assert probe.roomAt(500, 3_600) == 0  # tightened below what is used: nothing left
