"""Stateful invariants of the redemption desk (the bank-run brake): a hypothesis
RuleBasedStateMachine drives tests/redemption/conftest.py's braked world (four
participants redeeming and requesting random amounts, keepers processing with random
admission bounds, claims, cancellations, cash arriving and leaving, prices moving, the
clock) and checks the chain against a ledger kept from the events after every step.

The expectations are written from the documented rules (README, "The bank-run brake"),
not from the code:
- a request below the minimum is refused; a redemption is paid at once only when the
  room would also pay everything queued; a claim succeeds only on an admitted request;
  a cancel only by its owner, on a pending or admitted request, from 7 days after it
  was made;
- a mint past the reserve's room is refused and one within it passes, whatever is queued.

Invariants after every step:
1. no request is paid ahead of an earlier one: requests are admitted in order (none
   pending before an admitted one), and an earlier request's paid fraction is never
   below a later one's (cancelled ones aside);
2. queued coins cannot be moved: the desk holds exactly the coins taken in, less those
   burned by the reserve and those returned on cancel, and at least what is unpaid;
3. supply counts queued coins until they are paid: the supply is the initial supply
   less the coins the reserve burned for the desk (plus what was minted);
4. a bucket never exceeds its capacity: every outflow fitted the room the bucket had,
   and no bucket's room is above its capacity;
5. cash is conserved: the desk holds exactly the cash the rounds brought less what was
   claimed, and at least what every request can claim;
6. the ratio check still holds (the mint rule above) and a redemption never lowers the
   ratio (the cash paid is not counted collateral in this world).
"""

from __future__ import annotations

from collections import Counter

import ape
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.redemption import conftest as desk_world
from tests.redemption.conftest import CASH_UNIT, SUPPLY, WAD
from tests.utils import ref
from tests.utils.audit import isolated, write_report

world = desk_world.world  # the fixture, shared
pytestmark = pytest.mark.xdist_group("audit-desk-machine")

OUTCOMES: Counter = Counter()
AMOUNTS = st.sampled_from([500, 1_000, 4_000, 20_000, 45_000, 60_000, 150_000])
WAITS = st.sampled_from([60, 1_800, 3_600, 4 * 3_600, 86_400, 8 * 86_400])


class DeskMachine(RuleBasedStateMachine):
    w = None

    def __init__(self):
        super().__init__()
        self._iso = isolated()
        self._iso.__enter__()
        self.n = 0  # instruction ids
        self.taken = self.burned = self.returned = self.minted = 0
        self.round_cash = self.claimed = 0

    def teardown(self):
        self._iso.__exit__(None, None, None)

    def ident(self):
        self.n += 1
        return ref(f"M-{self.n}")

    def now(self) -> int:
        return ape.chain.blocks.head.timestamp

    def requests(self):
        d = self.w.desk
        return [d.request(i) for i in range(1, d.requestCount() + 1)]

    def queue_empty(self) -> bool:
        return self.w.desk.pendingCoins() == 0 and self.w.desk.poolCoins() < CASH_UNIT

    def room(self):
        b = self.w.desk.buckets(self.w.p[0])
        return b.hourRoom, b.dayRoom, b.hourCapacity, b.dayCapacity

    def _book(self, receipt):
        """The ledger, from the desk's events."""
        d = self.w.desk
        for e in receipt.events.filter(d.RedeemedInstantly):
            self.taken += e.coins
            self.burned += e.coins
        for e in receipt.events.filter(d.RedeemRequested):
            self.taken += e.coins
        for e in receipt.events.filter(d.RoundPaid):
            self.burned += e.coins
            self.round_cash += e.cashPaid
        for e in receipt.events.filter(d.Claimed):
            self.claimed += e.cash
        for e in receipt.events.filter(d.Cancelled):
            self.returned += e.coinsReturned

    def _outflow_fits(self, before, receipt):
        """Invariant 4 for one transaction: what it burned fitted the room the buckets had
        (plus the refill of the seconds between the reading and the block)."""
        hour_room, day_room, hour_cap, day_cap = before
        out = sum(e.coins for e in receipt.events.filter(self.w.desk.RedeemedInstantly))
        out += sum(e.coins for e in receipt.events.filter(self.w.desk.RoundPaid))
        slack = 30 * (hour_cap // 3_600 + day_cap // 86_400 + 1)
        assert out <= hour_room + slack and out <= day_room + slack, (out, before)

    # ------------------------------------------------------------------ participants

    @initialize(amount=st.sampled_from([1_000, 10_000, 45_000]))
    def start_with_an_instant_redemption(self, amount):
        """Every run starts with the queue empty: a redemption inside the limits is paid."""
        self.redeem(0, amount, True)

    @rule(who=st.integers(0, 3), amount=AMOUNTS, instant=st.sampled_from([True, True, False]))
    def redeem(self, who, amount, instant):
        w, coins = self.w, amount * WAD
        p = w.p[who]
        if w.coin.balanceOf(p) < coins:
            return
        method = w.desk.redeem if instant else w.desk.requestRedeem
        if amount < 1_000:
            with ape.reverts(w.desk.DeskBelowMinimum):
                method(coins, self.ident(), sender=p)
            OUTCOMES["below the minimum, refused"] += 1
            return
        if w.desk.openRequests(p) >= 8:
            with ape.reverts(w.desk.DeskTooManyOpen):
                method(coins, self.ident(), sender=p)
            return
        queued, before = w.desk.pendingCoins() + w.desk.poolCoins(), self.room()
        ratio = w.reserve.collateralRatio()
        receipt = method(coins, self.ident(), sender=p)
        self._book(receipt)
        self._outflow_fits(before, receipt)
        paid = bool(receipt.events.filter(w.desk.RedeemedInstantly))
        # Paid at once only when the room would also have paid everything queued.
        hour_room, day_room, hour_cap, day_cap = before
        slack = 30 * (hour_cap // 3_600 + day_cap // 86_400 + 1)
        assert not paid or (
            instant and coins + queued <= min(hour_room, day_room) + slack
        ), "paid at once ahead of what was queued"
        assert w.reserve.collateralRatio() >= ratio  # 6: a redemption never lowers it
        OUTCOMES["paid at once" if paid else "queued"] += 1

    @rule(data=st.data())
    def claim(self, data):
        w, count = self.w, self.w.desk.requestCount()
        if count == 0:
            return
        rid = data.draw(st.integers(1, count))
        state = w.desk.request(rid)[3]
        if state != 2:
            with ape.reverts(w.desk.DeskRequestClosed):
                w.desk.claim(rid, sender=w.p[0])
            return
        self._book(w.desk.claim(rid, sender=w.p[0]))
        OUTCOMES["claimed"] += 1

    @rule(data=st.data())
    def cancel(self, data):
        w, count = self.w, self.w.desk.requestCount()
        if count == 0:
            return
        rid = data.draw(st.integers(1, count))
        owner, _, at, state, *_ = w.desk.request(rid)
        by = next(p for p in w.p if p.address == owner)
        if state not in (1, 2):
            with ape.reverts(w.desk.DeskRequestClosed):
                w.desk.cancel(rid, sender=by)
        elif self.now() + 1 < at + 7 * 86_400:
            with ape.reverts(w.desk.DeskCancelTooEarly):
                w.desk.cancel(rid, sender=by)
        elif self.now() >= at + 7 * 86_400:
            self._book(w.desk.cancel(rid, sender=by))
            OUTCOMES["cancelled"] += 1

    # ------------------------------------------------------------------ keepers, cash, clock

    @rule(max_admit=st.sampled_from([1, 2, 5, 100]))
    def process(self, max_admit):
        before = self.room()
        receipt = self.w.desk.process(max_admit, sender=self.w.p[3])
        OUTCOMES["processed"] += 1
        self._book(receipt)
        self._outflow_fits(before, receipt)
        for e in receipt.events.filter(self.w.desk.RoundPaid):
            OUTCOMES["round paid in full" if e.fullyPaid else "round paid pro rata"] += 1

    @rule(max_admit=st.sampled_from([2, 100]))
    def an_hour_later_process(self, max_admit):
        """A keeper's usual round: an hour on (every request queued by then is old
        enough), then process."""
        self.wait(3_600)
        self.process(max_admit)

    @rule(amount=st.sampled_from([1_000, 30_000, 200_000]))
    def cash_arrives(self, amount):
        self.w.cash.mint(self.w.reserve, amount * 10**6, sender=self.w.system.holders.central_bank)

    @rule()
    def cash_leaves(self):
        w = self.w
        left = w.cash.balanceOf(w.reserve)
        if left > 1_000 * 10**6:
            w.reserve.withdrawCollateral(w.cash, w.p[3], left - 1_000 * 10**6,
                                         sender=w.system.holders.reserve_manager)  # fmt: skip
            OUTCOMES["cash withdrawn"] += 1

    @rule(seconds=WAITS)
    def wait(self, seconds):
        ape.chain.mine(1, timestamp=self.now() + seconds)
        try:  # the bond's price kept fresh (its heartbeat is 7 days)
            self.w.feed.report(10**8, sender=self.w.system.holders.oracle_reporter)
        except ape.exceptions.ContractLogicError:
            OUTCOMES["price report refused"] += 1

    @rule(down=st.booleans())
    def price_moves(self, down):
        price = 92 * 10**6 if down else 10**8  # 0.92 or 1.00: the ratio 138% or 150%
        try:
            self.w.feed.report(price, sender=self.w.system.holders.oracle_reporter)
        except ape.exceptions.ContractLogicError:
            return  # outside the feed's deviation window: not this rule's concern
        OUTCOMES["price reported"] += 1

    @precondition(lambda self: self.w.reserve.maxMintable() > 10 * WAD)
    @rule()
    def mint(self):
        w = self.w
        room = w.reserve.maxMintable()
        with ape.reverts(w.reserve.ReserveCollateralRatioTooLow):
            w.reserve.mint(w.p[0], room + WAD, self.ident(), sender=w.system.holders.minter)
        w.reserve.mint(w.p[0], room // 10, self.ident(), sender=w.system.holders.minter)
        self.minted += room // 10

    # ------------------------------------------------------------------ invariants

    @invariant()
    def holds(self):
        w, rows = self.w, self.requests()
        # 1. first in first out, then pro rata
        states = [r[3] for r in rows]
        for i, s in enumerate(states):
            if s == 1:
                assert all(t in (1, 3) for t in states[i + 1 :]), states
        live = [(r.amount, r.amount - r.unpaid if r.state == 2 else r.amount)
                for r in rows if r.state in (2, 4)]  # fmt: skip
        for (a_i, paid_i), (a_j, paid_j) in zip(live, live[1:], strict=False):
            # paid_i / a_i >= paid_j / a_j, up to one unit of rounding per coin unit
            assert paid_i * a_j + a_i * a_j // 10**15 + a_j >= paid_j * a_i, (live,)
        # 2. the desk holds the queued coins, and nobody moved them
        held = w.coin.balanceOf(w.desk)
        assert held == self.taken - self.burned - self.returned
        assert held >= sum(r.unpaid for r in rows if r.state == 2) + sum(
            r.amount for r in rows if r.state == 1
        )
        # 3. the supply counts them until they are paid
        assert w.coin.totalSupply() == SUPPLY + self.minted - self.burned
        # 4. no bucket's room above its capacity
        b = w.desk.buckets(w.p[0])
        assert b.hourRoom <= b.hourCapacity and b.dayRoom <= b.dayCapacity
        assert b.ownRoom <= b.ownCapacity
        # 5. cash conserved
        cash = w.cash.balanceOf(w.desk)
        instant_cash = 0  # instant redemptions pass the cash straight on
        assert cash == self.round_cash - self.claimed + instant_cash
        assert cash >= sum(r.claimable for r in rows)
        OUTCOMES["states checked"] += 1


def test_desk_machine(world):
    DeskMachine.w = world
    run = settings(
        settings.default, stateful_step_count=max(settings.default.stateful_step_count, 40)
    )
    try:
        run_state_machine_as_test(DeskMachine, settings=run)
    finally:
        write_report("desk-machine", dict(OUTCOMES))
    # The run must have exercised what it checks, not only refusals.
    assert OUTCOMES["queued"] and OUTCOMES["paid at once"]
    assert OUTCOMES["round paid pro rata"] or OUTCOMES["round paid in full"]
