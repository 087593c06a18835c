"""CommodityToken: minted only against attested lots, never above the attested total,
within the program ceiling; delivered in kind as whole lots, burned on delivery."""

from __future__ import annotations

import ape
import pytest

from sovereign.attest import mint_arguments
from sovereign.units import text_to_bytes32
from tests.commodity.conftest import (
    CEILING,
    DAY,
    HOUR,
    METALS,
    PKR_USD,
    T0,
    UNIT,
    WAD,
    XAU_USD,
    at,
    attest,
    bars,
)

ZERO = "0x" + "00" * 20


def key(w, lot):
    return w.gold.lotKey(text_to_bytes32(lot.serial))


def peg_value(quantity: int) -> int:
    """quantity (0.001 oz) x 2,400 USD x 280 per USD, in wad: the model of book value."""
    return quantity * XAU_USD * PKR_USD * WAD // (UNIT * 10**8 * 10**8)


def mint(w, lots, indices, to=None):
    leaves, proof, flags = mint_arguments(lots, indices)
    return w.gold.mint(to or w.holder, leaves, proof, flags, sender=w.admin)


def test_mint_n_lots_with_one_multiproof(w):
    lots = bars(6)
    attest(w, lots)
    minting = [0, 2, 3, 5]
    quantity = sum(lots[i].quantity for i in minting)
    receipt = mint(w, lots, minting)
    assert w.gold.balanceOf(w.holder) == w.gold.totalSupply() == quantity
    assert w.gold.bookValue() == peg_value(quantity) == w.ceilings.outstanding(METALS)
    assert w.ceilings.outstandingBy(w.gold, METALS) == peg_value(quantity)
    minted = receipt.events.filter(w.gold.LotMinted)
    assert sorted(e.serial for e in minted) == sorted(
        text_to_bytes32(lots[i].serial) for i in minting
    )
    assert receipt.events.filter(w.gold.Minted) == [
        w.gold.Minted(w.holder.address, quantity, 4, peg_value(quantity), 1)
    ]
    assert [w.gold.lotState(key(w, lots[i])) for i in range(6)] == [1, 0, 1, 1, 0, 1]
    assert (w.gold.decimals(), w.gold.unit()) == (3, "troy ounce of fine gold")


def test_a_lot_not_in_the_root_is_refused(w):
    lots = bars(4)
    attest(w, lots)
    leaves, proof, flags = mint_arguments(lots, [1])
    forged = [(*leaves[0][:4], leaves[0][4] + 1000)]  # the same bar, one ounce heavier
    with ape.reverts(w.gold.CommodityBadProof):
        w.gold.mint(w.holder, forged, proof, flags, sender=w.admin)
    outsider = bars(1, start=99)
    o_leaves, o_proof, o_flags = mint_arguments(outsider, [0])
    with ape.reverts(w.gold.CommodityBadProof):
        w.gold.mint(w.holder, o_leaves, o_proof, o_flags, sender=w.admin)


def test_a_lot_is_minted_once_ever(w):
    lots = bars(3)
    attest(w, lots)
    mint(w, lots, [1])
    with ape.reverts(w.gold.CommodityLotNotMintable, lotKey=key(w, lots[1]), state=1):
        mint(w, lots, [1])
    attest(w, lots)  # the next month's list still names it
    with ape.reverts(w.gold.CommodityLotNotMintable, lotKey=key(w, lots[1]), state=1):
        mint(w, lots, [1, 2])


def test_supply_never_exceeds_the_attested_total_mint_included(w):
    lots = bars(3)
    listed = sum(lot.quantity for lot in lots)
    attest(w, lots, total=listed - 1)  # the attesters' total is one unit short of the list
    mint(w, lots, [0, 1])
    supply_after = listed
    with ape.reverts(
        w.gold.CommodityExceedsAttested, supplyAfter=supply_after, attested=listed - 1
    ):
        mint(w, lots, [2])


def test_no_live_attestation_no_mint(w):
    lots = bars(2)
    with ape.reverts(w.gold.CommodityNoLiveAttestation, expiresAt=0, nowTs=T0):
        mint(w, lots, [0])
    attest(w, lots, expires_at=T0 + DAY)
    at(T0 + DAY)
    with ape.reverts(w.gold.CommodityNoLiveAttestation, expiresAt=T0 + DAY, nowTs=T0 + DAY):
        mint(w, lots, [0])


def test_the_program_ceiling_refuses_issuance_past_it_with_the_numbers(w):
    lots = bars(3)
    attest(w, lots)
    first = peg_value(lots[0].quantity)
    w.ceilings.setCeiling(METALS, first + peg_value(lots[1].quantity) - 1, sender=w.admin)
    mint(w, lots, [0])
    with ape.reverts(
        w.ceilings.ProgramCeilingExceeded,
        assetClass=METALS,
        outstanding=first,
        amount=peg_value(lots[1].quantity),
        ceiling=first + peg_value(lots[1].quantity) - 1,
    ):
        mint(w, lots, [1])
    assert w.ceilings.headroom(METALS) == peg_value(lots[1].quantity) - 1


def test_a_mint_without_a_usable_price_is_refused(w):
    lots = bars(1)
    attest(w, lots)
    w.xau.set(XAU_USD, T0 - DAY - 1, sender=w.admin)  # stale for the token's 1-day heartbeat
    # The converted feed passes the price's time through; the token judges it.
    with ape.reverts(w.gold.CommodityNoPrice, answer=2_400 * 280 * WAD, updatedAt=T0 - DAY - 1):
        mint(w, lots, [0])


def test_only_the_commodity_office_mints(w):
    lots = bars(1)
    attest(w, lots)
    leaves, proof, flags = mint_arguments(lots, [0])
    with ape.reverts(w.gold.AccessManagedUnauthorized, caller=w.mallory.address):
        w.gold.mint(w.mallory, leaves, proof, flags, sender=w.mallory)
    with ape.reverts(w.ceilings.AccessManagedUnauthorized, caller=w.mallory.address):
        w.ceilings.recordIssue(METALS, 1, sender=w.mallory)


def test_a_stranger_retiring__retires_nothing_of_anyone_elses(w):
    """recordRetire takes no role: it lowers only the caller's own issues."""
    lots = bars(2)
    attest(w, lots)
    mint(w, lots, [0])
    outstanding = w.ceilings.outstanding(METALS)
    assert outstanding > 0
    receipt = w.ceilings.recordRetire(METALS, outstanding, sender=w.mallory)
    assert receipt.events == [w.ceilings.Retired(METALS, w.mallory.address, 0, outstanding)]
    assert w.ceilings.outstanding(METALS) == outstanding


def test_no_lots_or_too_many_or_a_zero_lot_are_refused(w):
    with ape.reverts(w.gold.CommodityNoLots, count=0, max=64):
        w.gold.mint(w.holder, [], [], [], sender=w.admin)
    lots = bars(1, weight=0) + bars(1, start=5)
    lots = [lots[0].__class__(**{**lots[0].__dict__, "quantity": 0}), lots[1]]
    attest(w, lots)
    with ape.reverts(w.gold.CommodityZeroQuantity, lotKey=key(w, lots[0])):
        mint(w, lots, [0])


# ---------------------------------------------------------------- delivery in kind


@pytest.fixture
def held(w):
    """Four bars attested and minted to the holder; a 0.5% delivery fee to `other`."""
    lots = bars(4)
    attest(w, lots)
    mint(w, lots, [0, 1, 2, 3])
    w.gold.setDeliveryFee(50, w.other, sender=w.admin)
    return lots


def test_delivery_request_holds_the_lots_and_fee_then_burns_on_delivery(w, held):
    lots, supply = held, w.gold.totalSupply()
    quantity = lots[0].quantity + lots[2].quantity
    fee = quantity * 50 // 10_000  # rounded down: never past the bound
    book = w.gold.bookValue()
    receipt = w.gold.requestDelivery([key(w, lots[0]), key(w, lots[2])], sender=w.holder)
    assert receipt.return_value == 1 == w.gold.requestCount()
    assert w.gold.balanceOf(w.gold) == quantity + fee
    assert w.gold.balanceOf(w.holder) == supply - quantity - fee
    assert w.gold.totalSupply() == supply  # held, not burned
    assert w.gold.lotState(key(w, lots[0])) == 2
    receipt = w.gold.confirmDelivery(1, text_to_bytes32("NOTE-7"), sender=w.admin)
    assert receipt.events.filter(w.gold.DeliveryConfirmed) == [
        w.gold.DeliveryConfirmed(1, w.holder.address, quantity, text_to_bytes32("NOTE-7"))
    ]
    assert w.gold.totalSupply() == supply - quantity
    assert w.gold.balanceOf(w.other) == fee and w.gold.balanceOf(w.gold) == 0
    retired = book * quantity // supply
    assert w.gold.bookValue() == book - retired == w.ceilings.outstanding(METALS)
    assert w.gold.lotState(key(w, lots[0])) == 3
    assert w.gold.request(1).state == 3  # Delivered
    attest(w, lots)  # a stale list that still names the delivered bar backs nothing new
    with ape.reverts(w.gold.CommodityLotNotMintable, lotKey=key(w, lots[0]), state=3):
        mint(w, lots, [0])


def test_delivery_of_a_lot_not_minted_or_already_requested_is_refused(w, held):
    lots = held
    w.gold.requestDelivery([key(w, lots[1])], sender=w.holder)
    with ape.reverts(w.gold.CommodityLotNotDeliverable, lotKey=key(w, lots[1]), state=2):
        w.gold.requestDelivery([key(w, lots[1])], sender=w.holder)
    unknown = b"\x01" * 32
    with ape.reverts(w.gold.CommodityLotNotDeliverable, lotKey=unknown, state=0):
        w.gold.requestDelivery([unknown], sender=w.holder)
    with ape.reverts(w.gold.ERC20InsufficientBalance):
        w.gold.requestDelivery([key(w, lots[2])], sender=w.mallory)  # holds nothing


def test_cancel_only_by_the_holder_after_the_timeout(w, held):
    lots = held
    balance = w.gold.balanceOf(w.holder)
    w.gold.requestDelivery([key(w, lots[3])], sender=w.holder)
    allowed = w.gold.request(1).requestedAt + 30 * DAY
    with ape.reverts(w.gold.CommodityTooEarlyToCancel, requestId=1, allowedAt=allowed):
        w.gold.cancelDelivery(1, sender=w.holder)
    at(allowed)
    with ape.reverts(w.gold.CommodityNotHolder, requestId=1, caller=w.mallory.address):
        w.gold.cancelDelivery(1, sender=w.mallory)
    w.gold.cancelDelivery(1, sender=w.holder)
    assert w.gold.balanceOf(w.holder) == balance and w.gold.lotState(key(w, lots[3])) == 1
    with ape.reverts(w.gold.CommodityRequestNotOpen, requestId=1, state=4):  # Cancelled
        w.gold.confirmDelivery(1, text_to_bytes32("LATE"), sender=w.admin)


def test_the_custodian_may_reject_at_once_and_tokens_return(w, held):
    lots = held
    balance = w.gold.balanceOf(w.holder)
    w.gold.requestDelivery([key(w, lots[0])], sender=w.holder)
    with ape.reverts(w.gold.AccessManagedUnauthorized, caller=w.mallory.address):
        w.gold.rejectDelivery(1, text_to_bytes32("NO"), sender=w.mallory)
    receipt = w.gold.rejectDelivery(1, text_to_bytes32("VAULT-SHUT"), sender=w.admin)
    assert receipt.events.filter(w.gold.DeliveryCancelled) == [
        w.gold.DeliveryCancelled(
            1, w.holder.address, w.admin.address, text_to_bytes32("VAULT-SHUT")
        )
    ]
    assert w.gold.balanceOf(w.holder) == balance


def test_the_delivery_fee_is_bounded(w):
    with ape.reverts(w.gold.CommodityFeeOutOfBounds, feeBps=101, max=100):
        w.gold.setDeliveryFee(101, w.other, sender=w.admin)
    for bad in (ZERO, w.gold.address):
        with ape.reverts(w.gold.CommodityInvalidAddress, account=bad):
            w.gold.setDeliveryFee(10, bad, sender=w.admin)
    with ape.reverts(w.gold.AccessManagedUnauthorized, caller=w.mallory.address):
        w.gold.setDeliveryFee(10, w.mallory, sender=w.mallory)


def test_the_ceiling_is_governed_within_bounds(w):
    big = 10**15 * WAD + 1
    with ape.reverts(w.ceilings.ProgramCeilingOutOfBounds, ceiling=big, max=big - 1):
        w.ceilings.setCeiling(METALS, big, sender=w.admin)
    with ape.reverts(w.ceilings.AccessManagedUnauthorized, caller=w.mallory.address):
        w.ceilings.setCeiling(METALS, 0, sender=w.mallory)
    receipt = w.ceilings.setCeiling(METALS, 5, sender=w.admin)
    assert receipt.events == [w.ceilings.CeilingSet(METALS, CEILING, 5)]


# ---------------------------------------------------------------- the review's cases


def test_deliveries_since_the_statement_leave_the_backing(w, held):
    """The review's M-1: four bars attested and minted; two delivered. The live statement
    still lists four, but the backing is two: minting more needs a newer statement."""
    lots = held
    new = bars(2, start=50)
    attest(w, lots + new)  # a later count: the four bars and two new ones
    w.gold.requestDelivery([key(w, lots[0]), key(w, lots[1])], sender=w.holder)
    w.gold.confirmDelivery(1, text_to_bytes32("NOTE-1"), sender=w.admin)
    delivered = lots[0].quantity + lots[1].quantity
    listed = sum(lot.quantity for lot in lots + new)
    assert w.gold.backing()[:2] == (True, listed - delivered)
    assert w.gold.deliveredSince(T0 - 1) == delivered
    mint(w, lots + new, [4, 5])  # the two new bars: backed
    assert w.gold.totalSupply() == listed - delivered
    price, live, backing, supply, value, _ = w.gold_value.valuation()
    assert (backing, supply, value) == (listed - delivered, listed - delivered, price)


def test_an_accepted_delivery_cannot_be_cancelled_by_the_holder(w, held):
    """The review's M-2: once the custodian accepts, the holder's timeout is gone."""
    lots = held
    w.gold.requestDelivery([key(w, lots[0])], sender=w.holder)
    receipt = w.gold.acceptDelivery(1, sender=w.admin)
    assert receipt.events == [w.gold.DeliveryAccepted(1, text_to_bytes32("VAULT-CO"))]
    at(w.gold.request(1).requestedAt + 31 * DAY)
    with ape.reverts(w.gold.CommodityRequestNotOpen, requestId=1, state=2):
        w.gold.cancelDelivery(1, sender=w.holder)
    with ape.reverts(w.gold.CommodityRequestNotOpen, requestId=1, state=2):
        w.gold.acceptDelivery(1, sender=w.admin)
    w.gold.confirmDelivery(1, text_to_bytes32("NOTE-2"), sender=w.admin)
    assert w.gold.lotState(key(w, lots[0])) == 3


def test_only_the_lots_custodian_settles_and_a_request_has_one_custodian(w, accounts):
    """The review's M-5: the custodian role alone is not enough; the request's own
    custodian account must call, and a request never mixes custodians."""
    from sovereign.attest import Lot

    lots = bars(2) + [Lot("BAR-90001", "OTHER-VAULT", "ZURICH", "999.9", 400_000)]
    attest(w, lots)
    mint(w, lots, [0, 1, 2])
    with ape.reverts(
        w.gold.CommodityMixedCustodians,
        lotKey=key(w, lots[2]),
        custodian=text_to_bytes32("OTHER-VAULT"),
        requestCustodian=text_to_bytes32("VAULT-CO"),
    ):
        w.gold.requestDelivery([key(w, lots[0]), key(w, lots[2])], sender=w.holder)
    w.gold.requestDelivery([key(w, lots[2])], sender=w.holder)
    with ape.reverts(
        w.gold.CommodityNotCustodian, requestId=1, custodian=text_to_bytes32("OTHER-VAULT")
    ):
        w.gold.confirmDelivery(1, text_to_bytes32("NOTE"), sender=w.admin)  # VAULT-CO's
    zurich = accounts[13]
    w.gold.setCustodianAccount(text_to_bytes32("OTHER-VAULT"), zurich, sender=w.admin)
    with ape.reverts(w.gold.AccessManagedUnauthorized, caller=zurich.address):
        w.gold.confirmDelivery(1, text_to_bytes32("NOTE"), sender=zurich)  # lacks the role
    with ape.reverts(w.gold.AccessManagedUnauthorized, caller=w.mallory.address):
        w.gold.setCustodianAccount(text_to_bytes32("OTHER-VAULT"), w.mallory, sender=w.mallory)


def test_a_bar_moved_to_another_vault_is_not_minted_again(w):
    """The review's L-6: a lot is its serial, whichever custodian lists it."""
    from sovereign.attest import Lot

    lots = bars(1)
    attest(w, lots)
    mint(w, lots, [0])
    moved = [Lot(lots[0].serial, "OTHER-VAULT", "ZURICH", "999.9", lots[0].quantity)]
    attest(w, moved)
    with ape.reverts(w.gold.CommodityLotNotMintable, lotKey=key(w, lots[0]), state=1):
        mint(w, moved, [0])


def test_the_ceiling_counts_an_issue_at_spot_even_while_the_market_is_closed(w):
    """The review's M-4: on a Saturday the collateral value is cut 5%, the book value
    recorded against the ceiling is not."""
    saturday = T0 + 3 * DAY + 6 * HOUR
    at(T0 + 2 * DAY + 8 * HOUR)  # Friday 20:00: the last fixing before the close
    w.fx.set(PKR_USD, T0 + 2 * DAY + 8 * HOUR, sender=w.admin)
    at(saturday)
    w.xau.set(XAU_USD, saturday, sender=w.admin)
    lots = bars(1)
    attest(w, lots)
    mint(w, lots, [0])
    assert w.gold.bookValue() == peg_value(lots[0].quantity)
    assert w.gold_price.latestRoundData()[1] == 2_400 * 280 * WAD * 9_500 // 10_000


def test_tokens_cannot_be_sent_or_minted_to_the_token_itself(w, held):
    with ape.reverts(w.gold.CommodityInvalidAddress, account=w.gold.address):
        w.gold.transfer(w.gold, 1, sender=w.holder)
    w.gold.approve(w.other, 1, sender=w.holder)
    with ape.reverts(w.gold.CommodityInvalidAddress, account=w.gold.address):
        w.gold.transferFrom(w.holder, w.gold, 1, sender=w.other)
    lots = bars(1, start=77)
    attest(w, lots)
    leaves, proof, flags = mint_arguments(lots, [0])
    with ape.reverts(w.gold.CommodityInvalidAddress, account=w.gold.address):
        w.gold.mint(w.gold, leaves, proof, flags, sender=w.admin)


def test_an_absurd_lot_quantity_is_refused(w):
    from sovereign.attest import Lot

    lots = [Lot("BAR-HUGE", "VAULT-CO", "LONDON", "999.9", 2**128 + 1)]
    attest(w, lots)
    with ape.reverts(w.gold.CommodityQuantityTooLarge, lotKey=key(w, lots[0]), quantity=2**128 + 1):
        mint(w, lots, [0])
