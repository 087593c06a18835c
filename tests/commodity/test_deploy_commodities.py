"""deploy_system with commodities: every contract deployed, listed, wired to its roles,
and a gold lot attested, minted into the reserve and counted through the FX fixing."""

from __future__ import annotations

from decimal import Decimal

import ape
import pytest

from sovereign.attest import Lot, mint_arguments, signed, statement
from sovereign.deploy import SystemConfig, deploy_system
from sovereign.governance import selector
from sovereign.roles import Role
from sovereign.units import WAD, text_to_bytes32
from tests.utils.commodity import FX, commodity_specs


@pytest.fixture
def deployed(deployer, holders, accounts):
    attesters = [holders.custodian, accounts[16], accounts[17]]
    system = deploy_system(
        deployer, holders, SystemConfig(),
        commodities=commodity_specs(attesters), fx=FX,
    )  # fmt: skip
    return system, attesters


def test_every_commodity_contract_is_deployed_listed_and_wired(deployed, holders):
    system, attesters = deployed
    book, manager, reserve = system.commodity, system.manager, system.reserve
    gold = book.commodities["SGLD"]
    assert (gold.token.decimals(), gold.token.unit()) == (3, "troy ounce of fine gold")
    assert gold.token.assetClass() == text_to_bytes32("METALS")
    config = reserve.collateralConfig(gold.token)
    assert (config.feed, config.haircutBps) == (gold.value_feed.address, 1_500)
    assert reserve.collateralConfig(book.commodities["SOIL"].token).haircutBps == 2_000
    assert reserve.collateralConfig(system.vault).haircutBps < 1_500  # bills: narrower
    for method, role in (("mint", Role.COMMODITY_OFFICE), ("confirmDelivery", Role.CUSTODIAN)):
        assert manager.getTargetFunctionRole(gold.token, selector(gold.token, method)) == role
    assert manager.hasRole(Role.PROGRAM_ISSUER, gold.token)[0]
    assert manager.hasRole(Role.COMMODITY_OFFICE, holders.commodity_office)[0]
    assert book.attestations.threshold(gold.token) == 2
    assert book.attestations.attesters(gold.token) == [a.address for a in attesters]
    assert book.ceilings.ceiling(text_to_bytes32("METALS")) == 50_000_000_000 * WAD
    named = system.contracts()
    assert named["commodity:SGLD"] == gold.token and named["fx-feed:USD"] == book.fx_feed


def test_an_attested_gold_lot_minted_into_the_reserve_counts_through_the_fixing(deployed, holders):
    system, attesters = deployed
    gold = system.commodity.commodities["SGLD"]
    lots = [Lot("LGD-0001", "VAULT-CO", "LONDON", "999.9", 400_125)]
    now = ape.chain.blocks.head.timestamp
    s = statement(gold.token.address, lots, 1, now, now + 7 * 86_400)
    who, sigs = signed(system.commodity.attestations, s, attesters[:2])
    system.commodity.attestations.submit(s.as_struct(), who, sigs, sender=holders.minter)
    leaves, proof, flags = mint_arguments(lots, [0])
    gold.token.mint(system.reserve, leaves, proof, flags, sender=holders.commodity_office)
    closed = gold.price_feed.marketClosed(ape.chain.blocks.head.timestamp)
    per_ounce = 2_400 * Decimal("22.5") * WAD * (Decimal("0.95") if closed else 1)
    assert gold.value_feed.latestRoundData()[1] == int(per_ounce)
    counted = dict(zip(*system.reserve.collateralBreakdown()[::2], strict=True))
    assert counted[gold.token.address] == int(per_ounce) * 400_125 // 1_000 * 8_500 // 10_000
