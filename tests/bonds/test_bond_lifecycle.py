"""BondSeries, BondRegistry and BondValueFeed: the life of a coupon bond, with exact values.

The series of most tests (``FIXED``): 12.375% a year, semi-annual, ACT/ACT (ICMA), face
100.00 cash per whole token (token and cash both 6 decimals), issued 2041-03-15, coupons
every 15 March and 15 September to maturity 2044-03-15 (six coupons, regular periods of
184, 181, 184, 181, 184 and 182 days), record date 15 days before each payment date,
callable at 101.00 on 2043-03-15 (coupon 3's date) with 30 days' notice. Every regular
ACT/ACT (ICMA) coupon is face x rate / 2 = 6.1875 cash per whole token (``COUPON``), i.e.
6.1875 cash units per token unit; accrued interest is COUPON x days / days of the period.

A test account stands in for the registry (``tests.utils.bonds.deploy_series``), so it
opens auctions and calls directly; the registry's own wiring (an AccessManager, the debt
office role, the hashed series code) and the valuation feed have their own sections.

Time: ``at(ts)`` makes the next transaction run at exactly ``ts`` (anvil's
evm_setNextBlockTimestamp); ``mine(ts)`` mines a block at ``ts``, so that views and the
eth_call behind ``expect_revert`` see that instant. Reverts are asserted with the custom
error and its values: ``ape.reverts`` for transactions, ``expect_revert`` (an eth_call
decoded against the bond contracts' errors) for views, deployments and one-second edges.

Every contract here is deployed from a fresh, impersonated address: Anvil can run the old
code of a contract created in a reverted snapshot when another is later created at the
same address (see tests/utils/audit.py, ``deploy``). The module's contracts are built once
(``desk``); no module fixture moves the clock, so every test starts in 2026.

The last section, "findings", holds a test that fails on purpose: it asserts the expected
behaviour the series does not have (a part-funded coupon's cash locked for ever by a
default recorded after every token was redeemed). tests/audit/test_bond_attacks.py and
tests/audit/test_bond_machine.py import this module's terms and helpers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from decimal import Decimal
from fractions import Fraction
from functools import cache
from math import ceil, floor
from types import SimpleNamespace

import ape
import pytest
from eth_abi import decode
from eth_utils import keccak, to_checksum_address, to_hex

from sovereign.bondterms import BondTerms, day_timestamp
from sovereign.roles import Role
from tests.utils.bonds import deploy_bond_registry, deploy_series, with_terms
from tests.utils.constants import DAY, MAX, WAD, ZERO

pytestmark = pytest.mark.xdist_group("bond-lifecycle")

UNIT = 10**6  # one whole token (6 decimals)
CASH = 10**6  # one cash unit of account (6 decimals)
FACE = 100 * CASH
PRICE = 99 * CASH  # the auction's clean price
COUPON = 6_187_500  # cash per whole token per coupon: 100.00 x 12.375% / 2
CALL_PRICE = 101 * CASH
RECORD_DAYS = 15
GRACE = 30 * DAY  # BondSeries.COUPON_GRACE
PRINCIPAL_GRACE = 3 * DAY


def ts(y: int, m: int, d: int, hours: int = 0) -> int:
    return day_timestamp(dt.date(y, m, d)) + hours * 3_600


ISSUE = ts(2041, 3, 15)
PAY = [ts(2041, 9, 15), ts(2042, 3, 15), ts(2042, 9, 15), ts(2043, 3, 15), ts(2043, 9, 15)]
MATURITY = ts(2044, 3, 15)
PAY.append(MATURITY)
RECORD = [p - RECORD_DAYS * DAY for p in PAY]
CALL = PAY[3]
NOTICE_BY = CALL - 30 * DAY
BUY_AT = ts(2041, 6, 1, 12)  # 78 days into coupon 0's 184

FIXED = BondTerms(
    name="Sovereign Bond 2044",
    isin="SL2044000001",
    currency="SLL",
    decimals=6,
    face_value=FACE,
    issue=dt.date(2041, 3, 15),
    first_coupon=dt.date(2041, 9, 15),
    maturity=dt.date(2044, 3, 15),
    frequency=2,
    day_count="ACT/ACT-ICMA",
    coupon_rate=Decimal("0.12375"),
    record_days=RECORD_DAYS,
    call_dates=(dt.date(2043, 3, 15),),
    call_prices=(CALL_PRICE,),
    call_notice_days=30,
)

# A quarterly ACT/360 floater (reference rate set in the fixture): 2041-03-15 to 2042-03-15.
FLOATER = dataclasses.replace(
    FIXED,
    name="Sovereign Floater 2042",
    isin="SL2042FRN001",
    first_coupon=dt.date(2041, 6, 15),
    maturity=dt.date(2042, 3, 15),
    frequency=4,
    day_count="ACT/360",
    coupon_rate=Decimal(0),
    margin=Decimal("0.0075"),
    call_dates=(),
    call_prices=(),
)
FLOAT_ISSUE = ISSUE
FLOAT_PAY = [ts(2041, 6, 15), ts(2041, 9, 15), ts(2041, 12, 15), ts(2042, 3, 15)]
REF_DECIMALS = 8
LISTED = dataclasses.replace(FIXED, isin="SL2044000009")  # FIXED, created through the registry
CODE = bytes(ape.project.BondSeries.contract_type.deployment_bytecode.to_bytes())
REGISTRY_FUNCTIONS = ("createSeries", "openAuction", "closeAuction", "callBond")
TIERS = [365 * DAY, 3 * 365 * DAY, 5 * 365 * DAY, 10 * 365 * DAY]
FEED_DECIMALS = 8
CLEAN = 9_950_000_000  # 99.50 with 8 decimals


def pct(text: str) -> int:
    """A reference answer (8 decimals) for a rate in percent."""
    return int(Decimal(text) * 10**REF_DECIMALS / 100)


def b32(text: str) -> bytes:
    return text.encode().ljust(32, b"\0")


def at(timestamp: int) -> None:
    """The next transaction (or mined block) runs at exactly `timestamp`."""
    ape.chain.pending_timestamp = timestamp


def mine(timestamp: int) -> None:
    """Mine a block at `timestamp`: views and eth_calls then see that instant."""
    ape.chain.mine(1, timestamp=timestamp)


def fresh(accounts):
    """A never-used, impersonated account with gas money."""
    address = to_checksum_address(secrets.token_bytes(20))
    ape.chain.set_balance(address, 10**24)
    return accounts.impersonate_account(address)


# ====================================================================== reverts of calls


@cache
def _errors() -> dict:
    table = {}
    for name in (
        "BondSeries",
        "BondRegistry",
        "BondValueFeed",
        "ReportedPriceFeed",
        "SovereignAccessManager",
        "MockERC20",
    ):
        for err in getattr(ape.project, name).contract_type.errors:
            types = [i.canonical_type for i in err.inputs]
            selector = keccak(text=f"{err.name}({','.join(types)})")[:4]
            table[selector] = (err.name, [i.name for i in err.inputs], types)
    return table


def _decode(data) -> tuple[str, dict]:
    raw = bytes.fromhex((data or "0x")[2:])
    if raw[:4] == bytes.fromhex("4e487b71"):
        return "Panic", {"code": decode(["uint256"], raw[4:])[0]}
    name, names, types = _errors()[raw[:4]]
    values = [
        to_checksum_address(v) if t == "address" else v
        for t, v in zip(types, decode(types, raw[4:]), strict=True)
    ]
    return name, dict(zip(names, values, strict=True))


def _eth_call(tx: dict):
    return ape.chain.provider.web3.provider.make_request("eth_call", [tx, "latest"])


def revert_of(method, *args, by=None) -> tuple[str, dict] | None:
    """The decoded revert of ``method(*args)`` from ``by`` against the latest block."""
    tx = {"to": method.contract.address, "data": to_hex(method.encode_input(*args))}
    if by is not None:
        tx["from"] = getattr(by, "address", by)
    response = _eth_call(tx)
    return _decode(response["error"].get("data")) if "error" in response else None


def expect_revert(error: str, method, *args, by=None, **inputs) -> dict:
    got = revert_of(method, *args, by=by)
    assert got is not None, f"{method} succeeded; expected {error}"
    name, values = got
    assert name == error, f"expected {error}, got {name}{values}"
    for key, value in inputs.items():
        assert values[key] == value, f"{error}.{key}: {values[key]!r} != {value!r}"
    return values


def deploy_revert(container, *args, by) -> tuple[str, dict] | None:
    """The decoded revert of deploying ``container(*args)`` (None: it would deploy)."""
    data = bytes(container.contract_type.deployment_bytecode.to_bytes())
    data += bytes(container.constructor.encode_input(*args))
    response = _eth_call({"from": by.address, "data": to_hex(data)})
    return _decode(response["error"].get("data")) if "error" in response else None


# ====================================================================== the model


def period(timestamp: int) -> tuple[int, int, int]:
    """(coupon k, its accrual start, its payment date) of the period holding `timestamp`."""
    starts = [ISSUE, *PAY[:-1]]
    day = timestamp // DAY * DAY
    k = sum(p <= day for p in PAY)
    return k, starts[min(k, 5)], PAY[min(k, 5)]


def accrued(timestamp: int, up: bool = False) -> int:
    """FIXED's accrued interest per whole token at `timestamp`: COUPON x days / period days,
    rounded down (up for a quote); negative, for the days left, from the record date on."""
    day = timestamp // DAY * DAY
    k, start, pay = period(timestamp)
    if day <= ISSUE or k >= 6 or day == start:
        return 0
    length = (pay - start) // DAY
    if day >= pay - RECORD_DAYS * DAY:
        owed = Fraction(COUPON * ((pay - day) // DAY), length)
        return -(floor(owed) if up else ceil(owed))
    owed = Fraction(COUPON * ((day - start) // DAY), length)
    return ceil(owed) if up else floor(owed)


def cost(amount: int, timestamp: int, price: int = PRICE) -> int:
    return ceil(Fraction(amount * (price + accrued(timestamp, up=True)), UNIT))


def coupon_on(amount: int) -> int:
    """What one FIXED coupon pays on `amount` token units (rounded down)."""
    return amount * COUPON // UNIT


# ====================================================================== the world


@pytest.fixture(scope="module")
def desk(project, accounts, alice, bob, mallory, debt_office):
    """Everything the module uses, built once (no time travel here: every test starts in
    2026, long before the issue date):
    - FIXED created by `office` (the registry stand-in); cash (MockERC20, 6 decimals) minted
      to alice, bob, carol, mallory and the treasury (which receives the proceeds and funds
      the series), each approving every series below; no auction open yet;
    - two quarterly ACT/360 floaters over a ReportedPriceFeed (8 decimals): `frn` at +0.75%
      and `floor` at -2.00%; the feed's manager is a SovereignAccessManager whose admin (the
      office) reports without delay; round 1 (5.00%) is forced now;
    - a BondRegistry over the same cash and treasury, with its own SovereignAccessManager
      (admin: a fresh account, without delay; createSeries, openAuction, closeAuction and
      callBond mapped to the debt office's role, granted to `debt_office`;
      setMaturityHaircuts stays the admin's); through it, `listed` (FIXED under another
      ISIN) with a MockAggregator clean-price feed (8 decimals) and a BondValueFeed."""
    office = fresh(accounts)
    carol, treasury = accounts[16], accounts[17]
    cash = office.deploy(project.MockERC20, "Leone", "SLL", 6)
    series = deploy_series(project, office, cash, treasury, FIXED)

    manager = office.deploy(project.SovereignAccessManager, office)
    ref = office.deploy(project.ReportedPriceFeed, manager, REF_DECIMALS, "REF / SLL", 1_000, DAY)
    ref.forceReport(pct("5"), sender=office)
    frn = deploy_series(
        project, office, cash, treasury, dataclasses.replace(FLOATER, reference_rate=ref.address)
    )
    floor_terms = dataclasses.replace(
        FLOATER, reference_rate=ref.address, isin="SL2042FRN002", margin=Decimal("-0.02")
    )
    frn_floor = deploy_series(project, office, cash, treasury, floor_terms)

    admin = fresh(accounts)
    reg_manager = admin.deploy(project.SovereignAccessManager, admin)
    registry = deploy_bond_registry(project, admin, reg_manager, cash, treasury, keccak(CODE))
    methods = registry.contract_type.mutable_methods
    selectors = [keccak(text=methods[name].selector)[:4] for name in REGISTRY_FUNCTIONS]
    reg_manager.setTargetFunctionRole(registry, selectors, Role.DEBT_OFFICE, sender=admin)
    reg_manager.grantRole(Role.DEBT_OFFICE, debt_office, 0, sender=admin)
    receipt = registry.createSeries(LISTED.as_struct(), CODE, sender=debt_office)
    listed = project.BondSeries.at(receipt.events.filter(registry.SeriesCreated)[0].series)
    clean = admin.deploy(project.MockAggregator, FEED_DECIMALS)
    feed = admin.deploy(project.BondValueFeed, listed, clean)

    for who in (alice, bob, carol, mallory, treasury):
        cash.mint(who, 10**9 * CASH, sender=who)
        for s in (series, frn, frn_floor, listed):
            cash.approve(s, MAX, sender=who)
    return SimpleNamespace(
        office=office, series=series, cash=cash, treasury=treasury, alice=alice, bob=bob,
        carol=carol, mallory=mallory, ref=ref, frn=frn, floor=frn_floor, ref_manager=manager,
        admin=admin, manager=reg_manager, registry=registry, debt=debt_office, listed=listed,
        clean=clean, feed=feed,
    )  # fmt: skip


@pytest.fixture
def sold(desk):
    """At BUY_AT the auction opens at 99.00 for 10,000 tokens; alice buys 1,000, bob 500."""
    s = desk.series
    at(BUY_AT)
    s.openAuction(PRICE, 10_000 * UNIT, sender=desk.office)
    s.buy(1_000 * UNIT, PRICE, sender=desk.alice)
    s.buy(500 * UNIT, PRICE, sender=desk.bob)
    return desk


def fund_coupon_in_full(desk, k: int) -> int:
    s = desk.series
    owed = s.couponOwed(k)
    s.fundCoupon(k, owed, sender=desk.treasury)
    return owed


# ====================================================================== schedule


def test_terms_and_schedule(desk):
    s = desk.series
    assert (s.name(), s.symbol(), s.isin(), s.currency(), s.decimals()) == (
        "Sovereign Bond 2044",
        "SL2044000001",
        "SL2044000001",
        "SLL",
        6,
    )
    assert (s.faceValue(), s.couponRateWad(), s.frequency(), s.dayCount()) == (
        FACE,
        123_750_000_000_000_000,
        2,
        3,
    )
    assert (s.couponCount(), s.couponCountAtIssue(), s.issueDate(), s.maturity()) == (
        6,
        6,
        ISSUE,
        MATURITY,
    )
    assert [s.couponDate(k) for k in range(6)] == PAY
    assert [s.recordDate(k) for k in range(6)] == RECORD
    assert [s.accrualStartDate(k) for k in range(6)] == [ISSUE, *PAY[:-1]]
    assert [s.couponOn(UNIT, k) for k in range(6)] == [COUPON] * 6
    assert s.couponOn(1, 0) == 6  # 6.1875 per token unit, rounded down
    assert s.callSchedule() == ([CALL], [CALL_PRICE])
    assert (s.redemptionDate(), s.redemptionPrice(), s.registry()) == (
        MATURITY,
        FACE,
        desk.office.address,
    )
    expect_revert("BondUnknownCoupon", s.couponDate, 6, coupon=6, couponCount=6)
    # Record periods: a balance change at `t` counts from coupon recordsPassed(t) on.
    assert [s.recordsPassed(t) for t in (ISSUE, RECORD[0] - 1, RECORD[0], PAY[0])] == [0, 0, 1, 1]
    assert s.recordsPassed(RECORD[5]) == 6 and s.recordsPassed(MATURITY + 400 * DAY) == 6
    assert s.nextCoupon(PAY[0] - 1) == 0 and s.nextCoupon(PAY[0]) == 1
    assert s.nextCoupon(MATURITY) == 6


def test_accrued_interest__per_whole_token_rounded_down__negative_ex_coupon(desk):
    s = desk.series
    assert s.accruedInterest(ISSUE - DAY) == 0  # before issue
    assert s.accruedInterest(ISSUE + 3_600) == 0  # the issue day itself
    assert s.accruedInterest(BUY_AT) == 2_622_961  # 6,187,500 x 78 / 184 = 2,622,961.96
    assert s.accruedInterest(RECORD[0] - 1) == 5_649_456  # 168 days: 5,649,456.52
    assert s.accruedInterest(RECORD[0]) == -504_416  # ex: -(6,187,500 x 15 / 184), down
    assert s.accruedInterest(PAY[0] - 1) == -33_628  # one day left: -33,627.7
    assert s.accruedInterest(PAY[0]) == 0  # a new period starts
    assert s.accruedInterest(PAY[0] + DAY) == 34_185  # 6,187,500 / 181
    assert s.accruedInterest(MATURITY) == 0  # redeemed
    for t in (BUY_AT, RECORD[0] - 1, RECORD[0], PAY[0] - 1, PAY[2] + 40 * DAY, RECORD[5]):
        assert s.accruedInterest(t) == accrued(t)
    assert s.dirtyPrice(PRICE, BUY_AT) == PRICE + 2_622_961


# ====================================================================== auction


def test_auction__clean_plus_accrued_rounded_up__proceeds_to_the_treasury(desk):
    s, cash, alice = desk.series, desk.cash, desk.alice
    at(BUY_AT)
    receipt = s.openAuction(PRICE, 10_000 * UNIT, sender=desk.office)
    assert receipt.events == [s.AuctionOpened(PRICE, 10_000 * UNIT)]
    # Accrued rounds up for the buyer: ceil(2,622,961.96) = 2,622,962 per token.
    assert s.quote(1_000 * UNIT) == 1_000 * (PRICE + 2_622_962) == 101_622_962_000
    assert s.quote(1) == 102  # 101.622962 cash units, rounded up
    before = (cash.balanceOf(alice), cash.balanceOf(desk.treasury))
    receipt = s.buy(1_000 * UNIT, PRICE, sender=alice)
    assert receipt.events.filter(s.Sold) == [
        s.Sold(alice, 1_000 * UNIT, PRICE, 2_622_962, 101_622_962_000)
    ]
    assert cash.balanceOf(alice) == before[0] - 101_622_962_000
    assert cash.balanceOf(desk.treasury) == before[1] + 101_622_962_000
    assert cash.balanceOf(s) == 0  # the proceeds are the treasury's, not the series'
    assert (s.balanceOf(alice), s.totalSupply(), s.auctionRemaining()) == (
        1_000 * UNIT,
        1_000 * UNIT,
        9_000 * UNIT,
    )
    s.buy(1, PRICE, sender=desk.bob)
    assert s.balanceOf(desk.bob) == 1 and s.auctionRemaining() == 9_000 * UNIT - 1


def test_auction__ex_coupon__the_buyer_pays_less_the_coupon_it_will_not_get(desk):
    s = desk.series
    at(RECORD[0] + 12 * 3_600)
    s.openAuction(PRICE, 10_000 * UNIT, sender=desk.office)
    # -(6,187,500 x 15 / 184) = -504,415.76: the quote rounds it up, to -504,415.
    assert s.quote(1_000 * UNIT) == 1_000 * (PRICE - 504_415) == cost(1_000 * UNIT, RECORD[0])
    receipt = s.buy(1_000 * UNIT, PRICE, sender=desk.alice)
    assert receipt.events.filter(s.Sold)[0].accrued == -504_415
    assert (
        s.balanceAtRecord(desk.alice, 0) == 0 and s.balanceAtRecord(desk.alice, 1) == 1_000 * UNIT
    )
    assert s.supplyAtRecord(0) == 0 and s.couponOwed(0) == 0


def test_auction__price_limit_zero_amount_exhausted(desk):
    s = desk.series
    at(BUY_AT)
    s.openAuction(PRICE, 100 * UNIT, sender=desk.office)
    with ape.reverts(s.BondPriceAboveLimit, price=PRICE, maxPrice=PRICE - 1):
        s.buy(UNIT, PRICE - 1, sender=desk.alice)
    with ape.reverts(s.BondZeroAmount):
        s.buy(0, PRICE, sender=desk.alice)
    with ape.reverts(s.BondAuctionExhausted, amount=100 * UNIT + 1, remaining=100 * UNIT):
        s.buy(100 * UNIT + 1, PRICE, sender=desk.alice)
    s.buy(100 * UNIT, PRICE, sender=desk.alice)
    with ape.reverts(s.BondAuctionExhausted, amount=1, remaining=0):
        s.buy(1, PRICE, sender=desk.bob)
    # Re-pricing replaces the offer.
    s.openAuction(PRICE + CASH, 5 * UNIT, sender=desk.office)
    assert (s.auctionPrice(), s.auctionRemaining()) == (PRICE + CASH, 5 * UNIT)
    with ape.reverts(s.BondPriceAboveLimit, price=PRICE + CASH, maxPrice=PRICE):
        s.buy(UNIT, PRICE, sender=desk.bob)


def test_auction__closed(desk):
    s = desk.series
    at(BUY_AT)
    s.openAuction(PRICE, 100 * UNIT, sender=desk.office)
    s.buy(30 * UNIT, PRICE, sender=desk.alice)
    receipt = s.closeAuction(sender=desk.office)
    assert receipt.events == [s.AuctionClosed(70 * UNIT)]
    assert (s.auctionPrice(), s.auctionRemaining()) == (0, 0)
    with ape.reverts(s.BondSaleClosed, reason=b32("closed")):
        s.buy(UNIT, PRICE, sender=desk.alice)
    assert s.quote(UNIT) == 2_622_962  # accrued only: there is no price
    with ape.reverts(s.BondInvalidArgument, name=b32("price")):
        s.openAuction(0, 100 * UNIT, sender=desk.office)


def test_auction__only_the_registry_opens_or_closes_it(desk):
    s = desk.series
    at(BUY_AT)
    with ape.reverts(s.BondNotRegistry, caller=desk.mallory.address):
        s.openAuction(PRICE, 100 * UNIT, sender=desk.mallory)
    with ape.reverts(s.BondNotRegistry, caller=desk.mallory.address):
        s.closeAuction(sender=desk.mallory)


def test_auction__before_issue__refused(desk):
    s = desk.series
    at(ISSUE - 1)
    with ape.reverts(s.BondSaleClosed, reason=b32("not issued")):
        s.openAuction(PRICE, 100 * UNIT, sender=desk.office)
    at(ISSUE)
    s.openAuction(PRICE, 100 * UNIT, sender=desk.office)  # from the issue date's first second
    s.buy(UNIT, PRICE, sender=desk.alice)
    assert desk.cash.balanceOf(desk.treasury) == 10**9 * CASH + PRICE  # no accrued on day 0


def test_auction__from_the_redemption_date__refused(desk):
    s = desk.series
    at(BUY_AT)
    s.openAuction(PRICE, 100 * UNIT, sender=desk.office)
    mine(MATURITY - 1)
    assert revert_of(s.buy, UNIT, PRICE, by=desk.alice) is None
    mine(MATURITY)
    expect_revert("BondSaleClosed", s.buy, UNIT, PRICE, by=desk.alice, reason=b32("redeemed"))
    with ape.reverts(s.BondSaleClosed, reason=b32("redeemed")):
        s.openAuction(PRICE, 100 * UNIT, sender=desk.office)


def test_auction__a_sale_that_costs_nothing__refused(desk):
    """Ex-coupon at a clean price of one cash unit, the dirty price is negative."""
    s = desk.series
    at(RECORD[0])
    s.openAuction(1, 100 * UNIT, sender=desk.office)
    assert s.quote(UNIT) == 0
    with ape.reverts(s.BondNothingToPay, amount=UNIT):
        s.buy(UNIT, 1, sender=desk.alice)


# ====================================================================== record dates


def test_record_date__a_transfer_before_it_moves_the_coupon(sold):
    s, alice, bob = sold.series, sold.alice, sold.bob
    at(RECORD[0] - 1)
    s.transfer(bob, 400 * UNIT, sender=alice)
    assert s.balanceAtRecord(alice, 0) == 600 * UNIT
    assert s.balanceAtRecord(bob, 0) == 900 * UNIT
    assert s.supplyAtRecord(0) == 1_500 * UNIT
    mine(PAY[0])
    fund_coupon_in_full(sold, 0)
    assert s.claimable(alice, 0) == coupon_on(600 * UNIT) == 3_712_500_000
    assert s.claimable(bob, 0) == coupon_on(900 * UNIT) == 5_568_750_000


def test_record_date__a_transfer_on_it_moves_only_later_coupons(sold):
    s, alice, carol = sold.series, sold.alice, sold.carol
    at(RECORD[0])
    s.transfer(carol, 100 * UNIT, sender=alice)
    assert (s.balanceOf(alice), s.balanceOf(carol)) == (900 * UNIT, 100 * UNIT)
    assert s.balanceAtRecord(alice, 0) == 1_000 * UNIT and s.balanceAtRecord(carol, 0) == 0
    assert s.balanceAtRecord(alice, 1) == 900 * UNIT
    assert s.balanceAtRecord(carol, 1) == 100 * UNIT
    at(PAY[0] - DAY)  # still in the ex-coupon period: later transfers move coupon 1 only
    s.transfer(carol, 100 * UNIT, sender=alice)
    assert s.balanceAtRecord(alice, 0) == 1_000 * UNIT and s.balanceAtRecord(carol, 1) == 200 * UNIT
    at(PAY[0])
    fund_coupon_in_full(sold, 0)
    receipt = s.claim(alice, [0], sender=alice)
    assert receipt.events.filter(s.CouponClaimed) == [s.CouponClaimed(0, alice, 6_187_500_000)]
    with ape.reverts(s.BondNothingToClaim, holder=carol.address, coupon=0):
        s.claim(carol, [0], sender=carol)
    at(PAY[1])
    fund_coupon_in_full(sold, 1)
    assert s.claim(carol, [1], sender=carol).return_value == coupon_on(200 * UNIT)
    assert s.claim(alice, [1], sender=alice).return_value == coupon_on(800 * UNIT)
    assert s.couponFunding(1) == (coupon_on(1_500 * UNIT), coupon_on(1_000 * UNIT))
    assert s.claimed(carol, 1) and not s.claimed(carol, 0)


def test_record_date__self_transfer_changes_nothing(sold):
    s, alice = sold.series, sold.alice
    at(RECORD[0] - 1)
    s.transfer(alice, 1_000 * UNIT, sender=alice)
    assert s.balanceOf(alice) == s.balanceAtRecord(alice, 0) == 1_000 * UNIT
    assert s.totalSupply() == s.supplyAtRecord(0) == 1_500 * UNIT


# ====================================================================== coupons


def test_fund_coupon__only_from_its_record_date(sold):
    s = sold.series
    at(RECORD[0] - 1)
    with ape.reverts(s.BondBeforeRecordDate, coupon=0, recordDate=RECORD[0], nowTs=RECORD[0] - 1):
        s.fundCoupon(0, CASH, sender=sold.treasury)
    at(RECORD[0])
    receipt = s.fundCoupon(0, CASH, sender=sold.treasury)
    assert receipt.events.filter(s.CouponFunded) == [
        s.CouponFunded(0, sold.treasury, CASH, CASH, 9_281_250_000)
    ]
    with ape.reverts(s.BondZeroAmount):
        s.fundCoupon(0, 0, sender=sold.treasury)
    with ape.reverts(s.BondUnknownCoupon, coupon=6, couponCount=6):
        s.fundCoupon(6, CASH, sender=sold.treasury)


def test_fund_coupon__pulls_only_what_is_missing__refused_when_full(sold):
    s, cash, treasury = sold.series, sold.cash, sold.treasury
    at(RECORD[0])
    owed = s.couponOwed(0)
    assert owed == coupon_on(1_500 * UNIT) == 9_281_250_000
    before = cash.balanceOf(treasury)
    s.fundCoupon(0, 5_000 * CASH, sender=treasury)
    receipt = s.fundCoupon(0, 10_000 * CASH, sender=treasury)  # only 4,281.25 is missing
    assert receipt.events.filter(s.CouponFunded) == [
        s.CouponFunded(0, treasury, 4_281_250_000, owed, owed)
    ]
    assert receipt.return_value == 4_281_250_000
    assert before - cash.balanceOf(treasury) == owed == cash.balanceOf(s)
    assert s.couponFunding(0) == (owed, 0)
    with ape.reverts(s.BondCouponFullyFunded, coupon=0, owed=owed):
        s.fundCoupon(0, 1, sender=treasury)


def test_claim__only_from_the_pay_date__only_when_fully_funded(sold):
    s, alice = sold.series, sold.alice
    at(RECORD[0])
    s.fundCoupon(0, 9_281_250_000 - 1, sender=sold.treasury)
    mine(PAY[0] - 1)
    expect_revert(
        "BondCouponNotDue", s.claim, alice, [0], by=alice, coupon=0, payDate=PAY[0],
        nowTs=PAY[0] - 1,
    )  # fmt: skip
    assert s.claimable(alice, 0) == 0
    at(PAY[0])
    with ape.reverts(s.BondCouponNotFunded, coupon=0, owed=9_281_250_000, funded=9_281_250_000 - 1):
        s.claim(alice, [0], sender=alice)
    assert s.claimable(alice, 0) == 0
    s.fundCoupon(0, 5, sender=sold.treasury)  # one unit is missing: only it is taken
    assert s.couponFunding(0) == (9_281_250_000, 0)
    assert s.claimable(alice, 0) == 6_187_500_000
    s.claim(alice, [0], sender=alice)
    assert s.couponFunding(0) == (9_281_250_000, 6_187_500_000)


def test_claim__exactly_once(sold):
    s, alice = sold.series, sold.alice
    at(PAY[0])
    fund_coupon_in_full(sold, 0)
    s.claim(alice, [0], sender=alice)
    with ape.reverts(s.BondAlreadyClaimed, holder=alice.address, coupon=0):
        s.claim(alice, [0], sender=alice)
    with ape.reverts(s.BondAlreadyClaimed, holder=alice.address, coupon=0):
        s.claim(alice, [0], sender=sold.mallory)
    at(PAY[1])
    fund_coupon_in_full(sold, 1)
    with ape.reverts(s.BondAlreadyClaimed, holder=sold.bob.address, coupon=1):
        s.claim(sold.bob, [1, 1], sender=sold.bob)  # the same coupon twice in one claim
    assert s.claimable(alice, 0) == 0


def test_claim__by_anyone_for_a_holder__paid_to_the_holder(sold):
    s, cash, alice, mallory = sold.series, sold.cash, sold.alice, sold.mallory
    at(PAY[0])
    fund_coupon_in_full(sold, 0)
    at(PAY[1])
    fund_coupon_in_full(sold, 1)
    before = (cash.balanceOf(alice), cash.balanceOf(mallory))
    receipt = s.claim(alice, [0, 1], sender=mallory)
    assert receipt.return_value == 2 * 6_187_500_000
    assert receipt.events.filter(s.CouponClaimed) == [
        s.CouponClaimed(0, alice, 6_187_500_000),
        s.CouponClaimed(1, alice, 6_187_500_000),
    ]
    assert cash.balanceOf(alice) == before[0] + 2 * 6_187_500_000
    assert cash.balanceOf(mallory) == before[1]


def test_claim__years_later_still_paid(sold):
    s, alice, bob = sold.series, sold.alice, sold.bob
    at(PAY[0])
    fund_coupon_in_full(sold, 0)
    at(MATURITY)
    s.fundPrincipal(s.principalOwed(), sender=sold.treasury)
    s.redeem(1_000 * UNIT, sender=alice)  # alice no longer holds any token
    at(MATURITY + 10 * 365 * DAY)
    s.claim(alice, [0], sender=alice)
    s.claim(bob, [0], sender=bob)
    assert s.couponFunding(0) == (9_281_250_000, 9_281_250_000)
    assert sold.cash.balanceOf(s) == 500 * FACE


def test_claimable__zero_while_due_but_unfunded_or_unfixed(sold):
    """A due coupon shows nothing claimable until it is funded (fixed) or fixed (floating)."""
    mine(PAY[0] + DAY)
    assert sold.series.couponOwed(0) > 0 and sold.series.claimable(sold.alice, 0) == 0
    assert sold.frn.couponRate(0) == (0, False) and sold.frn.claimable(sold.alice, 0) == 0


def test_claim__a_holder_of_nothing__nothing_to_claim(sold):
    s = sold.series
    at(PAY[0])
    fund_coupon_in_full(sold, 0)
    with ape.reverts(s.BondNothingToClaim, holder=sold.carol.address, coupon=0):
        s.claim(sold.carol, [0], sender=sold.carol)
    with ape.reverts(s.BondUnknownCoupon, coupon=6, couponCount=6):
        s.claim(sold.alice, [6], sender=sold.alice)


def test_claim__a_coupon_nobody_held__owes_nothing(desk):
    """Coupon 0 of a bond first sold ex-coupon: nothing to fund, nothing to claim."""
    s = desk.series
    at(RECORD[0])
    s.openAuction(PRICE, 100 * UNIT, sender=desk.office)
    s.buy(10 * UNIT, PRICE, sender=desk.alice)
    with ape.reverts(s.BondCouponFullyFunded, coupon=0, owed=0):
        s.fundCoupon(0, CASH, sender=desk.treasury)
    at(PAY[0])
    with ape.reverts(s.BondNothingToClaim, holder=desk.alice.address, coupon=0):
        s.claim(desk.alice, [0], sender=desk.alice)


# ====================================================================== principal


def test_principal__fund_caps_at_what_is_owed__redeem_at_face(sold):
    s, cash, alice, treasury = sold.series, sold.cash, sold.alice, sold.treasury
    assert s.principalOwed() == 1_500 * FACE
    with ape.reverts(s.BondZeroAmount):
        s.fundPrincipal(0, sender=treasury)
    at(BUY_AT + DAY)
    s.fundPrincipal(100_000 * CASH, sender=treasury)
    receipt = s.fundPrincipal(200_000 * CASH, sender=treasury)
    assert receipt.events.filter(s.PrincipalFunded) == [s.PrincipalFunded(treasury, 50_000 * CASH)]
    assert s.principalPool() == 150_000 * CASH == cash.balanceOf(s)
    with ape.reverts(s.BondNothingToPay, amount=1):
        s.fundPrincipal(1, sender=treasury)
    mine(MATURITY - 1)
    expect_revert(
        "BondNotRedeemable", s.redeem, UNIT, by=alice, nowTs=MATURITY - 1, redemptionDate=MATURITY
    )
    assert s.redemptionValue(UNIT) == 0
    at(MATURITY)
    before = cash.balanceOf(alice)
    receipt = s.redeem(400 * UNIT, sender=alice)
    assert receipt.events.filter(s.Redeemed) == [s.Redeemed(alice, 400 * UNIT, 40_000 * CASH)]
    assert cash.balanceOf(alice) == before + 40_000 * CASH
    assert (s.balanceOf(alice), s.totalSupply(), s.principalPool()) == (
        600 * UNIT,
        1_100 * UNIT,
        110_000 * CASH,
    )
    with ape.reverts(s.ERC20InsufficientBalance, sender=alice.address, balance=600 * UNIT):
        s.redeem(600 * UNIT + 1, sender=alice)
    with ape.reverts(s.BondZeroAmount):
        s.redeem(0, sender=alice)
    assert s.redeem(1, sender=alice).return_value == 100  # a token unit: 100 cash units


def test_principal__redeem_for_a_holder__paid_to_the_holder_not_the_caller(sold):
    s, cash, alice, mallory = sold.series, sold.cash, sold.alice, sold.mallory
    at(BUY_AT + DAY)
    s.fundPrincipal(s.principalOwed(), sender=sold.treasury)
    at(MATURITY)
    alice_before, mallory_before = cash.balanceOf(alice), cash.balanceOf(mallory)
    receipt = s.redeemFor(alice, 400 * UNIT, sender=mallory)  # a keeper
    assert receipt.events.filter(s.Redeemed) == [s.Redeemed(alice, 400 * UNIT, 40_000 * CASH)]
    assert cash.balanceOf(alice) == alice_before + 40_000 * CASH
    assert cash.balanceOf(mallory) == mallory_before and s.balanceOf(alice) == 600 * UNIT
    with ape.reverts(s.ERC20InsufficientBalance, sender=mallory.address, balance=0):
        s.redeemFor(mallory, UNIT, sender=alice)


def test_principal__short_pool_in_grace__refused__then_the_first_redeem_records_default(sold):
    s, alice, bob = sold.series, sold.alice, sold.bob
    at(PAY[0])
    fund_coupon_in_full(sold, 0)
    s.fundPrincipal(90_000 * CASH, sender=sold.treasury)
    grace_end = MATURITY + PRINCIPAL_GRACE
    for moment in (MATURITY, grace_end - 1):
        mine(moment)
        expect_revert(
            "BondPrincipalShort", s.redeem, UNIT, by=alice, owed=150_000 * CASH,
            available=90_000 * CASH, graceEnd=grace_end,
        )  # fmt: skip
        expect_revert(
            "BondInGracePeriod", s.markDefault, 6, by=alice, nowTs=moment, graceEnd=grace_end
        )
    # The treasury may still cure it within the grace period; here it does not.
    at(grace_end)
    receipt = s.redeem(400 * UNIT, sender=alice)
    assert receipt.events.filter(s.SeriesDefaulted) == [
        s.SeriesDefaulted(6, 90_000 * CASH, 1_500 * UNIT, alice)
    ]
    # 90,000 for 1,500 tokens: 60.00 per token, whoever comes first.
    assert receipt.events.filter(s.Redeemed) == [s.Redeemed(alice, 400 * UNIT, 24_000 * CASH)]
    assert (s.defaulted(), s.defaultPool(), s.defaultSupply(), s.recoveryPool()) == (
        True,
        90_000 * CASH,
        1_500 * UNIT,
        66_000 * CASH,
    )
    s.redeem(500 * UNIT, sender=bob)
    s.redeem(600 * UNIT, sender=alice)
    assert s.recoveryPool() == 0 and s.totalSupply() == 0
    with ape.reverts(s.BondDefaulted):
        s.fundPrincipal(CASH, sender=sold.treasury)
    s.claim(alice, [0], sender=alice)  # coupon 0, fully funded, is still paid


def test_principal__full_pool__no_default_to_record(sold):
    s = sold.series
    s.fundPrincipal(s.principalOwed(), sender=sold.treasury)
    mine(MATURITY + 90 * DAY)
    expect_revert("BondNotInDefault", s.markDefault, 6, reason=b32("principal funded"))


# ====================================================================== coupon default


@pytest.fixture
def in_arrears(sold):
    """Coupon 0 fully funded (claimed by bob, not alice); 50,000 in the principal pool;
    coupon 1 funded 1,000 of its 9,281.25."""
    s = sold.series
    at(PAY[0])
    fund_coupon_in_full(sold, 0)
    s.claim(sold.bob, [0], sender=sold.bob)
    s.fundPrincipal(50_000 * CASH, sender=sold.treasury)
    at(PAY[1])
    s.fundCoupon(1, 1_000 * CASH, sender=sold.treasury)
    return sold


def test_coupon_default__only_after_the_grace_period(in_arrears):
    s = in_arrears.series
    mine(PAY[1] + GRACE - 1)
    expect_revert(
        "BondInGracePeriod", s.markDefault, 1, nowTs=PAY[1] + GRACE - 1, graceEnd=PAY[1] + GRACE
    )
    expect_revert("BondUnknownCoupon", s.markDefault, 7, coupon=7, couponCount=6)
    assert s.COUPON_GRACE() == GRACE and s.PRINCIPAL_GRACE() == PRINCIPAL_GRACE


def test_coupon_default__only_if_not_fully_funded(in_arrears):
    s = in_arrears.series
    mine(PAY[1] + GRACE)
    expect_revert("BondNotInDefault", s.markDefault, 0, reason=b32("coupon funded"))
    at(PAY[1] + GRACE + 60)
    s.fundCoupon(1, 10**6 * CASH, sender=in_arrears.treasury)  # cured late: no default
    mine(PAY[1] + GRACE + 120)
    expect_revert("BondNotInDefault", s.markDefault, 1, reason=b32("coupon funded"))


def test_coupon_default__recovery_pool_shared_per_token__funded_coupons_stay_claimable(
    in_arrears,
):
    s, cash, alice, bob, mallory = (
        in_arrears.series, in_arrears.cash, in_arrears.alice, in_arrears.bob, in_arrears.mallory,
    )  # fmt: skip
    at(PAY[1] + GRACE)
    receipt = s.markDefault(1, sender=mallory)
    # The 50,000 principal is the recovery pool for 1,500 tokens; part-funded coupon 1
    # keeps its 1,000 for its record-date holders (alice 1,000 tokens, bob 500).
    assert receipt.events == [s.SeriesDefaulted(1, 50_000 * CASH, 1_500 * UNIT, mallory)]
    assert (s.defaulted(), s.principalPool(), s.recoveryPool()) == (True, 0, 50_000 * CASH)
    assert (s.defaultPool(), s.defaultSupply()) == (50_000 * CASH, 1_500 * UNIT)
    assert s.couponFunding(1) == (1_000 * CASH, 0)
    assert (s.auctionPrice(), s.auctionRemaining()) == (0, 0)
    assert s.accruedInterest(PAY[1] + GRACE) == 0
    # Every token redeems at once (before maturity) for the same 33.333333….
    assert s.redemptionValue(3 * UNIT) == 100 * CASH
    assert s.redeem(1_000 * UNIT, sender=alice).return_value == 50_000 * CASH * 1_000 // 1_500
    assert s.redeem(200 * UNIT, sender=bob).return_value == 50_000 * CASH * 200 // 1_500
    assert s.redeem(300 * UNIT, sender=bob).return_value == 50_000 * CASH * 300 // 1_500
    # Coupon 1's cash, pro rata to its record-date balances, whoever claims first.
    assert s.claimable(bob, 1) == 1_000 * CASH * 500 // 1_500
    assert s.claim(bob, [1], sender=mallory).return_value == 1_000 * CASH * 500 // 1_500
    assert s.claim(alice, [1], sender=alice).return_value == 1_000 * CASH * 1_000 // 1_500
    with ape.reverts(s.BondAlreadyClaimed):
        s.claim(alice, [1], sender=alice)
    s.claim(alice, [0], sender=alice)  # coupon 0, fully funded before the default
    assert cash.balanceOf(s) <= 2  # rounding dust only


def test_coupon_default__everything_stops(in_arrears):
    s, treasury = in_arrears.series, in_arrears.treasury
    at(PAY[1] + GRACE)
    s.markDefault(1, sender=in_arrears.mallory)
    with ape.reverts(s.BondDefaulted):
        s.markDefault(1, sender=in_arrears.mallory)
    with ape.reverts(s.BondDefaulted):
        s.fundCoupon(1, CASH, sender=treasury)
    with ape.reverts(s.BondDefaulted):
        s.fundPrincipal(CASH, sender=treasury)
    with ape.reverts(s.BondSaleClosed, reason=b32("defaulted")):
        s.openAuction(PRICE, UNIT, sender=in_arrears.office)
    with ape.reverts(s.BondSaleClosed, reason=b32("defaulted")):
        s.buy(UNIT, PRICE, sender=in_arrears.alice)
    with ape.reverts(s.BondCallRefused, index=0, callDate=CALL, noticeBy=NOTICE_BY):
        s.callBond(0, sender=in_arrears.office)
    at(PAY[2])
    with ape.reverts(s.BondDefaulted):
        s.fundCoupon(2, CASH, sender=treasury)  # later coupons are cancelled


# ====================================================================== call


def test_call__only_with_notice(sold):
    s = sold.series
    mine(NOTICE_BY + 1)
    expect_revert(
        "BondCallRefused", s.callBond, 0, by=sold.office, index=0, callDate=CALL,
        noticeBy=NOTICE_BY, nowTs=NOTICE_BY + 1,
    )  # fmt: skip
    with ape.reverts(s.BondNotRegistry, caller=sold.mallory.address):
        s.callBond(0, sender=sold.mallory)


def test_call__unknown_option__refused(sold):
    s = sold.series
    at(BUY_AT + DAY)
    with ape.reverts(s.BondCallRefused, index=1, callDate=0, noticeBy=0):
        s.callBond(1, sender=sold.office)


def test_call__coupons_shrink__redemption_at_the_call_price_on_the_call_date__once(sold):
    s, alice, treasury = sold.series, sold.alice, sold.treasury
    at(NOTICE_BY)  # exactly callNoticeDays before
    receipt = s.callBond(0, sender=sold.office)
    assert receipt.events == [s.Called(0, CALL, CALL_PRICE)]
    assert (s.couponCount(), s.couponCountAtIssue()) == (4, 6)
    assert (s.redemptionDate(), s.redemptionPrice()) == (CALL, CALL_PRICE)
    assert (s.auctionPrice(), s.auctionRemaining()) == (0, 0)
    assert s.principalOwed() == 1_500 * CALL_PRICE
    with ape.reverts(s.BondCallRefused, index=0, callDate=CALL, noticeBy=NOTICE_BY):
        s.callBond(0, sender=sold.office)  # only once
    with ape.reverts(s.BondSaleClosed, reason=b32("called")):
        s.openAuction(PRICE, UNIT, sender=sold.office)
    # Coupon 3 (paid on the call date) is the last one.
    at(PAY[3])
    owed = fund_coupon_in_full(sold, 3)
    assert owed == coupon_on(1_500 * UNIT)
    s.claim(alice, [3], sender=alice)
    with ape.reverts(s.BondUnknownCoupon, coupon=4, couponCount=4):
        s.claim(alice, [4], sender=alice)
    at(RECORD[4])
    with ape.reverts(s.BondUnknownCoupon, coupon=4, couponCount=4):
        s.fundCoupon(4, CASH, sender=treasury)
    assert s.claimable(alice, 4) == 0


def test_call__redeem_from_the_call_date_at_the_call_price(sold):
    s, cash, alice = sold.series, sold.cash, sold.alice
    at(NOTICE_BY - 10 * DAY)
    s.callBond(0, sender=sold.office)
    s.fundPrincipal(10**6 * CASH, sender=sold.treasury)
    assert s.principalPool() == 151_500 * CASH
    mine(CALL - 1)
    expect_revert(
        "BondNotRedeemable", s.redeem, UNIT, by=alice, nowTs=CALL - 1, redemptionDate=CALL
    )
    assert s.accruedInterest(CALL - 1) == accrued(CALL - 1)
    at(CALL)
    before = cash.balanceOf(alice)
    s.redeem(1_000 * UNIT, sender=alice)
    assert cash.balanceOf(alice) - before == 101_000 * CASH
    assert s.accruedInterest(CALL + DAY) == 0
    # What is left in the pool repays the rest at the call price: no principal default.
    expect_revert("BondNotInDefault", s.markDefault, 4, reason=b32("principal funded"))


# ====================================================================== floating rate


@pytest.fixture
def floating(desk):
    return desk


def test_floating__schedule_and_nothing_known_before_fixing(floating):
    frn = floating.frn
    assert frn.couponCount() == 4 and [frn.couponDate(k) for k in range(4)] == FLOAT_PAY
    assert frn.referenceRate() == floating.ref.address and frn.marginWad() == 75 * 10**14
    assert frn.couponRate(0) == (0, False)
    assert frn.accruedInterest(FLOAT_ISSUE + 10 * DAY) == 0
    with ape.reverts(floating.series.BondNotFloating):
        floating.series.fixRate(0, 1, sender=floating.mallory)


def test_floating__fixing_before_the_fixing_time__refused(floating):
    frn = floating.frn
    mine(FLOAT_ISSUE - 1)
    expect_revert(
        "BondWrongFixingRound", frn.fixRate, 0, 1, roundId=1, updatedAt=0, fixingTime=FLOAT_ISSUE
    )


def test_floating__the_round_in_force_at_the_accrual_start__plus_the_margin(floating):
    frn, ref, office = floating.frn, floating.ref, floating.office
    round1_at = ref.latestRoundData()[3]
    at(FLOAT_ISSUE - DAY)
    ref.forceReport(pct("5.5"), sender=office)  # round 2: in force at the issue date
    at(FLOAT_ISSUE + 2 * 3_600)
    ref.forceReport(pct("6"), sender=office)  # round 3: too late for coupon 0
    # Round 1 was superseded by round 2 before the fixing time.
    with ape.reverts(
        frn.BondWrongFixingRound, roundId=1, updatedAt=round1_at, fixingTime=FLOAT_ISSUE
    ):
        frn.fixRate(0, 1, sender=floating.mallory)
    with ape.reverts(
        frn.BondWrongFixingRound, roundId=3, updatedAt=FLOAT_ISSUE + 7_200, fixingTime=FLOAT_ISSUE
    ):
        frn.fixRate(0, 3, sender=floating.mallory)
    receipt = frn.fixRate(0, 2, sender=floating.mallory)
    rate = 625 * 10**14  # 5.50% + 0.75%
    assert receipt.events == [frn.RateFixed(0, rate, pct("5.5"), 2)]
    assert frn.couponRate(0) == (rate, True)
    with ape.reverts(frn.BondRateAlreadyFixed, coupon=0, rateWad=rate):
        frn.fixRate(0, 2, sender=floating.mallory)
    # ACT/360 over the 92 days of the first period: 100 x 6.25% x 92 / 360.
    assert frn.couponOn(UNIT, 0) == 1_597_222
    assert frn.accruedInterest(FLOAT_ISSUE + 36 * DAY) == 625_000  # 100 x 6.25% x 36 / 360
    # Coupon 1 fixes on coupon 0's payment date, from round 3 (nothing later by then).
    mine(FLOAT_PAY[0] - 1)
    expect_revert(
        "BondWrongFixingRound", frn.fixRate, 1, 3, roundId=3, updatedAt=0, fixingTime=FLOAT_PAY[0]
    )
    at(FLOAT_PAY[0] + 5 * DAY)
    frn.fixRate(1, 3, sender=floating.mallory)
    assert frn.couponRate(1) == (675 * 10**14, True)
    with ape.reverts(frn.BondUnknownCoupon, coupon=4, couponCount=4):
        frn.fixRate(4, 3, sender=floating.mallory)


def test_floating__floored_at_zero(floating):
    flo, ref = floating.floor, floating.ref
    at(FLOAT_ISSUE - DAY)
    ref.forceReport(pct("1.5"), sender=floating.office)  # 1.50% - 2.00% < 0
    at(FLOAT_ISSUE + 1)  # strictly after the accrual start
    receipt = flo.fixRate(0, 2, sender=floating.mallory)
    assert receipt.events == [flo.RateFixed(0, 0, pct("1.5"), 2)]
    assert flo.couponRate(0) == (0, True)
    assert flo.couponOn(1_000 * UNIT, 0) == 0
    flo.openAuction(PRICE, 100 * UNIT, sender=floating.office)
    at(FLOAT_ISSUE + 30 * DAY)
    flo.buy(UNIT, PRICE, sender=floating.alice)
    assert flo.accruedInterest(FLOAT_ISSUE + 30 * DAY) == 0


def test_floating__capped_at_100_percent__absurd_answers_refused(floating):
    frn, ref = floating.frn, floating.ref
    at(FLOAT_ISSUE - DAY)
    ref.forceReport(pct("150"), sender=floating.office)  # round 2
    at(FLOAT_ISSUE + 1)  # strictly after the accrual start
    receipt = frn.fixRate(0, 2, sender=floating.mallory)
    assert receipt.events == [frn.RateFixed(0, WAD, pct("150"), 2)]  # 150.75%, capped
    assert frn.couponRate(0) == (WAD, True)
    at(FLOAT_PAY[0] - DAY)
    ref.forceReport(2 * 10**36, sender=floating.office)  # round 3: beyond any rate
    at(FLOAT_PAY[0] + 1)  # strictly after coupon 1's accrual start
    with ape.reverts(frn.BondBadReferenceRate, answer=2 * 10**36):
        frn.fixRate(1, 3, sender=floating.mallory)
    with ape.reverts(
        frn.BondWrongFixingRound, roundId=2, updatedAt=FLOAT_ISSUE - DAY, fixingTime=FLOAT_PAY[0]
    ):
        frn.fixRate(1, 2, sender=floating.mallory)
    assert frn.couponRate(1) == (0, False)


def test_floating__a_feed_without_the_round_or_with_an_absurd_one__refused(
    project, accounts, floating
):
    """A round never written (no timestamp) is refused; a round whose successor the feed
    does not know (zeros) is the one in force, and an absurd answer there is refused."""
    d, office = floating, fresh(accounts)
    mock = office.deploy(project.MockAggregator, REF_DECIMALS)
    terms = dataclasses.replace(FLOATER, reference_rate=mock.address)
    frn = deploy_series(project, office, d.cash, d.treasury, terms)
    mine(FLOAT_ISSUE + DAY)
    expect_revert(
        "BondWrongFixingRound", frn.fixRate, 0, 7, roundId=7, updatedAt=0, fixingTime=FLOAT_ISSUE
    )
    mock.setRound(5, -2 * 10**36, FLOAT_ISSUE - 1, sender=office)  # round 6 answers zeros
    expect_revert("BondBadReferenceRate", frn.fixRate, 0, 5, answer=-2 * 10**36)
    mock.setRound(5, pct("4"), FLOAT_ISSUE - 1, sender=office)
    frn.fixRate(0, 5, sender=d.mallory)
    assert frn.couponRate(0) == (475 * 10**14, True)  # 4.00% + 0.75%


def test_floating__sales_refused_while_the_current_rate_is_unfixed(floating):
    frn, office, alice = floating.frn, floating.office, floating.alice
    at(FLOAT_ISSUE + DAY)
    with ape.reverts(frn.BondSaleClosed, reason=b32("rate not fixed")):
        frn.openAuction(PRICE, 100 * UNIT, sender=office)
    frn.fixRate(0, 1, sender=alice)  # round 1 (5.00%) is still the one in force
    assert frn.couponRate(0) == (575 * 10**14, True)
    frn.openAuction(PRICE, 100 * UNIT, sender=office)
    frn.buy(10 * UNIT, PRICE, sender=alice)
    at(FLOAT_PAY[0] + 3_600)  # coupon 1's period: its rate is not fixed
    with ape.reverts(frn.BondSaleClosed, reason=b32("rate not fixed")):
        frn.buy(UNIT, PRICE, sender=alice)
    assert frn.accruedInterest(FLOAT_PAY[0] + 10 * DAY) == 0
    frn.fixRate(1, 1, sender=alice)
    frn.buy(UNIT, PRICE, sender=alice)
    assert frn.balanceOf(alice) == 11 * UNIT


def test_floating__unfixed_coupon__funding_and_claims_refused__default_after_grace(floating):
    frn, alice, treasury = floating.frn, floating.alice, floating.treasury
    at(FLOAT_ISSUE + DAY)
    frn.fixRate(0, 1, sender=alice)
    frn.openAuction(PRICE, 100 * UNIT, sender=floating.office)
    frn.buy(10 * UNIT, PRICE, sender=alice)
    at(FLOAT_PAY[0])
    frn.fundCoupon(0, frn.couponOwed(0), sender=treasury)
    frn.fundPrincipal(frn.principalOwed(), sender=treasury)
    # Coupon 1 is never fixed (nobody calls fixRate).
    at(FLOAT_PAY[1] - 15 * DAY)
    with ape.reverts(frn.BondRateNotFixed, coupon=1):
        frn.fundCoupon(1, CASH, sender=treasury)
    at(FLOAT_PAY[1])
    with ape.reverts(frn.BondRateNotFixed, coupon=1):
        frn.claim(alice, [1], sender=alice)
    mine(FLOAT_PAY[1] + GRACE - 1)
    expect_revert("BondRateNotFixed", frn.markDefault, 1, coupon=1)
    at(FLOAT_PAY[1] + GRACE)
    # An unfixed rate is not a missed payment (the outside review: a zero-rate coupon
    # nobody bothered to fix let anyone default a healthy bond): fix it first.
    expect_revert("BondRateNotFixed", frn.markDefault, 1, coupon=1)
    frn.fixRate(1, 1, sender=floating.mallory)
    receipt = frn.markDefault(1, sender=floating.mallory)
    assert receipt.events == [frn.SeriesDefaulted(1, 1_000 * CASH, 10 * UNIT, floating.mallory)]
    frn.claim(alice, [0], sender=alice)  # coupon 0, fully funded, stays claimable
    assert frn.redeem(10 * UNIT, sender=alice).return_value == 1_000 * CASH


# ====================================================================== invalid terms

# Field positions in BondTerms.Terms (sovereign.bondterms.BondTerms.as_struct).
NAME, ISIN, DECIMALS, FACE_VALUE, RATE, REF, MARGIN, FREQ, DAYCOUNT = 0, 1, 3, 4, 5, 6, 7, 8, 9
ISSUE_DATE, FIRST, MAT, CALL_DATES, CALL_PRICES, NOTICE = 11, 12, 13, 15, 16, 17
FIELDS = {
    "NAME": NAME, "ISIN": ISIN, "DECIMALS": DECIMALS, "FACE_VALUE": FACE_VALUE, "RATE": RATE,
    "REF": REF, "MARGIN": MARGIN, "FREQ": FREQ, "DAYCOUNT": DAYCOUNT, "ISSUE_DATE": ISSUE_DATE,
    "FIRST": FIRST, "MAT": MAT, "CALL_DATES": CALL_DATES, "CALL_PRICES": CALL_PRICES,
    "NOTICE": NOTICE,
}  # fmt: skip


def _struct(**fields) -> list:
    """FIXED's struct with raw field values replaced (what the Python builder cannot write)."""
    t = list(FIXED.as_struct())
    for key, value in fields.items():
        t[FIELDS[key]] = value
    return t


def _dated(**changes) -> list:
    return list(with_terms(FIXED, **changes).as_struct())


INVALID = [
    pytest.param(_struct(NAME=""), "name", 0, id="name-empty"),
    pytest.param(_struct(ISIN=""), "name", 0, id="isin-empty"),
    pytest.param(_struct(DECIMALS=19), "decimals", 19, id="decimals-19"),
    pytest.param(_struct(FACE_VALUE=0), "faceValue", 0, id="face-zero"),
    pytest.param(_struct(FACE_VALUE=10**30 + 1), "faceValue", 10**30 + 1, id="face-above-1e30"),
    pytest.param(_struct(FREQ=3), "frequency", 3, id="frequency-3"),
    pytest.param(_struct(FREQ=0), "frequency", 0, id="frequency-0"),
    pytest.param(_struct(DAYCOUNT=4), "dayCount", 4, id="day-count-4"),
    pytest.param(_struct(RATE=WAD + 1), "couponRate", WAD + 1, id="fixed-rate-above-100%"),
    pytest.param(_struct(MARGIN=1), "margin", 1, id="fixed-with-a-margin"),
    pytest.param(_struct(ISSUE_DATE=ISSUE + 1), "issueDate", ISSUE + 1, id="issue-not-midnight"),
    pytest.param(
        _struct(FIRST=PAY[0] + 1), "firstCouponDate", PAY[0] + 1, id="first-coupon-not-midnight"
    ),
    pytest.param(_struct(FIRST=ISSUE), "firstCouponDate", ISSUE, id="first-coupon-on-issue"),
    pytest.param(_struct(MAT=MATURITY + 1), "maturity", MATURITY + 1, id="maturity-not-midnight"),
    pytest.param(
        _struct(MAT=PAY[0] - DAY, CALL_DATES=[], CALL_PRICES=[]),
        "maturity",
        PAY[0] - DAY,
        id="maturity-before-first-coupon",
    ),
    pytest.param(
        _struct(MAT=MATURITY + DAY), "maturityOffSchedule", MATURITY + DAY, id="maturity-off-day"
    ),
    pytest.param(
        _dated(maturity=dt.date(2044, 1, 15)),
        "maturityOffSchedule",
        ts(2044, 1, 15),
        id="maturity-off-period",
    ),
    pytest.param(
        _dated(
            frequency=4,
            first_coupon=dt.date(2041, 6, 15),
            maturity=dt.date(2091, 6, 15),
            call_dates=(),
            call_prices=(),
        ),
        "couponCount",
        201,
        id="201-coupons",
    ),  # fmt: skip
    pytest.param(
        _dated(issue=dt.date(2040, 9, 14)),
        "firstPeriodTooLong",
        ts(2040, 9, 14),
        id="first-period-over-two-periods",
    ),
    pytest.param(_dated(record_days=31), "recordDays", 31, id="record-days-31"),
    pytest.param(
        _dated(issue=dt.date(2041, 9, 1), record_days=14),
        "recordDays",
        14,
        id="record-date-not-after-issue",
    ),
    pytest.param(_struct(CALL_PRICES=[]), "calls", 1, id="calls-without-prices"),
    pytest.param(
        _struct(CALL_DATES=[PAY[k % 5] for k in range(17)], CALL_PRICES=[FACE] * 17),
        "calls",
        17,
        id="17-calls",
    ),
    pytest.param(_struct(NOTICE=366), "callNoticeDays", 366, id="notice-366-days"),
    pytest.param(_struct(CALL_DATES=[CALL + DAY]), "callDate", CALL + DAY, id="call-off-schedule"),
    pytest.param(_struct(CALL_DATES=[CALL + 1]), "callDate", CALL + 1, id="call-not-midnight"),
    pytest.param(_struct(CALL_DATES=[MATURITY]), "callDate", MATURITY, id="call-at-maturity"),
    pytest.param(_struct(CALL_DATES=[ISSUE]), "callDate", ISSUE, id="call-on-issue-date"),
    pytest.param(
        _struct(CALL_DATES=[PAY[3], PAY[2]], CALL_PRICES=[FACE, FACE]),
        "callDate",
        PAY[2],
        id="calls-not-increasing",
    ),
    pytest.param(_struct(CALL_PRICES=[0]), "callPrice", 0, id="call-price-zero"),
    pytest.param(
        _struct(CALL_PRICES=[2 * FACE + 1]), "callPrice", 2 * FACE + 1, id="call-price-above-2x"
    ),
]


@pytest.mark.parametrize("terms,reason,value", INVALID)
def test_invalid_terms__refused_naming_the_rule(project, desk, terms, reason, value):
    got = deploy_revert(project.BondSeries, terms, desk.cash, desk.treasury, by=desk.office)
    assert got == ("BondInvalidTerms", {"reason": b32(reason), "value": value})


def test_invalid_terms__floating(project, floating):
    office, ref = floating.office, floating.ref
    floater = _struct(RATE=0, REF=ref.address, CALL_DATES=[], CALL_PRICES=[])

    def refusal(terms):
        return deploy_revert(project.BondSeries, terms, floating.cash, floating.treasury, by=office)

    assert refusal(floater) is None
    bad_rate = list(floater)
    bad_rate[RATE] = 1
    assert refusal(bad_rate) == ("BondInvalidTerms", {"reason": b32("couponRate"), "value": 1})
    for margin in (WAD + 1, -WAD - 1):
        bad_margin = list(floater)
        bad_margin[MARGIN] = margin
        assert refusal(bad_margin) == ("BondInvalidTerms", {"reason": b32("margin"), "value": 0})
    for margin in (WAD, -WAD):
        edge = list(floater)
        edge[MARGIN] = margin
        assert refusal(edge) is None
    odd = office.deploy(project.MockAggregator, 18)
    odd.setDecimals(19, sender=office)
    bad_ref = list(floater)
    bad_ref[REF] = odd.address
    assert refusal(bad_ref) == (
        "BondInvalidTerms",
        {"reason": b32("referenceDecimals"), "value": 19},
    )


def test_invalid_terms__edges_that_pass(project, desk):
    edges = [
        _struct(DECIMALS=18),
        _struct(DECIMALS=0),
        _struct(FACE_VALUE=10**30, CALL_PRICES=[2 * 10**30]),
        _struct(RATE=WAD),
        _struct(RATE=0),
        _struct(NOTICE=365),
        _struct(CALL_PRICES=[2 * FACE]),
        _struct(CALL_DATES=[PAY[0]]),  # the first coupon date
        _struct(CALL_DATES=[PAY[0], PAY[1], PAY[2], PAY[3], PAY[4]], CALL_PRICES=[FACE] * 5),
        _dated(record_days=30),
        _dated(record_days=0),
        _dated(issue=dt.date(2040, 9, 15)),  # a long first period of exactly two periods
        _dated(issue=dt.date(2041, 9, 1), record_days=13),
        _dated(frequency=1, maturity=dt.date(2043, 9, 15), call_dates=(), call_prices=()),
        _dated(
            frequency=4, first_coupon=dt.date(2041, 6, 15), maturity=dt.date(2091, 3, 15),
            call_dates=(), call_prices=(),
        ),  # 200 coupons
        _dated(maturity=dt.date(2041, 9, 15), call_dates=(), call_prices=()),  # one coupon
    ]  # fmt: skip
    edges += [_struct(FREQ=4)] + [_struct(DAYCOUNT=code) for code in range(4)]
    for terms in edges:
        got = deploy_revert(project.BondSeries, terms, desk.cash, desk.treasury, by=desk.office)
        assert got is None, (terms, got)


def test_invalid_arguments__zero_cash_or_recipient(project, desk):
    terms = FIXED.as_struct()
    for cash, recipient in ((ZERO, desk.treasury.address), (desk.cash.address, ZERO)):
        got = deploy_revert(project.BondSeries, terms, cash, recipient, by=desk.office)
        assert got == ("BondInvalidArgument", {"name": b32("address")})


# ====================================================================== BondRegistry


@pytest.fixture
def office_world(desk):
    return desk


def _create(w, terms=FIXED):
    receipt = w.registry.createSeries(terms.as_struct(), CODE, sender=w.debt)
    created = receipt.events.filter(w.registry.SeriesCreated)[0]
    return ape.project.BondSeries.at(created.series), receipt


def test_registry__creates_series_from_the_hashed_code(office_world):
    w = office_world
    reg = w.registry
    assert reg.seriesCodeHash() == keccak(CODE)
    assert (reg.cash(), reg.treasury()) == (w.cash.address, w.treasury.address)
    series, receipt = _create(w)
    assert receipt.events.filter(reg.SeriesCreated) == [
        reg.SeriesCreated(series, FIXED.isin, FACE, ISSUE, MATURITY)
    ]
    assert reg.isSeries(series) and reg.seriesByIsin(FIXED.isin) == series.address
    assert reg.allSeries() == [w.listed.address, series.address]
    assert (series.registry(), series.cash(), series.proceedsRecipient()) == (
        reg.address,
        w.cash.address,
        w.treasury.address,
    )
    assert series.couponCount() == 6 and series.isin() == FIXED.isin
    assert not reg.isSeries(w.series)  # created by the office account, not by the registry
    # The registry runs the series' auction and call for the debt office.
    w.cash.approve(series, MAX, sender=w.alice)
    at(BUY_AT)
    reg.openAuction(series, PRICE, 100 * UNIT, sender=w.debt)
    assert (series.auctionPrice(), series.auctionRemaining()) == (PRICE, 100 * UNIT)
    series.buy(UNIT, PRICE, sender=w.alice)
    reg.closeAuction(series, sender=w.debt)
    assert (series.auctionPrice(), series.auctionRemaining()) == (0, 0)
    reg.callBond(series, 0, sender=w.debt)
    assert (series.redemptionDate(), series.couponCount()) == (CALL, 4)
    with ape.reverts(series.BondNotRegistry, caller=w.debt.address):
        series.openAuction(PRICE, 1, sender=w.debt)


def test_registry__wrong_series_code__refused(project, office_world):
    w = office_world
    mock_code = bytes(project.MockERC20.contract_type.deployment_bytecode.to_bytes())
    for code in (CODE + b"\0", CODE[:-1], mock_code):
        with ape.reverts(
            w.registry.RegistryWrongSeriesCode, given=keccak(code), expected=keccak(CODE)
        ):
            w.registry.createSeries(FIXED.as_struct(), code, sender=w.debt)


def test_registry__duplicate_isin__refused(office_world):
    w = office_world
    series, _ = _create(w)
    with ape.reverts(w.registry.RegistryDuplicateCode, existing=series.address):
        w.registry.createSeries(
            dataclasses.replace(FIXED, name="Another").as_struct(), CODE, sender=w.debt
        )


def test_registry__matured_or_invalid_terms__refused(office_world):
    w = office_world
    past = dataclasses.replace(
        FIXED, issue=dt.date(2020, 3, 15), first_coupon=dt.date(2020, 9, 15),
        maturity=dt.date(2021, 3, 15), call_dates=(), call_prices=(),
    )  # fmt: skip
    with ape.reverts(
        w.registry.RegistryInvalidDates, issueDate=ts(2020, 3, 15), maturity=ts(2021, 3, 15)
    ):
        w.registry.createSeries(past.as_struct(), CODE, sender=w.debt)
    # The series' own refusal comes through as it is.
    bad = dataclasses.replace(FIXED, record_days=31)
    got = revert_of(w.registry.createSeries, bad.as_struct(), CODE, by=w.debt)
    assert got == ("BondInvalidTerms", {"reason": b32("recordDays"), "value": 31})


def test_registry__unknown_series__refused(office_world):
    w = office_world
    fake = w.series  # a BondSeries, but not one this registry created
    for method, args in (
        (w.registry.openAuction, (fake, PRICE, UNIT)),
        (w.registry.closeAuction, (fake,)),
        (w.registry.callBond, (fake, 0)),
    ):
        with ape.reverts(w.registry.RegistryUnknownSeries, series=fake.address):
            method(*args, sender=w.debt)


def test_registry__only_the_debt_office_and_the_admin(office_world):
    w = office_world
    for method, args in (
        (w.registry.createSeries, (FIXED.as_struct(), CODE)),
        (w.registry.openAuction, (w.listed, PRICE, UNIT)),
        (w.registry.closeAuction, (w.listed,)),
        (w.registry.callBond, (w.listed, 0)),
        (w.registry.setMaturityHaircuts, ([0, 0, 0, 0, 0],)),
    ):
        with ape.reverts(w.registry.AccessManagedUnauthorized, caller=w.mallory.address):
            method(*args, sender=w.mallory)
    with ape.reverts(w.registry.AccessManagedUnauthorized, caller=w.debt.address):
        w.registry.setMaturityHaircuts([0, 0, 0, 0, 0], sender=w.debt)


def test_registry__constructor_refuses_zero_addresses(project, office_world):
    w = office_world
    for cash, treasury in ((ZERO, w.treasury.address), (w.cash.address, ZERO)):
        got = deploy_revert(
            project.BondRegistry, w.manager, cash, treasury, keccak(CODE),
            w.registry.ceilings(), w.registry.assetClass(), by=w.admin,
        )  # fmt: skip
        assert got == ("RegistryInvalidAddress", {"account": ZERO})


def test_registry__maturity_haircuts__bounded_and_monotone(office_world):
    w = office_world
    reg = w.registry
    assert reg.maturityHaircuts() == [200, 600, 1_000, 1_800, 2_500]
    assert reg.MAX_MATURITY_HAIRCUT_BPS() == 5_000
    with ape.reverts(
        reg.RegistryHaircutOutOfBounds, tier=4, value=5_001, previous=1_800, max=5_000
    ):
        reg.setMaturityHaircuts([200, 600, 1_000, 1_800, 5_001], sender=w.admin)
    with ape.reverts(reg.RegistryHaircutOutOfBounds, tier=0, value=5_001, previous=0, max=5_000):
        reg.setMaturityHaircuts([5_001, 5_001, 5_001, 5_001, 5_001], sender=w.admin)
    with ape.reverts(reg.RegistryHaircutOutOfBounds, tier=2, value=599, previous=600, max=5_000):
        reg.setMaturityHaircuts([200, 600, 599, 1_800, 2_500], sender=w.admin)
    receipt = reg.setMaturityHaircuts([0, 0, 5_000, 5_000, 5_000], sender=w.admin)
    assert receipt.events == [
        reg.MaturityHaircutsSet([200, 600, 1_000, 1_800, 2_500], [0, 0, 5_000, 5_000, 5_000])
    ]
    assert reg.maturityHaircuts() == [0, 0, 5_000, 5_000, 5_000]


def test_registry__maturity_haircut_tier_edges(office_world):
    reg = office_world.registry
    assert [reg.TIER_LIMITS(i) for i in range(4)] == TIERS
    expected = {
        0: 200,
        TIERS[0]: 200,
        TIERS[0] + 1: 600,
        TIERS[1]: 600,
        TIERS[1] + 1: 1_000,
        TIERS[2]: 1_000,
        TIERS[2] + 1: 1_800,
        TIERS[3]: 1_800,
        TIERS[3] + 1: 2_500,
        2**256 - 1: 2_500,
    }
    assert {r: reg.maturityHaircutBps(r) for r in expected} == expected


# ====================================================================== BondValueFeed


@pytest.fixture
def valued(desk):
    """At BUY_AT the registry opens `listed`'s auction; alice buys 1,000, bob 500."""
    at(BUY_AT)
    desk.registry.openAuction(desk.listed, PRICE, 10_000 * UNIT, sender=desk.debt)
    desk.listed.buy(1_000 * UNIT, PRICE, sender=desk.alice)
    desk.listed.buy(500 * UNIT, PRICE, sender=desk.bob)
    return desk


def model_value(clean_answer: int, timestamp: int, haircut_bps: int) -> int:
    """(clean x 10**(18-8) + accrued x 10**(18-6)) x (1 - haircut), zero when negative."""
    dirty = clean_answer * 10 ** (18 - FEED_DECIMALS) + accrued(timestamp) * 10**12
    return max(dirty, 0) * (10_000 - haircut_bps) // 10_000


def test_value_feed__dirty_price_less_the_maturity_haircut(valued):
    v = valued
    assert (v.feed.decimals(), v.feed.version()) == (18, 4)
    assert (v.feed.registry(), v.feed.series(), v.feed.cleanPriceFeed()) == (
        v.registry.address,
        v.listed.address,
        v.clean.address,
    )
    quoted_at = BUY_AT + 3_600
    at(quoted_at)
    v.clean.set(CLEAN, quoted_at, sender=v.admin)
    moment = BUY_AT + 10 * DAY
    mine(moment)  # 88 days into 184; 2.76 years left: tier 1 (6%)
    assert v.registry.maturityHaircutBps(MATURITY - moment) == 600
    accrued_wad = 2_959_239 * 10**12  # 6,187,500 x 88 / 184 = 2,959,239.13
    value = (99_500_000 * 10**12 + accrued_wad) * 9_400 // 10_000
    assert value == model_value(CLEAN, moment, 600)
    assert v.feed.latestRoundData() == (1, value, quoted_at, quoted_at, 1)
    assert v.feed.getRoundData(7) == (1, value, quoted_at, quoted_at, 1)
    assert v.feed.valuation() == (
        99_500_000 * 10**12,
        accrued_wad,
        99_500_000 * 10**12 + accrued_wad,
        600,
        value,
        quoted_at,
    )
    # Ex-coupon the accrued interest is negative; less than a year left: 2%.
    v.clean.set(CLEAN, 12_345, sender=v.admin)  # an old quote: its time passes through
    moment = RECORD[5] + DAY
    mine(moment)
    assert accrued(moment) == -475_962  # -(6,187,500 x 14 / 182) = -475,961.5, down
    assert v.feed.latestRoundData() == (1, model_value(CLEAN, moment, 200), 12_345, 12_345, 1)


def test_value_feed__every_tier_as_maturity_nears(valued):
    v = valued
    v.clean.set(CLEAN, BUY_AT, sender=v.admin)
    for moment, tier in (
        (MATURITY - 365 * DAY - 1, 600),
        (MATURITY - 365 * DAY, 200),
        (MATURITY - 2 * DAY, 200),
    ):
        mine(moment)
        assert v.feed.valuation()[3] == tier
        assert v.feed.latestRoundData()[1] == model_value(CLEAN, moment, tier)
    v.registry.setMaturityHaircuts([100, 100, 100, 100, 100], sender=v.admin)
    mine(MATURITY - 1)
    assert v.feed.valuation()[3] == 100
    assert v.feed.latestRoundData()[1] == model_value(CLEAN, MATURITY - 1, 100)


def test_value_feed__negative_dirty_price__zero(valued):
    v = valued
    v.clean.set(100, RECORD[0], sender=v.admin)  # a clean price of 0.000001, ex-coupon
    mine(RECORD[0] + DAY)
    clean, acc, dirty, _, value, _ = v.feed.valuation()
    assert acc == accrued(RECORD[0] + DAY) * 10**12 < 0
    assert dirty == clean + acc < 0
    assert value == 0 and v.feed.latestRoundData()[1] == 0


def test_value_feed__non_positive_clean_answer_passes_through(valued):
    """The reserve counts a non-positive answer as unusable; the feed does not hide it."""
    v = valued
    for answer in (0, -5):
        v.clean.set(answer, BUY_AT, sender=v.admin)
        assert v.feed.latestRoundData()[1] == answer


def test_value_feed__defaulted__the_recovery_per_token(valued):
    v = valued
    s = v.listed
    at(PAY[0])
    s.fundCoupon(0, 1_000 * CASH, sender=v.treasury)  # part-funded
    s.fundPrincipal(40_000 * CASH, sender=v.treasury)
    at(PAY[0] + GRACE)
    s.markDefault(0, sender=v.mallory)
    mine(PAY[0] + GRACE + 60)
    # 40,000 / 1,500 = 26.666666 per token, rounded down; fresh (the part-funded
    # coupon's 1,000 stays with its record-date holders).
    per_token = 26_666_666
    assert v.feed.latestRoundData() == (
        1,
        per_token * 10**12,
        PAY[0] + GRACE + 60,
        PAY[0] + GRACE + 60,
        1,
    )
    at(PAY[0] + GRACE + 120)
    s.redeem(1_000 * UNIT, sender=v.alice)
    mine(PAY[0] + GRACE + 180)
    assert v.feed.latestRoundData()[1] == per_token * 10**12  # the same for who is left


def test_value_feed__after_redemption__pool_per_token_capped_at_the_price(valued):
    v = valued
    s, cash = v.listed, v.cash
    s.fundPrincipal(75_000 * CASH, sender=v.treasury)  # half
    mine(MATURITY)
    assert v.feed.latestRoundData() == (1, 50 * CASH * 10**12, MATURITY, MATURITY, 1)
    cash.mint(s, 10**6 * CASH, sender=v.treasury)  # a donation does not count
    mine(MATURITY + 60)
    assert v.feed.latestRoundData()[1] == 50 * CASH * 10**12
    s.fundPrincipal(75_000 * CASH, sender=v.treasury)
    mine(MATURITY + 120)
    assert v.feed.latestRoundData()[1] == FACE * 10**12  # capped at the redemption price
    at(MATURITY + 180)
    s.redeem(1_000 * UNIT, sender=v.alice)
    s.redeem(500 * UNIT, sender=v.bob)
    mine(MATURITY + 240)
    assert s.totalSupply() == 0
    assert v.feed.latestRoundData() == (1, FACE * 10**12, MATURITY + 240, MATURITY + 240, 1)


# ====================================================================== findings


def test_coupon_default_after_everyone_redeemed__the_coupon_cash_stays_with_its_holders(valued):
    """The last coupon part-funded (1,000 of 9,281.25), the principal repaid in full at
    maturity and every token redeemed; thirty days later anyone records the default on that
    coupon. The coupon keeps its 1,000 for its record-date holders (alice 2/3, bob 1/3),
    nothing is left for a recovery pool with no tokens, and nothing divides by zero (found
    by the outside review: the cash was locked and the feed reverted)."""
    v = valued
    s, cash = v.listed, v.cash
    at(RECORD[5])
    s.fundCoupon(5, 1_000 * CASH, sender=v.treasury)
    at(MATURITY)
    s.fundPrincipal(s.principalOwed(), sender=v.treasury)
    s.redeem(1_000 * UNIT, sender=v.alice)
    s.redeem(500 * UNIT, sender=v.bob)
    at(MATURITY + GRACE)
    s.markDefault(5, sender=v.mallory)
    mine(MATURITY + GRACE + 60)
    assert (s.defaulted(), s.defaultPool(), s.defaultSupply()) == (True, 0, 0)
    assert s.redemptionValue(UNIT) == 0
    assert v.feed.latestRoundData()[1] == 0
    at(MATURITY + GRACE + 120)
    assert s.claim(v.alice, [5], sender=v.mallory).return_value == 1_000 * CASH * 1_000 // 1_500
    assert s.claim(v.bob, [5], sender=v.bob).return_value == 1_000 * CASH * 500 // 1_500
    assert cash.balanceOf(s) <= 1  # rounding dust only


def test_value_feed__description__a_reverting_clean_feed_counts_zero(project, accounts, valued):
    """A clean feed that reverts (here a token with decimals but no latestRoundData)
    answers "no price", which the reserve counts at zero: the valuation does not revert."""
    v, deployer = valued, fresh(accounts)
    assert v.feed.description() == "Bond dirty price less maturity haircut (on-chain accrual)"
    broken = deployer.deploy(project.BondValueFeed, v.listed, v.cash)
    assert broken.valuation() == (0, 0, 0, 0, 0, 0)
    assert broken.latestRoundData() == (1, 0, 0, 0, 1)


def test_value_feed__more_than_18_decimals__refused(project, accounts, valued):
    deployer = fresh(accounts)
    odd_feed = deployer.deploy(project.MockAggregator, 19)
    assert deploy_revert(project.BondValueFeed, valued.listed, odd_feed, by=deployer) == (
        "BondFeedInvalidDecimals",
        {"decimals": 19},
    )
    odd_cash = deployer.deploy(project.MockERC20, "Odd", "ODD", 19)
    odd_series = deploy_series(project, deployer, odd_cash, valued.treasury, FIXED)
    assert deploy_revert(project.BondValueFeed, odd_series, valued.clean, by=deployer) == (
        "BondFeedInvalidDecimals",
        {"decimals": 19},
    )
