"""Stateful invariants of a commodity token and its proof of reserve: a hypothesis
RuleBasedStateMachine drives the gold token of tests/commodity/conftest.py's world
(statements, mints, deliveries, suspensions, the clock, the USD price and the FX
fixing) and checks the chain against a Python model after every step.

The model knows twelve bars (the universe), the lots each statement lists, its total,
as-of and expiry, every lot's state, every request, and the quantity delivered since
each moment. It is written from the documented rules, not the code: the backing is the
live statement's total less what was delivered from its as-of on (zero when none is
live); a mint succeeds exactly when a statement is live, every lot is in it and never
minted, and the supply after the mint is within the backing.

Invariants after every step:
1. supply equals the sum of the lots minted and not delivered (requested ones included);
2. the backing equals the model's; every successful mint left supply <= backing;
3. an expired, suspended or missing statement counts zero (the value feed answers 0);
   a live one values a token at price x min(1, backing / supply);
4. the FX conversion never values above spot: the converted answer is at most the
   USD price x the spot rate;
5. the token itself holds exactly the quantities of the open and accepted requests.
"""

from __future__ import annotations

from collections import Counter

import ape
import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from sovereign.attest import mint_arguments, signed, statement
from sovereign.units import text_to_bytes32
from tests.commodity import conftest as commodity_world
from tests.commodity.conftest import DAY, HOUR, PKR_USD, XAU_USD, bars
from tests.utils.audit import isolated, write_report

world, w = commodity_world.world, commodity_world.w  # the fixtures, shared
pytestmark = pytest.mark.xdist_group("audit-commodity-machine")

UNIVERSE = bars(12)
OUTCOMES: Counter = Counter()  # what the examples did, for reports/commodity-machine-*.json
SUBSET = st.sets(st.integers(0, len(UNIVERSE) - 1), min_size=1, max_size=6)


class CommodityMachine(RuleBasedStateMachine):
    w = None

    def __init__(self):
        super().__init__()
        self._iso = isolated()
        self._iso.__enter__()
        self.statement = None  # (lot indices, total, as_of, expires_at, nonce)
        self.nonce, self.suspended = 0, False
        self.state = ["none"] * len(UNIVERSE)  # none, minted, requested, delivered
        self.owner = [None] * len(UNIVERSE)
        self.requests = {}  # id -> [lot indices, state]
        self.deliveries = []  # (timestamp, quantity)

    def teardown(self):
        self._iso.__exit__(None, None, None)

    # ------------------------------------------------------------------ the model

    def now(self) -> int:
        return ape.chain.blocks.head.timestamp

    def live(self, at: int) -> bool:
        return self.statement is not None and at < self.statement[3] and not self.suspended

    def backing(self, at: int) -> int:
        if not self.live(at):
            return 0
        _, total, as_of, _, _ = self.statement
        since = sum(q for t, q in self.deliveries if t >= as_of)
        return max(total - since, 0)

    def supply(self) -> int:
        return sum(
            UNIVERSE[i].quantity for i, s in enumerate(self.state) if s in ("minted", "requested")
        )

    # ------------------------------------------------------------------ rules

    @initialize()
    def first_statement(self):
        """Every run starts with all twelve bars attested for ten days, so that its steps
        mint, request and deliver rather than wait for a statement."""
        self.attest(set(range(len(UNIVERSE))), "exact", 10)

    @rule(lots=SUBSET, total=st.sampled_from(["exact", "short", "long"]), days=st.integers(1, 10))
    def attest(self, lots, total, days):
        # A block a second later: this statement's as-of is later than the last one's (the
        # world's clock does not move by itself).
        ape.chain.mine(1, timestamp=self.now() + 1)
        at = self.now()
        chosen = sorted(lots)
        listed = sum(UNIVERSE[i].quantity for i in chosen)
        amount = {"exact": listed, "short": listed - 1_000, "long": listed + 1_000}[total]
        s = statement(self.w.gold.address, [UNIVERSE[i] for i in chosen], self.nonce + 1, at,
                      at + days * DAY)  # fmt: skip
        s = type(s)(**{**s.__dict__, "total_quantity": max(amount, 0)})
        who, sigs = signed(self.w.registry, s, self.w.attesters[:2])
        self.w.registry.submit(s.as_struct(), who, sigs, sender=self.w.other)
        self.nonce += 1
        self.statement = (chosen, max(amount, 0), at, at + days * DAY, self.nonce)
        self.suspended = False

    @precondition(lambda self: self.statement is not None)
    @rule(pick=SUBSET, to_holder=st.booleans())
    def mint(self, pick, to_holder):
        # The picks index the listed lots (modulo their count): every mint tries lots of
        # the statement, so runs mint instead of only refusing lots it does not list. A
        # lot outside the list is the attacks' (tests/audit/test_commodity_attacks.py).
        listed = self.statement[0]
        # Lots not minted yet when there are any (else the listed ones: a refusal).
        fresh = [i for i in listed if self.state[i] == "none"] or listed
        chosen = sorted({fresh[i % len(fresh)] for i in pick})
        lots = [UNIVERSE[i] for i in listed]
        leaves, proof, flags = mint_arguments(lots, [listed.index(i) for i in chosen])
        at = self.now() + 1
        quantity = sum(UNIVERSE[i].quantity for i in chosen)
        # A mint also needs a usable spot value for its book value (the program ceiling):
        # read from the price feed, whose own rules (bounds, heartbeats, closure) are
        # tests/commodity/test_valuation.py's; the ceiling (100 billion) is never near.
        answer, updated = self.w.gold_price.spotValue()
        priced = answer > 0 and 0 < updated <= at and at - updated <= DAY
        ok = (
            self.live(at)
            and priced
            and all(self.state[i] == "none" for i in chosen)
            and self.supply() + quantity <= self.backing(at)
        )
        to = self.w.holder if to_holder else self.w.other
        before = self.w.gold.totalSupply()
        why = None
        try:
            self.w.gold.mint(to, leaves, proof, flags, sender=self.w.admin)
            minted = True
        except ape.exceptions.ContractLogicError as err:
            minted, why = False, repr(err)
        assert minted == ok, f"mint {chosen}: model {ok}, chain {minted} ({why})"
        event("mint succeeded" if minted else "mint refused")
        OUTCOMES["mint refused: no usable price"] += not priced
        OUTCOMES["mint succeeded" if minted else "mint refused (as the model said)"] += 1
        if minted:
            for i in chosen:
                self.state[i], self.owner[i] = "minted", to.address
            assert self.w.gold.totalSupply() <= self.w.gold.backing()[1]
        else:
            assert self.w.gold.totalSupply() == before

    @precondition(lambda self: "minted" in self.state)
    @rule(pick=SUBSET)
    def request(self, pick):
        minted = [i for i, state in enumerate(self.state) if state == "minted"]
        held = sorted({minted[i % len(minted)] for i in pick})
        owner = self.owner[held[0]]
        held = [i for i in held if self.owner[i] == owner]
        sender = self.w.holder if owner == self.w.holder.address else self.w.other
        if self.w.gold.balanceOf(sender) < sum(UNIVERSE[i].quantity for i in held):
            return  # its tokens moved on: it cannot put up the lots' quantity
        keys = [self.w.gold.lotKey(text_to_bytes32(UNIVERSE[i].serial)) for i in held]
        receipt = self.w.gold.requestDelivery(keys, sender=sender)
        self.requests[receipt.return_value] = [held, "open"]
        for i in held:
            self.state[i] = "requested"

    @precondition(lambda self: "minted" in self.state)
    @rule(pick=st.integers(0, 11))
    def deliver_at_once(self, pick):
        """A holder's request of one lot, accepted and confirmed at once: every run that
        mints also delivers, so the backing-after-delivery rule is always exercised."""
        known = set(self.requests)
        self.request({pick})
        new = [r for r in self.requests if r not in known]
        if new:  # none when the lot's holder no longer holds its quantity
            self._settle_id(new[0], "accept")
            self._settle_id(new[0], "confirm")

    @precondition(lambda self: any(s in ("open", "accepted") for _, s in self.requests.values()))
    @rule(which=st.integers(0, 20), how=st.sampled_from(["accept", "confirm", "reject"]))
    def settle(self, which, how):
        ids = sorted(r for r, (_, s) in self.requests.items() if s in ("open", "accepted"))
        if not ids:
            return
        self._settle_id(ids[which % len(ids)], how)

    def _settle_id(self, rid, how):
        lots, state = self.requests[rid]
        if how == "accept":
            if state != "open":
                return
            self.w.gold.acceptDelivery(rid, sender=self.w.admin)
            self.requests[rid][1] = "accepted"
        elif how == "confirm":
            receipt = self.w.gold.confirmDelivery(rid, text_to_bytes32("N"), sender=self.w.admin)
            at = ape.chain.blocks[receipt.block_number].timestamp
            self.deliveries.append((at, sum(UNIVERSE[i].quantity for i in lots)))
            event("delivery confirmed")
            OUTCOMES["delivery confirmed"] += 1
            self.requests[rid][1] = "delivered"
            for i in lots:
                self.state[i] = "delivered"
        else:
            self.w.gold.rejectDelivery(rid, text_to_bytes32("R"), sender=self.w.admin)
            self.requests[rid][1] = "cancelled"
            for i in lots:
                self.state[i] = "minted"

    @rule()
    def suspend(self):
        if self.statement is None or self.suspended:
            return
        self.w.registry.suspend(self.w.gold, text_to_bytes32("CASE"), sender=self.w.admin)
        self.suspended = True
        OUTCOMES["statement suspended"] += 1

    @rule(hours=st.sampled_from([1, 6, 23, 49, 24 * 11]))
    def advance(self, hours):
        at = self.now() + hours * HOUR
        ape.chain.pending_timestamp = at
        self.w.xau.set(XAU_USD, at, sender=self.w.admin)  # the reporters keep up
        self.w.fx.set(PKR_USD, at, sender=self.w.admin)

    # Mostly within the feed's rate bounds (150..1,000), sometimes outside them.
    @rule(
        rate=st.one_of(st.integers(150, 1_000), st.integers(100, 1_200)),
        age=st.sampled_from([0, HOUR, 2 * DAY]),
    )
    def fixing(self, rate, age):
        self.w.fx.set(rate * 10**8, max(self.now() - age, 1), sender=self.w.admin)

    # ------------------------------------------------------------------ invariants

    @invariant()
    def the_chain_agrees_with_the_model(self):
        gold, value_feed, price_feed = self.w.gold, self.w.gold_value, self.w.gold_price
        at = self.now()
        supply = self.supply()
        assert gold.totalSupply() == supply  # 1
        live, backing, _ = gold.backing()
        assert (bool(live), backing) == (self.live(at), self.backing(at))  # 2
        price = price_feed.latestRoundData()[1]
        expected = 0
        if self.live(at) and price > 0:
            expected = price if supply <= backing else price * backing // supply
        assert value_feed.latestRoundData()[1] == expected  # 3
        spot = price_feed.rate()[0]
        assert 0 <= price <= XAU_USD * spot // 10**8  # 4: never above price x spot
        held = sum(
            UNIVERSE[i].quantity
            for lots, s in self.requests.values()
            if s in ("open", "accepted")
            for i in lots
        )
        assert gold.balanceOf(gold) == held  # 5 (no delivery fee is set in this world)
        OUTCOMES["states checked"] += 1
        OUTCOMES["checked with no live statement"] += not self.live(at)


def test_commodity_machine(w):
    CommodityMachine.w = w
    run = settings(
        settings.default, stateful_step_count=max(settings.default.stateful_step_count, 30)
    )
    try:
        run_state_machine_as_test(CommodityMachine, settings=run)
    finally:
        write_report("commodity-machine", dict(OUTCOMES))
    # The run must have exercised what it checks, not only refusals.
    assert OUTCOMES["mint succeeded"] and OUTCOMES["checked with no live statement"]
    assert OUTCOMES[
        "delivery confirmed"
    ], "no run delivered: the backing-after-delivery rule went unchecked"
