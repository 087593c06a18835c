"""The commodity contracts' guards and views that the behaviour tests do not reach: zero
addresses, bounds, feeds that answer nothing, a future or missing time, the ceilings at
their edges, plain transfers. Each asserts the exact error and its values, or the value."""

from __future__ import annotations

import ape
import pytest

from sovereign.attest import mint_arguments
from sovereign.units import text_to_bytes32
from tests.commodity.conftest import (
    CLOSED_FOR,
    CLOSED_FROM,
    DAY,
    MAX_RATE,
    METALS,
    MIN_RATE,
    T0,
    WAD,
    XAU_USD,
    attest,
    bars,
    mine,
)

ZERO = "0x" + "00" * 20


def _fx_args(w, **changes):
    args = dict(
        price=w.xau, fx=w.fx, heartbeat=DAY, closed_heartbeat=3 * DAY, lag=DAY,
        closed_from=CLOSED_FROM, closed_for=CLOSED_FOR, haircut=500, low=MIN_RATE,
        high=MAX_RATE, description="x",
    )  # fmt: skip
    args.update(changes)
    return list(args.values())


@pytest.mark.parametrize(
    "change, name, value",
    [
        ({"price": ZERO}, "priceFeed", 0),
        ({"fx": ZERO}, "fxFeed", 0),
        ({"heartbeat": 0}, "fxHeartbeat", 0),
        ({"closed_heartbeat": DAY - 1}, "closedHeartbeat", DAY - 1),
        ({"lag": 7 * DAY + 1}, "lag", 7 * DAY + 1),
        ({"closed_from": 7 * DAY}, "closedFrom", 7 * DAY),
        ({"closed_for": 7 * DAY}, "closedFor", 7 * DAY),
        ({"haircut": 2_001}, "closedHaircutBps", 2_001),
    ],
)
def test_fx_feed_constructor_refuses_each_bad_parameter(project, w, change, name, value):
    with ape.reverts(w.gold_price.FxInvalidParameter, name=text_to_bytes32(name), value=value):
        w.admin.deploy(project.FxConvertedFeed, *_fx_args(w, **change))


def test_fx_feed_views_and_answers_without_a_price_or_time(project, w):
    assert w.gold_price.version() == 1
    assert w.gold_price.getRoundData(9) == w.gold_price.latestRoundData()
    w.xau.set(0, T0, sender=w.admin)  # no price
    mine(T0)
    assert w.gold_price.latestRoundData()[1] == 0 and w.gold_price.spotValue() == (0, T0)
    w.xau.set(2**200, T0, sender=w.admin)  # absurd
    mine(T0 + 1)
    assert w.gold_price.latestRoundData()[1] == 0
    w.xau.set(XAU_USD, T0 + 1, sender=w.admin)
    w.fx.set(-1, T0, sender=w.admin)  # a negative fixing
    mine(T0 + 2)
    assert w.gold_price.rate()[:2] == (0, 0)
    w.fx.set(2**200, T0, sender=w.admin)
    mine(T0 + 3)
    assert w.gold_price.rate()[:2] == (0, 0)
    w.fx.set(280 * 10**8, 0, sender=w.admin)  # never updated
    mine(T0 + 4)
    assert w.gold_price.rate() == (0, 0, 0, False)
    w.fx.set(280 * 10**8, T0 + DAY, sender=w.admin)  # from the future
    mine(T0 + 5)
    assert w.gold_price.rate()[:2] == (0, 0)
    broken = w.admin.deploy(project.FxConvertedFeed, *_fx_args(w, fx=w.ceilings))
    assert broken.rate() == (0, 0, 0, False)  # an FX feed that reverts


def test_a_weekend_rate_older_than_the_closed_heartbeat_counts_zero(project, w):
    """Closed on Sunday 22:00, the fixing from Friday 20:00 (50 h) is fresh at the close;
    with a closed heartbeat of 48 h it is too old all the same."""
    feed = w.admin.deploy(project.FxConvertedFeed, *_fx_args(w, closed_heartbeat=2 * DAY))
    friday, sunday = T0 + 2 * DAY + 8 * 3_600, T0 + 4 * DAY + 10 * 3_600
    ape.chain.pending_timestamp = friday
    w.fx.set(280 * 10**8, friday, sender=w.admin)
    ape.chain.pending_timestamp = sunday
    w.xau.set(XAU_USD, sunday, sender=w.admin)
    mine(sunday + 1)
    assert feed.rate()[:2] == (0, 0) and w.gold_price.rate()[1] == 280 * WAD


def test_value_feed_views_and_a_price_feed_that_answers_nothing(project, w):
    assert w.gold_value.version() == 1
    assert w.gold_value.description() == "Commodity token price while its proof of reserve is live"
    assert w.gold_value.getRoundData(3) == w.gold_value.latestRoundData()
    w.xau.setDecimalsRevert(True, sender=w.admin)
    mine(T0)
    assert w.gold_value.latestRoundData()[1] == 0


def test_value_feed_over_a_price_feed_that_reverts_or_has_odd_decimals(project, w, accounts):
    """A token whose price feed reverts (or answers with more than 18 decimals) is worth 0."""
    args = (
        "X", "X", "unit", 3, METALS, w.manager, w.registry, w.ceilings,
        w.ceilings, DAY,
    )  # fmt: skip
    token = w.admin.deploy(project.CommodityToken, *args)  # its "price feed" reverts
    feed = w.admin.deploy(project.AttestedValueFeed, token)
    assert feed.valuation()[4] == 0 and feed.latestRoundData()[1] == 0
    odd = w.admin.deploy(project.MockAggregator, 19)
    odd.set(10**19, T0, sender=w.admin)
    token = w.admin.deploy(project.CommodityToken, "Y", "Y", "unit", 3, METALS, w.manager,
                           w.registry, w.ceilings, odd, DAY)  # fmt: skip
    assert w.admin.deploy(project.AttestedValueFeed, token).valuation()[4] == 0
    odd.setDecimals(8, sender=w.admin)
    odd.setDecimalsRevert(True, sender=w.admin)  # answers, but its decimals revert
    assert w.admin.deploy(project.AttestedValueFeed, token).valuation()[4] == 0


@pytest.mark.parametrize("position", [6, 7, 8])
def test_commodity_token_constructor_refuses_zero_addresses(project, w, position):
    args = ["Z", "Z", "unit", 3, METALS, w.manager, w.registry, w.ceilings, w.gold_price, DAY]
    args[position] = ZERO
    with ape.reverts(w.gold.CommodityInvalidAddress, account=ZERO):
        w.admin.deploy(project.CommodityToken, *args)


def test_plain_transfers_and_lot_views(w):
    lots = bars(2)
    attest(w, lots)
    leaves, proof, flags = mint_arguments(lots, [0, 1])
    w.gold.mint(w.holder, leaves, proof, flags, sender=w.admin)
    w.gold.transfer(w.other, 1_000, sender=w.holder)
    w.gold.approve(w.mallory, 500, sender=w.other)
    w.gold.transferFrom(w.other, w.mallory, 500, sender=w.mallory)
    assert (w.gold.balanceOf(w.other), w.gold.balanceOf(w.mallory)) == (500, 500)
    key = w.gold.lotKey(text_to_bytes32(lots[1].serial))
    assert w.gold.lotQuantity(key) == lots[1].quantity
    assert w.gold.lotCustodian(key) == text_to_bytes32("VAULT-CO")


def test_requests_and_custodian_accounts_refuse_bad_arguments(w):
    with ape.reverts(w.gold.CommodityNoLots, count=0, max=64):
        w.gold.requestDelivery([], sender=w.holder)
    with ape.reverts(w.gold.CommodityNoLots, count=65, max=64):
        w.gold.requestDelivery([b"\x01" * 32] * 65, sender=w.holder)
    for bad in (ZERO, w.gold.address):
        with ape.reverts(w.gold.CommodityInvalidAddress, account=bad):
            w.gold.setCustodianAccount(text_to_bytes32("VAULT-CO"), bad, sender=w.admin)


@pytest.mark.parametrize(
    "answer, updated_at",
    [(0, T0), (XAU_USD, 0), (XAU_USD, T0 + DAY)],
    ids=["no-price", "never-updated", "from-the-future"],
)
def test_a_mint_without_a_usable_book_price_is_refused(w, answer, updated_at):
    lots = bars(1)
    attest(w, lots)
    w.xau.set(answer, updated_at, sender=w.admin)
    leaves, proof, flags = mint_arguments(lots, [0])
    with ape.reverts(w.gold.CommodityNoPrice):
        w.gold.mint(w.holder, leaves, proof, flags, sender=w.admin)


def test_ceilings_at_their_edges(w, accounts):
    """The token (the issuer role's holder) impersonated: its calls, as the chain sees them."""
    ape.chain.set_balance(w.gold.address, 10**20)
    c, issuer = w.ceilings, accounts.impersonate_account(w.gold.address)
    c.setCeiling(METALS, 100, sender=w.admin)
    with ape.reverts(c.ProgramCeilingExceeded, outstanding=0, amount=101, ceiling=100):
        c.recordIssue(METALS, 101, sender=issuer)  # one issue above the whole ceiling
    c.recordIssue(METALS, 60, sender=issuer)
    c.setCeiling(METALS, 50, sender=w.admin)  # lowered below what is outstanding
    assert c.headroom(METALS) == 0 and c.outstanding(METALS) == 60
    receipt = c.recordRetire(METALS, 1_000, sender=issuer)  # more than its own: its own
    assert receipt.events == [c.Retired(METALS, issuer.address, 60, 0)]
    assert c.outstandingBy(issuer, METALS) == 0


def test_attesters_for_the_zero_asset_are_refused(w):
    with ape.reverts(w.registry.AttestationInvalidAttesters, asset=ZERO, count=1, threshold=1):
        w.registry.setAttesters(ZERO, [w.attesters[0].address], 1, sender=w.admin)
