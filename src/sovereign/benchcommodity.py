"""Commodity gas benchmarks (`make bench`): minting against attested lots, and the
reserve's valuation as assets join it, on a deployment with gold and crude priced
through the FX fixing.

- mint gas with N lots (1, 4, 16, 64) proven by one multiproof against a statement
  of 128 lots, and the cost per extra lot;
- the valuation (`Reserve.collateralValue`, a view: execution gas, eth_estimateGas
  minus the 21,000 base) as the reserve's holdings grow one asset at a time: cash,
  T-bill vault shares (the vault holding three bills), a coupon bond (BondValueFeed),
  gold and crude (AttestedValueFeed over FxConvertedFeed): each step's cost is the
  cost of that extra asset;
- a delivery in kind: request, accept, confirm.

Everything runs on a fresh deployment and the chain is restored afterwards.
"""

from __future__ import annotations

from decimal import Decimal

from ape import accounts, chain, project
from rich.console import Console

from sovereign.attest import Lot, mint_arguments, signed, statement
from sovereign.bench import Row, _view_gas, report
from sovereign.benchbond import (
    CLEAN_PRICE,
    FEED_DECIMALS,
    _create_series,
    _governed,
    _reported_feed,
    _schedule_terms,
)
from sovereign.bondterms import timestamp_day
from sovereign.deploy import SystemConfig, deploy_system, local_role_holders
from sovereign.deploycommodity import CommoditySpec, FxSpec
from sovereign.units import WAD, text_to_bytes32

LOT_COUNTS = (1, 4, 16, 64)
LISTED_LOTS = 128
CUSTODIAN = "BENCH-VAULT"
UNIT = 10**6  # the settlement cash's


def _specs(attesters, custodian) -> list[CommoditySpec]:
    common = dict(attesters=tuple(attesters), threshold=2, custodians=((CUSTODIAN, custodian),))
    return [
        CommoditySpec(
            "SGLD",
            "Sovereign Gold",
            "troy ounce of fine gold",
            3,
            "METALS",
            "XAU",
            initial_price=Decimal("2400"),
            ceiling=Decimal("1000000000000"),
            **common,
        ),  # fmt: skip
        CommoditySpec(
            "SOIL",
            "Sovereign Crude",
            "barrel of Brent crude",
            2,
            "ENERGY",
            "BRENT",
            initial_price=Decimal("80"),
            haircut_bps=2_000,
            ceiling=Decimal("1000000000000"),
            **common,
        ),  # fmt: skip
    ]


def _bars(prefix: str, count: int, quantity: int) -> list[Lot]:
    return [
        Lot(f"{prefix}-{i:05d}", CUSTODIAN, "LONDON", "999.9", quantity + i) for i in range(count)
    ]


def run_commodity_bench(console: Console | None = None) -> list[Row]:
    console = console or Console()
    snapshot = chain.snapshot()
    try:
        rows, extra = _measure()
    finally:
        chain.restore(snapshot)
    report(rows, "commodity", console, extra=extra)
    console.print(extra["note"], soft_wrap=True)
    return rows


def _attest(book, token, lots, signers, submitter) -> None:
    now = chain.blocks.head.timestamp
    nonce = int(book.attestations.current(token)[5]) + 1
    s = statement(token.address, lots, nonce, now, now + 30 * 86_400)
    who, sigs = signed(book.attestations, s, signers)
    book.attestations.submit(s.as_struct(), who, sigs, sender=submitter)


def _measure() -> tuple[list[Row], dict]:
    deployer, holders, others = local_role_holders(accounts.test_accounts)
    test = list(accounts.test_accounts)
    signers = [holders.custodian, test[16]]
    system = deploy_system(
        deployer, holders, SystemConfig(),
        commodities=_specs([a.address for a in signers + [test[17]]], holders.custodian.address),
        fx=FxSpec(initial_rate=Decimal("22.5")),
    )  # fmt: skip
    book, reserve = system.commodity, system.reserve
    gold, oil = book.commodities["SGLD"].token, book.commodities["SOIL"].token
    office = holders.commodity_office

    # The valuation, one held asset at a time (an asset with no balance costs its
    # balance read only): cash, then vault shares, then a bond.
    steps = {}
    system.cash.mint(reserve, 1_000_000 * UNIT, sender=holders.central_bank)
    steps["cash only (the others listed, none held)"] = _view_gas(reserve, "collateralValue")
    _hold_bills(system, holders, deployer, 3)
    steps["+ T-bill vault shares (3 bills)"] = _view_gas(reserve, "collateralValue")
    _hold_bond(system, holders, deployer, others[0])
    _refresh(book, holders)  # the governor's delay made the commodity prices a day old
    steps["+ a coupon bond (BondValueFeed)"] = _view_gas(reserve, "collateralValue")

    # Mint gas by lot count, against one statement of LISTED_LOTS bars: gold joins.
    lots = _bars("BAR", LISTED_LOTS, 400_000)
    _attest(book, gold, lots, signers, deployer)
    mint_gas, start = {}, 0
    for n in LOT_COUNTS:
        leaves, proof, flags = mint_arguments(lots, list(range(start, start + n)))
        mint_gas[n] = gold.mint(reserve, leaves, proof, flags, sender=office).gas_used
        start += n
    per_lot = (mint_gas[LOT_COUNTS[-1]] - mint_gas[1]) // (LOT_COUNTS[-1] - 1)
    steps["+ gold (AttestedValueFeed over FxConvertedFeed)"] = _view_gas(reserve, "collateralValue")
    oil_lots = _bars("TANK", 2, 500_000)
    _attest(book, oil, oil_lots, signers, deployer)
    leaves, proof, flags = mint_arguments(oil_lots, [0, 1])
    oil.mint(reserve, leaves, proof, flags, sender=office)
    steps["+ crude (AttestedValueFeed over FxConvertedFeed)"] = _view_gas(
        reserve, "collateralValue"
    )

    rows = [Row(f"mint, {n} lot{'s' if n > 1 else ''}", None, g) for n, g in mint_gas.items()]
    previous = None
    for name, gas in steps.items():
        rows.append(Row(f"valuation: {name}", None, gas))
        if previous is not None:
            rows.append(Row(f"  the extra asset: {name[2:]}", None, gas - previous))
        previous = gas

    # A delivery in kind of one bar by a holder: request, accept, confirm.
    holder = others[1]
    leaves, proof, flags = mint_arguments(lots, [LISTED_LOTS - 1])
    gold.mint(holder, leaves, proof, flags, sender=office)
    key = gold.lotKey(text_to_bytes32(lots[LISTED_LOTS - 1].serial))
    request = gold.requestDelivery([key], sender=holder)
    accept = gold.acceptDelivery(request.return_value, sender=holders.custodian)
    confirm = gold.confirmDelivery(
        request.return_value, text_to_bytes32("NOTE-1"), sender=holders.custodian
    )
    rows += [
        Row("delivery: request (1 lot)", None, request.gas_used),
        Row("delivery: accept", None, accept.gas_used),
        Row("delivery: confirm (burn, retire book value)", None, confirm.gas_used),
    ]
    extra = {
        "mint_gas_by_lots": mint_gas,
        "mint_gas_per_extra_lot": per_lot,
        "valuation_gas": steps,
        "note": (
            f"Mint: {per_lot:,} gas per extra lot (its leaf, its multiproof step, two "
            "slots written (state and quantity packed; custodian) and an event), against a "
            f"statement of {LISTED_LOTS} lots. "
            "Valuation: each step adds one held asset to the reserve, which reads every "
            "listed asset's balance and, when held, its feed (decimals included)."
        ),
    }
    return rows, extra


def _refresh(book, holders) -> None:
    """The oracle reporter reports the FX fixing and each commodity price again."""
    reporter = holders.oracle_reporter
    book.fx_feed.report(book.fx_feed.latestRoundData()[1], sender=reporter)
    for c in book.commodities.values():
        c.quote_feed.report(c.quote_feed.latestRoundData()[1], sender=reporter)


def _hold_bills(system, holders, deployer, count: int) -> None:
    """The reserve holds vault shares; the vault holds `count` bills."""
    cash, vault, registry = system.cash, system.vault, system.registry
    cash.mint(deployer, 10_000_000 * UNIT, sender=holders.central_bank)
    vault.setAllowlisted(deployer, True, text_to_bytes32("KYC"), sender=holders.compliance)
    cash.approve(vault, 2**256 - 1, sender=deployer)
    vault.deposit(10_000_000 * UNIT, system.reserve, sender=deployer)
    for i in range(count):
        now = chain.pending_timestamp
        receipt = registry.createSeries(
            f"CBENCH-{i}", 6, UNIT, now, now + (60 + 7 * i) * 86_400, sender=holders.debt_office
        )
        series = receipt.events.filter(registry.SeriesCreated)[0].series
        registry.openAuction(series, 990_000, 10**15, sender=holders.debt_office)
        vault.buy(series, 100_000 * UNIT, 990_000, sender=holders.vault_manager)


def _hold_bond(system, holders, deployer, dealer) -> None:
    """A fixed-rate series bought by a dealer for the reserve, listed by the governor."""
    registry, cash, reserve = system.bond_registry, system.cash, system.reserve
    terms = _schedule_terms("CBENCHBOND01", timestamp_day(chain.pending_timestamp), 4,
                            coupon_rate=Decimal("0.08"))  # fmt: skip
    series = _create_series(registry, terms, holders.debt_office)
    registry.openAuction(series, CLEAN_PRICE * UNIT, 10**24, sender=holders.debt_office)
    cash.mint(dealer, 10_000_000 * UNIT, sender=holders.central_bank)
    cash.approve(series, 2**256 - 1, sender=dealer)
    series.buy(1_000 * WAD, CLEAN_PRICE * UNIT, sender=dealer)
    series.transfer(reserve, 1_000 * WAD, sender=dealer)
    clean = _reported_feed(system, deployer, "CBENCH clean / SSHL")
    value = project.BondValueFeed.deploy(series, clean, sender=deployer)
    _governed(
        system.manager,
        holders.governor,
        [
            (clean, "forceReport", (CLEAN_PRICE * 10**FEED_DECIMALS,)),
            (reserve, "setCollateral", (series.address, value.address, 86_400, 200, 10_000)),
        ],
    )
