"""The commodity attack catalogue: one test per attack on the proof of reserve, the
commodity token or the FX conversion, named by the attack, with a one-line docstring
"Attack: ... Defence: ..." and an assertion of the defence: the exact custom error and its
values, or the exact bound on what the attack gains. (The style of
tests/audit/test_attacks.py, for contracts/commodity and FxConvertedFeed.)

Every test starts from the commodity world of tests/commodity/conftest.py: gold in USD
converted at 280 per USD, attested by two of three attesters, T0 a Wednesday noon.
"""

from __future__ import annotations

import ape
import pytest

from sovereign.attest import Lot, mint_arguments, sign, signed, statement
from sovereign.permit import permit_domain
from sovereign.units import text_to_bytes32
from tests.commodity import conftest as commodity_world
from tests.commodity.conftest import (
    DAY,
    HOUR,
    PKR_USD,
    T0,
    WAD,
    XAU_USD,
    at,
    attest,
    bars,
    mine,
)

world, w = commodity_world.world, commodity_world.w  # the fixtures, shared
pytestmark = pytest.mark.xdist_group("audit-commodity-attacks")
SPOT_VALUE = 2_400 * 280 * WAD


def _mint(w, lots, indices, to=None):
    leaves, proof, flags = mint_arguments(lots, indices)
    return w.gold.mint(to or w.holder, leaves, proof, flags, sender=w.admin)


def test_replayed_attestation__refused(w):
    """Attack: submit an accepted statement again (to bring back an older, larger count).
    Defence: each statement carries the next nonce; a replay is refused."""
    s = statement(w.gold.address, bars(3), 1, T0 - HOUR, T0 + 10 * DAY)
    who, sigs = signed(w.registry, s, w.attesters[:2])
    w.registry.submit(s.as_struct(), who, sigs, sender=w.mallory)
    attest(w, bars(1))  # the next, smaller count
    with ape.reverts(w.registry.AttestationWrongNonce, nonce=1, expected=3):
        w.registry.submit(s.as_struct(), who, sigs, sender=w.mallory)


def test_signer_outside_the_set__refused(w, accounts):
    """Attack: a key that is not an attester signs to make up the threshold.
    Defence: every signer must be one of the asset's attesters."""
    s = statement(w.gold.address, bars(2), 1, T0 - HOUR, T0 + 10 * DAY)
    who, sigs = signed(w.registry, s, [w.attesters[0], accounts[14]])
    with ape.reverts(w.registry.AttestationNotAttester, signer=accounts[14].address):
        w.registry.submit(s.as_struct(), who, sigs, sender=w.mallory)


def test_fewer_signers_than_m__refused(w):
    """Attack: one attester alone attests a larger stock. Defence: M of N must sign."""
    s = statement(w.gold.address, bars(50), 1, T0 - HOUR, T0 + 10 * DAY)
    who, sigs = signed(w.registry, s, w.attesters[:1])
    with ape.reverts(w.registry.AttestationTooFewSigners, signers=1, threshold=2):
        w.registry.submit(s.as_struct(), who, sigs, sender=w.mallory)


def test_one_attester_signing_twice__refused(w):
    """Attack: list one attester twice to count as two. Defence: signers strictly
    increasing, so none is counted twice."""
    s = statement(w.gold.address, bars(2), 1, T0 - HOUR, T0 + 10 * DAY)
    who, sigs = signed(w.registry, s, w.attesters[:1])
    with ape.reverts(w.registry.AttestationSignersNotSorted):
        w.registry.submit(s.as_struct(), who * 2, sigs * 2, sender=w.mallory)


def test_merkle_proof_for_a_lot_not_in_the_root__refused(w):
    """Attack: mint a bar the attesters never listed, or a listed bar at a heavier weight.
    Defence: every lot minted is proven against the live root."""
    lots = bars(4)
    attest(w, lots)
    ghost = bars(1, start=900)
    with ape.reverts(w.gold.CommodityBadProof):
        w.gold.mint(w.holder, *mint_arguments(ghost, [0]), sender=w.admin)
    leaves, proof, flags = mint_arguments(lots, [2])
    heavier = [(*leaves[0][:4], leaves[0][4] * 10)]
    with ape.reverts(w.gold.CommodityBadProof):
        w.gold.mint(w.holder, heavier, proof, flags, sender=w.admin)
    assert w.gold.totalSupply() == 0


@pytest.mark.parametrize("field", ["chainId", "verifyingContract"])
def test_attestation_meant_for_another_chain_or_registry__refused(w, field):
    """Attack: replay signatures made for a test chain or another registry.
    Defence: the EIP-712 domain binds every signature to this chain and this registry."""
    s = statement(w.gold.address, bars(2), 1, T0 - HOUR, T0 + 10 * DAY)
    domain = permit_domain(w.registry)
    domain[field] = 1 if field == "chainId" else w.gold.address
    ordered = sorted(w.attesters[:2], key=lambda a: int(a.address, 16))
    sigs = [sign(a, w.registry, s, domain=domain) for a in ordered]
    with ape.reverts(w.registry.AttestationBadSignature, signer=ordered[0].address):
        w.registry.submit(s.as_struct(), [a.address for a in ordered], sigs, sender=w.mallory)


def test_minting_past_the_attested_total__refused_with_the_mint_included(w):
    """Attack: the list holds more bars than the attesters' total (or bars lost since):
    mint them all. Defence: supply after the mint must be within the backing."""
    lots = bars(3)
    attest(w, lots, total=lots[0].quantity + lots[1].quantity)
    _mint(w, lots, [0, 1])
    with ape.reverts(w.gold.CommodityExceedsAttested):
        _mint(w, lots, [2])


def test_re_minting_a_delivered_bar_from_a_stale_list__refused(w):
    """Attack: a bar delivered out of the vault is still in this month's list: mint it
    again. Defence: a lot is minted once ever; the backing drops by each delivery."""
    lots = bars(2)
    attest(w, lots)
    _mint(w, lots, [0, 1])
    gold, key = w.gold, w.gold.lotKey(text_to_bytes32(lots[0].serial))
    gold.setCustodianAccount(text_to_bytes32("VAULT-CO"), w.admin, sender=w.admin)
    gold.requestDelivery([key], sender=w.holder)
    gold.confirmDelivery(1, text_to_bytes32("NOTE"), sender=w.admin)
    with ape.reverts(gold.CommodityLotNotMintable, lotKey=key, state=3):
        _mint(w, lots, [0])
    assert gold.backing()[1] == lots[1].quantity == gold.totalSupply()


def test_stale_fx__counts_zero(w):
    """Attack: stop reporting the fixing while the peg currency strengthens, so the old,
    higher rate keeps valuing the gold. Defence: the FX heartbeat: a stale rate counts 0."""
    at(T0 + DAY + 1)
    w.xau.set(XAU_USD, T0 + DAY + 1, sender=w.admin)  # the price stays fresh
    mine(T0 + DAY + 2)
    assert w.gold_price.latestRoundData()[1] == 0


def test_inverted_fx_answer__counts_zero(w):
    """Attack (or error): the fixing reported as USD per peg unit. Defence: the rate's
    bounds lie on one side of 1: an inverted answer is no rate."""
    w.fx.set(10**8 // 280, T0 - 1, sender=w.admin)
    mine(T0)
    assert w.gold_price.latestRoundData()[1] == 0


def test_fx_feed_with_other_decimals__never_over_values(w):
    """Attack: the FX feed's decimals change from 8 to 6 (the same answer now reads 100x
    larger). Defence: decimals read at every call, and the bounds within a factor of 10."""
    w.fx.setDecimals(6, sender=w.admin)
    mine(T0)
    assert w.gold_price.latestRoundData()[1] == 0
    w.fx.setDecimals(9, sender=w.admin)  # 10x smaller: out of bounds too
    mine(T0 + 1)
    assert w.gold_price.latestRoundData()[1] == 0


def test_a_sudden_rate_jump__counts_only_after_the_lag(w):
    """Attack: a reporter (or a compromised one) reports a much weaker peg currency to
    mint against the inflated value at once. Defence: the lowest rate of the last day."""
    w.fx.setRound(2, PKR_USD, T0 - HOUR, sender=w.admin)
    w.fx.set(PKR_USD * 3, T0, sender=w.admin)  # 840: within the bounds
    mine(T0 + 1)
    assert w.gold_price.latestRoundData()[1] == SPOT_VALUE


def test_holder_cancels_after_taking_the_metal__refused(w):
    """Attack: take delivery, then cancel by timeout before the custodian confirms.
    Defence: the custodian accepts first; an accepted request cannot be cancelled."""
    lots = bars(1)
    attest(w, lots)
    _mint(w, lots, [0])
    w.gold.setCustodianAccount(text_to_bytes32("VAULT-CO"), w.admin, sender=w.admin)
    w.gold.requestDelivery([w.gold.lotKey(text_to_bytes32(lots[0].serial))], sender=w.holder)
    w.gold.acceptDelivery(1, sender=w.admin)
    at(T0 + 40 * DAY)
    with ape.reverts(w.gold.CommodityRequestNotOpen, requestId=1, state=2):
        w.gold.cancelDelivery(1, sender=w.holder)


def test_another_custodian_confirms_a_delivery__refused(w, accounts):
    """Attack: one custodian's key burns holders' tokens for lots another vault holds.
    Defence: only the request's own custodian account settles it."""
    lots = [Lot("BAR-ZRH-1", "ZURICH-VAULT", "ZURICH", "999.9", 400_000)]
    attest(w, lots)
    _mint(w, lots, [0])
    w.gold.requestDelivery([w.gold.lotKey(text_to_bytes32(lots[0].serial))], sender=w.holder)
    with ape.reverts(w.gold.CommodityNotCustodian, requestId=1):
        w.gold.confirmDelivery(1, text_to_bytes32("FAKE"), sender=w.admin)  # VAULT-CO's


def test_weekend_mint_under_the_ceiling_at_a_cut_price__counted_at_spot(w):
    """Attack: mint on a Saturday, when the collateral price is cut 5%, to pass more
    issuance under the program ceiling. Defence: issues are booked at price x spot."""
    friday, saturday = T0 + 2 * DAY + 8 * HOUR, T0 + 3 * DAY + 6 * HOUR
    at(friday)
    w.fx.set(PKR_USD, friday, sender=w.admin)
    at(saturday)
    w.xau.set(XAU_USD, saturday, sender=w.admin)
    lots = bars(1)
    attest(w, lots)
    _mint(w, lots, [0])
    assert w.gold.bookValue() == lots[0].quantity * SPOT_VALUE // 1_000


def test_suspended_statement__counts_zero_and_mints_nothing(w):
    """Attack: keep minting against a statement after a custodian scandal.
    Defence: the guardian suspends it at once; only a newer statement counts."""
    lots = bars(2)
    attest(w, lots)
    _mint(w, lots, [0])
    w.registry.suspend(w.gold, text_to_bytes32("CASE-1"), sender=w.admin)
    with ape.reverts(w.gold.CommodityNoLiveAttestation):
        _mint(w, lots, [1])
    mine(T0 + 1)
    assert w.gold_value.latestRoundData()[1] == 0
