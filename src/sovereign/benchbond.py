"""Coupon-bond gas benchmarks (`make bench`): one BondSeries through its life, each
operation its own transaction, beside the plain OpenZeppelin 5 ERC-20.

The series is created by the system's BondRegistry (as the debt office), so that a
BondValueFeed can value it (it reads the registry's maturity haircut) and the reserve
can mint against it once the governor lists it. A transfer between existing holders
within one record period is the steady case and carries the 1.3x target, measured
where a bond spends its life (from the third record period on) and, for comparison,
before the first record date; a holder's first balance change in a new record period
appends a checkpoint slot on each side and is reported without a target. The chain
is restored afterwards.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ape import accounts, chain, project
from rich.console import Console

from sovereign import governance
from sovereign.bench import Row, report
from sovereign.bondterms import DAY, BondTerms, day_timestamp, timestamp_day
from sovereign.deploy import SystemConfig, deploy_system, local_role_holders
from sovereign.deployphases import series_creation_code
from sovereign.units import WAD, text_to_bytes32

TARGET_BOND_TRANSFER_RATIO = 1.3
CASH_UNIT = 10**6  # SystemConfig's settlement cash has 6 decimals
FACE = 100 * CASH_UNIT  # cash per whole bond
CLEAN_PRICE = 99  # unit of account per whole bond, as the clean-price feed reports it
FEED_DECIMALS = 8
# Bond tokens with 18 decimals: a one-bond transfer has the plain transfer's calldata.
BOND_DECIMALS = 18

# Record period k: k record dates have passed. Period 0 is the cheapest for the
# schedule lookup (recordsPassed returns before any date arithmetic), period 1 counts
# the months between two dates, and from period 2 on every balance change also
# computes a coupon date by month arithmetic: the steady case of a bond's life.
TRANSFER_STEADY = "transfer, same record period (period 2+)"
TRANSFER_STEADY_P0 = "transfer, same record period (period 0)"
TRANSFER_NEW_PERIOD = "transfer, first change in a new period"
TRANSFERS = (TRANSFER_STEADY, TRANSFER_STEADY_P0, TRANSFER_NEW_PERIOD)
NEW_PERIOD_NOTE = (
    "New record period: each side's checkpoint trace gains a slot (a 22,100-gas "
    "zero-to-non-zero SSTORE, plus 2,900 for the trace's length) where a transfer within "
    "a period rewrites its last one (2,900), so that every coupon's record-date balance "
    "stays provable: +{extra:,} gas over the steady transfer, no target."
)
PERIOD_NOTE = (
    "Transfers are between existing holders (plain OZ 5: the same transfer); the mint's "
    "collateral is a BondSeries valued by a BondValueFeed. "
    "Period k: k record dates passed. Every balance change runs recordsPassed: no date "
    "arithmetic in period 0, the months between two dates in period 1, and from period 2 "
    "on also a coupon date (DateMath.addMonths)."
)


def _add_months(day: dt.date, months: int) -> dt.date:
    """`day` (the 1st of a month) `months` later."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, day.day)


def _schedule_terms(isin: str, issue: dt.date, coupons: int, **kw) -> BondTerms:
    """Semi-annual terms from `issue`: the first coupon on the 1st of the month six
    months on (a short first period), then every six months, `coupons` in all."""
    first = _add_months(issue.replace(day=1), 6)
    return BondTerms(
        f"Bench Bond {isin}",
        isin,
        "SHL",
        BOND_DECIMALS,
        FACE,
        issue,
        first,
        _add_months(first, 6 * (coupons - 1)),
        end_of_month=False,
        **kw,
    )


def _travel_to(timestamp: int) -> None:
    chain.pending_timestamp = max(timestamp, chain.pending_timestamp)


def _governed(manager, governor, calls: list[tuple]) -> list:
    """Schedule every (contract, method, args) as the governor (delayed roles: the
    admin's and the governor's), move the clock past the longest delay, execute each."""
    scheduled = [
        governance.schedule(manager, contract, method, *args, sender=governor)
        for contract, method, args in calls
    ]
    _travel_to(max(int(r.events.filter(manager.OperationScheduled)[0].schedule) for r in scheduled))
    return [
        governance.execute(manager, contract, method, *args, sender=governor)
        for contract, method, args in calls
    ]


def _create_series(registry, terms: BondTerms, office):
    """A series created by the system's BondRegistry as the debt office, from BondSeries'
    shipped creation code (the code whose hash the registry was deployed with)."""
    code = series_creation_code()
    receipt = registry.createSeries(terms.as_struct(), code, sender=office)
    address = receipt.events.filter(registry.SeriesCreated)[0].series
    return project.BondSeries.at(address)


def _reported_feed(system, deployer, description: str):
    config = system.config
    return project.ReportedPriceFeed.deploy(
        system.manager,
        FEED_DECIMALS,
        description,
        config.feed_max_deviation_bps,
        config.feed_deviation_window,
        sender=deployer,
    )


def run_bond_bench(console: Console | None = None) -> list[Row]:
    console = console or Console()
    snapshot = chain.snapshot()
    try:
        rows, extra = _measure()
    finally:
        chain.restore(snapshot)
    report(rows, "bond", console, extra=extra)
    console.print(extra["new_period_note"], soft_wrap=True)
    console.print(extra["period_note"], soft_wrap=True)
    return rows


def _measure() -> tuple[list[Row], dict]:
    deployer, holders, others = local_role_holders(accounts.test_accounts)
    alice, bob, dealer, exchange = others[:4]
    gas: dict[str, int] = {}

    plain = project.PlainERC20.deploy(sender=deployer)
    plain.transfer(alice, 1_000 * WAD, sender=deployer)
    plain.transfer(bob, 1_000 * WAD, sender=deployer)
    plain_transfer = plain.transfer(bob, WAD, sender=alice).gas_used

    system = deploy_system(deployer, holders, SystemConfig())
    manager, cash, reserve = system.manager, system.cash, system.reserve
    governor, office = holders.governor, holders.debt_office
    registry = system.bond_registry

    # A fixed 10% semi-annual series issued today, four coupons (two years).
    issue = timestamp_day(chain.pending_timestamp)
    terms = _schedule_terms("BENCHBOND001", issue, 4, coupon_rate=Decimal("0.10"))
    series = _create_series(registry, terms, office)
    registry.openAuction(series, CLEAN_PRICE * CASH_UNIT, 1_000_000 * WAD, sender=office)
    for who in (alice, bob, dealer, deployer):  # the deployer is the treasury: it funds
        cash.mint(who, 100_000_000 * CASH_UNIT, sender=holders.central_bank)
        cash.approve(series, 2**256 - 1, sender=who)
    max_price = CLEAN_PRICE * CASH_UNIT
    # The reserve's holding, bought by a dealer (the first buy also starts the supply).
    series.buy(10_000 * WAD, max_price, sender=dealer)
    series.transfer(reserve, 10_000 * WAD, sender=dealer)
    gas["buy (new holder)"] = series.buy(1_000 * WAD, max_price, sender=alice).gas_used
    gas["buy (existing holder)"] = series.buy(1_000 * WAD, max_price, sender=alice).gas_used
    series.buy(1_000 * WAD, max_price, sender=bob)
    gas[TRANSFER_STEADY_P0] = series.transfer(bob, WAD, sender=alice).gas_used

    # The bond as the reserve's collateral: its clean price reported, valued by a
    # BondValueFeed; a reference-rate feed for the floating series below. The stubs'
    # first answers and the listing are the governor's (delayed) acts.
    clean_feed = _reported_feed(system, deployer, f"{terms.isin} clean / SSHL")
    value_feed = project.BondValueFeed.deploy(series, clean_feed, sender=deployer)
    reference = _reported_feed(system, deployer, "Bench reference rate")
    _governed(
        manager,
        governor,
        [
            (clean_feed, "forceReport", (CLEAN_PRICE * 10**FEED_DECIMALS,)),
            (reference, "forceReport", (5 * 10 ** (FEED_DECIMALS - 2),)),  # 5%
            (reserve, "setCollateral", (series.address, value_feed.address, DAY, 200, 10_000)),
        ],
    )
    reserve.registerParticipant(exchange, text_to_bytes32("LIC"), sender=holders.registrar)
    reserve.mint(exchange, 1_000 * WAD, text_to_bytes32("BOND-SEED"), sender=holders.minter)
    gas["reserve mint (1 collateral: a bond)"] = reserve.mint(
        exchange, 1_000 * WAD, text_to_bytes32("BOND-MINT"), sender=holders.minter
    ).gas_used
    bond_value = int(value_feed.latestRoundData()[1])

    # A floating series (reference + 1.5%), issued the day after the reference's round:
    # its first coupon fixes on the issue date, to the round in force then.
    float_issue = timestamp_day(chain.pending_timestamp) + dt.timedelta(days=1)
    float_terms = _schedule_terms(
        "BENCHFRN0001",
        float_issue,
        2,
        reference_rate=reference.address,
        margin=Decimal("0.015"),
    )
    floating = _create_series(registry, float_terms, office)
    _travel_to(day_timestamp(float_issue) + 3_600)
    gas["fixRate (floating, coupon 0)"] = floating.fixRate(
        0, reference.latestRound(), sender=bob
    ).gas_used

    _travel_to(series.recordDate(0) + 3_600)
    gas["fundCoupon (1 coupon, in full)"] = series.fundCoupon(0, 2**128, sender=deployer).gas_used
    _travel_to(series.couponDate(0) + 3_600)
    gas["claim (1 coupon, 1 holder)"] = series.claim(alice, [0], sender=alice).gas_used
    # Record date 1 passed (period 2): both sides' first change in the period, then
    # the steady transfer within it.
    _travel_to(series.recordDate(1) + 3_600)
    gas[TRANSFER_NEW_PERIOD] = series.transfer(bob, WAD, sender=alice).gas_used
    gas[TRANSFER_STEADY] = series.transfer(bob, WAD, sender=alice).gas_used
    for k in (1, 2, 3):
        _travel_to(series.recordDate(k) + 3_600)
        series.fundCoupon(k, 2**128, sender=deployer)
    _travel_to(series.couponDate(3) + 3_600)  # the last coupon pays at maturity
    gas["claim (4 coupons, 1 holder)"] = series.claim(bob, [0, 1, 2, 3], sender=bob).gas_used
    gas["fundPrincipal (all)"] = series.fundPrincipal(
        series.principalOwed(), sender=deployer
    ).gas_used
    gas["redeem at maturity (all held)"] = series.redeem(
        series.balanceOf(alice), sender=alice
    ).gas_used

    target = TARGET_BOND_TRANSFER_RATIO
    rows = [
        Row(TRANSFER_STEADY, plain_transfer, gas[TRANSFER_STEADY], target),
        Row(TRANSFER_STEADY_P0, plain_transfer, gas[TRANSFER_STEADY_P0], target),
        Row(TRANSFER_NEW_PERIOD, plain_transfer, gas[TRANSFER_NEW_PERIOD]),
    ]
    rows += [Row(op, None, g) for op, g in gas.items() if op not in TRANSFERS]
    note = NEW_PERIOD_NOTE.format(extra=gas[TRANSFER_NEW_PERIOD] - gas[TRANSFER_STEADY])
    extra = {
        "plain_oz_transfer_existing_holder": plain_transfer,
        "bond_gas": gas,
        "target_transfer_ratio": TARGET_BOND_TRANSFER_RATIO,
        "new_period_note": note,
        "period_note": PERIOD_NOTE,
        "series": {
            "isin": terms.isin,
            "decimals": BOND_DECIMALS,
            "face_value_cash_units": FACE,
            "coupon_rate": str(terms.coupon_rate),
            "frequency": terms.frequency,
            "day_count": terms.day_count,
            "record_days": terms.record_days,
            "issue": terms.issue.isoformat(),
            "first_coupon": terms.first_coupon.isoformat(),
            "maturity": terms.maturity.isoformat(),
        },
        "reserve_bond_value_wad_per_bond_at_mint": bond_value,
    }
    return rows, extra
