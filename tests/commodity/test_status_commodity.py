"""`status` on a deployment with commodities (the session system: gold and crude): each
token's attestation age and expiry, backing, price and counted value, and the FX rate in
use, every figure equal to the chain's; after the attestation expires the gold counts
zero, the ratio falls by exactly its value, and the table says EXPIRED."""

from __future__ import annotations

import ape
from rich.console import Console

from sovereign.attest import Lot, mint_arguments, signed, statement
from sovereign.status import read_status, render_status

DAY = 86_400


def test_status_shows_each_attestation_and_the_fx_rate_then_the_expiry(
    system, holders, accounts, minter, exchange
):
    book = system.commodity
    gold = book.commodities["SGLD"]
    lots = [Lot("LGD-7001", "VAULT-CO", "LONDON", "999.9", 400_125)]
    now = ape.chain.blocks.head.timestamp
    s = statement(gold.token.address, lots, 1, now, now + 2 * DAY)
    who, sigs = signed(book.attestations, s, [holders.custodian, accounts[16]])
    book.attestations.submit(s.as_struct(), who, sigs, sender=exchange)
    leaves, proof, flags = mint_arguments(lots, [0])
    gold.token.mint(system.reserve, leaves, proof, flags, sender=holders.commodity_office)
    state = read_status(system)
    row = next(t for t in state["commodities"]["tokens"] if t["symbol"] == "SGLD")
    assets, _, counted, total = system.reserve.collateralBreakdown()
    assert row["counted_value_wad"] == dict(zip(assets, counted, strict=True))[gold.token.address]
    assert row["counted_value_wad"] > 0 and state["collateral_value_wad"] == total
    assert (row["supply"], row["backing"], row["reserve_holding"]) == (400_125,) * 3
    assert row["attestation"]["live"] and row["attestation"]["nonce"] == 1
    head = ape.chain.blocks.head.timestamp
    assert row["attestation"]["age_seconds"] == head - now
    assert row["attestation"]["expires_in_seconds"] == now + 2 * DAY - head
    assert row["price_wad"] == gold.price_feed.latestRoundData()[1]
    fx = state["commodities"]["fx"]
    assert (fx["spot_wad"], fx["rate_wad"], fx["market_closed"]) == tuple(
        gold.price_feed.rate()[i] for i in (0, 1, 3)
    )
    assert fx["latest_answer"] == book.fx_feed.latestRoundData()[1] == 2_250_000_000
    before = state["collateral_value_wad"]

    ape.chain.mine(1, timestamp=now + 2 * DAY)
    after = read_status(system)
    row = next(t for t in after["commodities"]["tokens"] if t["symbol"] == "SGLD")
    assert not row["attestation"]["live"] and row["counted_value_wad"] == 0
    assert row["backing"] == 0
    # The bond's price went stale over the two days too: compare with the reserve's own total.
    assert after["collateral_value_wad"] == system.reserve.collateralValue() < before
    console = Console(record=True, width=200)
    render_status(after, console)
    text = console.export_text()
    assert "EXPIRED" in text and "FX eSHL / USD" in text and "SGLD" in text
