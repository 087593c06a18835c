"""Program ceilings for debt: each bill and bond series is booked at face value against
its registry's asset class (BILLS, BONDS) in ProgramCeilings, the contract that also
caps the commodity classes.

Who may do what: the debt office opens and closes auctions (booking the offer as it
is made, giving back what closes unsold); anyone may call ``sync`` (the figure can only
follow the series' own supply); the governor sets each ceiling with its delay.
The value followed: booked = ceil(tokens sold and still offered x face / 10^decimals),
scaled from cash units to wad; outstanding(class) = the sum over the class's series.
"""

import dataclasses
import datetime as dt
import random
from decimal import Decimal

import ape
import pytest
from eth_utils import keccak

from sovereign.bondterms import BondTerms
from sovereign.units import text_to_bytes32
from tests.utils.constants import CASH, DAY

BILLS, BONDS = text_to_bytes32("BILLS"), text_to_bytes32("BONDS")
TO_WAD = 10**12  # cash has 6 decimals
BOND_FACE = 100 * CASH
CODE = bytes(ape.project.BondSeries.contract_type.deployment_bytecode.to_bytes())


def face_wad(tokens: int, face: int, decimals: int = 6) -> int:
    """The independent figure: face value of `tokens`, rounded up, in peg wad."""
    return -(-tokens * face // 10**decimals) * TO_WAD


@pytest.fixture
def ceilings(system):
    return system.ceilings


@pytest.fixture
def buyer(cash, central_bank, alice):
    cash.mint(alice, 10**9 * CASH, sender=central_bank)
    return alice


def make_bond(project, system, debt_office, isin="SL2027DEBT01", years=1, callable_=False):
    today = dt.datetime.fromtimestamp(ape.chain.pending_timestamp, dt.UTC).date()
    half = today + dt.timedelta(days=182)
    calls = {"frequency": 2, "first_coupon": half, "call_dates": (half,),
             "call_prices": (BOND_FACE,)} if callable_ else {}  # fmt: skip
    terms = BondTerms(
        name="Sovereign Bond",
        isin=isin,
        currency="SLL",
        decimals=6,
        face_value=BOND_FACE,
        issue=today,
        first_coupon=today.replace(year=today.year + 1),
        maturity=today.replace(year=today.year + years),
        frequency=1,
        coupon_rate=Decimal("0.05"),
        record_days=1,
        call_notice_days=1,
    )
    terms = dataclasses.replace(terms, **calls)
    receipt = system.bond_registry.createSeries(terms.as_struct(), CODE, sender=debt_office)
    event = receipt.events.filter(system.bond_registry.SeriesCreated)[0]
    return project.BondSeries.at(event.series)


def test_deployment__both_registries_book_in_the_shared_ceilings(system, ceilings, config):
    from sovereign.roles import Role

    for registry in (system.registry, system.bond_registry):
        assert system.manager.hasRole(Role.PROGRAM_ISSUER, registry)[0]
    assert system.registry.ceilings() == system.bond_registry.ceilings() == ceilings.address
    assert system.registry.assetClass() == BILLS and system.bond_registry.assetClass() == BONDS
    assert ceilings.ceiling(BILLS) == int(config.bills_ceiling) * 10**18
    assert ceilings.ceiling(BONDS) == int(config.bonds_ceiling) * 10**18
    if system.commodity is not None:
        assert system.commodity.ceilings.address == ceilings.address


def test_bill_auction__books_the_offer_then_gives_back_what_closes_unsold(
    make_series, registry, ceilings, debt_office, cash, buyer
):
    series = make_series("DC-1", 91, offered=1_000 * CASH)
    assert registry.booked(series) == face_wad(1_000 * CASH, CASH)
    assert ceilings.outstanding(BILLS) == face_wad(1_000 * CASH, CASH)
    cash.approve(series, 2**256 - 1, sender=buyer)
    series.buy(300 * CASH + 1, 980_000, sender=buyer)  # a sale moves no room
    assert ceilings.outstanding(BILLS) == face_wad(1_000 * CASH, CASH)
    receipt = registry.closeAuction(series, sender=debt_office)
    sold = face_wad(300 * CASH + 1, CASH)  # rounded up: one unit's face is a whole wad unit
    assert ceilings.outstanding(BILLS) == registry.booked(series) == sold
    assert receipt.events.filter(registry.DebtBooked) == [
        registry.DebtBooked(series, face_wad(1_000 * CASH, CASH), sold)
    ]


def test_bill_auction__past_the_ceiling__refused_with_the_numbers(
    make_series, registry, ceilings, debt_office, gov
):
    gov(ceilings, "setCeiling", BILLS, face_wad(5_000 * CASH, CASH))
    series = make_series("DC-2", 91, offered=4_000 * CASH)
    used = ceilings.outstanding(BILLS)
    with ape.reverts(
        ceilings.ProgramCeilingExceeded,
        assetClass=BILLS,
        outstanding=used,
        amount=face_wad(2_000 * CASH, CASH),
        ceiling=face_wad(5_000 * CASH, CASH),
    ):
        registry.openAuction(series, 980_000, 6_000 * CASH, sender=debt_office)  # re-price up
    registry.openAuction(series, 980_000, 5_000 * CASH, sender=debt_office)  # exactly full
    assert ceilings.headroom(BILLS) == 0
    with ape.reverts(ceilings.ProgramCeilingExceeded):
        make_series("DC-3", 91, offered=1)


def test_ceiling_lowered_below_outstanding__nothing_issued_moves_and_only_new_room_is_refused(
    make_series, registry, ceilings, debt_office, gov
):
    series = make_series("DC-4", 91, offered=2_000 * CASH)
    gov(ceilings, "setCeiling", BILLS, face_wad(1_000 * CASH, CASH))
    registry.openAuction(series, 970_000, 2_000 * CASH, sender=debt_office)  # re-price, same size
    with ape.reverts(ceilings.ProgramCeilingExceeded):
        registry.openAuction(series, 970_000, 2_000 * CASH + 1, sender=debt_office)
    registry.closeAuction(series, sender=debt_office)  # nothing sold: all room back
    assert ceilings.outstanding(BILLS) == 0 and registry.booked(series) == 0


def test_sync__gives_back_the_face_of_redeemed_bills__open_to_anyone(
    make_series, registry, ceilings, debt_office, cash, buyer, central_bank, mallory
):
    series = make_series("DC-5", 91, offered=1_000 * CASH)
    cash.approve(series, 2**256 - 1, sender=buyer)
    series.buy(1_000 * CASH, 980_000, sender=buyer)
    registry.closeAuction(series, sender=debt_office)
    cash.approve(series, 2**256 - 1, sender=central_bank)
    cash.mint(central_bank, 1_000 * CASH, sender=central_bank)
    series.fundRepayment(1_000 * CASH, sender=central_bank)
    ape.chain.mine(1, timestamp=series.maturity())
    series.redeem(400 * CASH, sender=buyer)
    assert ceilings.outstanding(BILLS) == face_wad(1_000 * CASH, CASH)  # not yet synced
    registry.sync(series, sender=mallory)
    assert ceilings.outstanding(BILLS) == face_wad(600 * CASH, CASH)
    receipt = registry.sync(series, sender=mallory)  # nothing changed: no event
    assert not receipt.events.filter(registry.DebtBooked)


def test_sync__a_series_of_no_registry__refused(registry, system, mallory):
    with ape.reverts(registry.RegistryUnknownSeries, series=system.vault.address):
        registry.sync(system.vault, sender=mallory)
    with ape.reverts(system.bond_registry.RegistryUnknownSeries):
        system.bond_registry.sync(system.vault, sender=mallory)


def test_bond_auction__booked_at_face__past_the_ceiling_refused__redeemed_face_given_back(
    project, system, ceilings, debt_office, cash, buyer, central_bank, gov, alice
):
    bonds = system.bond_registry
    gov(ceilings, "setCeiling", BONDS, face_wad(100 * CASH, BOND_FACE))  # 100 bonds' face
    series = make_bond(project, system, debt_office)
    with ape.reverts(
        ceilings.ProgramCeilingExceeded,
        assetClass=BONDS,
        outstanding=0,
        amount=face_wad(101 * CASH, BOND_FACE),
        ceiling=face_wad(100 * CASH, BOND_FACE),
    ):
        bonds.openAuction(series, 99 * CASH, 101 * CASH, sender=debt_office)
    bonds.openAuction(series, 99 * CASH, 60 * CASH, sender=debt_office)
    cash.approve(series, 2**256 - 1, sender=buyer)
    series.buy(50 * CASH, 2**255, sender=buyer)
    bonds.closeAuction(series, sender=debt_office)
    assert ceilings.outstanding(BONDS) == bonds.booked(series) == face_wad(50 * CASH, BOND_FACE)
    cash.mint(central_bank, 10**6 * CASH, sender=central_bank)
    cash.approve(series, 2**256 - 1, sender=central_bank)
    ape.chain.mine(1, timestamp=series.maturity() + DAY)
    for coupon in range(series.couponCount()):
        series.fundCoupon(coupon, series.couponOwed(coupon), sender=central_bank)
    series.fundPrincipal(series.principalOwed(), sender=central_bank)
    series.redeem(50 * CASH, sender=alice)
    bonds.sync(series, sender=alice)
    assert ceilings.outstanding(BONDS) == 0


def test_constructor__no_ceilings_no_class_or_a_cash_of_19_decimals__refused(
    project, accounts, system
):
    deployer = accounts[17]  # deploys nowhere else
    zero = "0x" + "00" * 20
    args = (system.manager, system.cash, deployer.address)
    with ape.reverts(project.TBillRegistry.DebtCeilingInvalidBook, ceilings=zero):
        project.TBillRegistry.deploy(*args, zero, BILLS, sender=deployer)
    with ape.reverts(project.BondRegistry.DebtCeilingInvalidBook, assetClass=b"\0" * 32):
        project.BondRegistry.deploy(
            *args, keccak(CODE), system.ceilings, b"\0" * 32, sender=deployer
        )
    wide = deployer.deploy(project.MockERC20, "Wide", "W", 19)
    with ape.reverts(project.TBillRegistry.DebtCeilingCashDecimals, decimals=19):
        project.TBillRegistry.deploy(
            system.manager, wide, deployer.address, system.ceilings, BILLS, sender=deployer
        )


def test_property__outstanding_is_the_face_of_every_series_after_any_sequence(
    make_series, registry, ceilings, debt_office, cash, buyer, central_bank, mallory, gov
):
    """Random opens, re-prices, sales, closes, redemptions and syncs over three series:
    after each step the class's outstanding equals the sum of what each series is booked
    at, each booked figure equals the independent face of the series when it was last
    booked, and after a final sync of all, the face of what is out there now."""
    rng = random.Random(14)
    gov(ceilings, "setCeiling", BILLS, face_wad(6_000 * CASH, CASH))
    series = [make_series(f"DP-{i}", 30 * (i + 1), offered=1_000 * CASH) for i in range(3)]
    for s in series:
        cash.approve(s, 2**256 - 1, sender=buyer)
        cash.approve(s, 2**256 - 1, sender=central_bank)
    cash.mint(central_bank, 10**7 * CASH, sender=central_bank)
    expected = {s.address: face_wad(1_000 * CASH, CASH) for s in series}
    refused = redeemed = 0
    for _ in range(60):
        s = rng.choice(series)
        op = rng.choices(["open", "buy", "close", "redeem", "sync"], [7, 5, 3, 1, 3])[0]
        if op == "open" and ape.chain.pending_timestamp < s.maturity():
            amount = rng.randrange(0, 4_000) * CASH
            after = face_wad(s.totalSupply() + amount, CASH)
            room = ceilings.ceiling(BILLS) - ceilings.outstanding(BILLS) + expected[s.address]
            if after > expected[s.address] and after > room:
                with ape.reverts(ceilings.ProgramCeilingExceeded):
                    registry.openAuction(s, 980_000, amount, sender=debt_office)
                refused += 1
            else:
                registry.openAuction(s, 980_000, amount, sender=debt_office)
                expected[s.address] = after
        elif op == "buy" and s.auctionRemaining() and ape.chain.pending_timestamp < s.maturity():
            s.buy(rng.randint(1, s.auctionRemaining()), 980_000, sender=buyer)
        elif op == "close":
            registry.closeAuction(s, sender=debt_office)
            expected[s.address] = face_wad(s.totalSupply(), CASH)
        elif op == "redeem":
            owed = s.totalSupply() * s.faceValue() // 10**6
            if s.totalSupply() and cash.balanceOf(s) < owed:
                s.fundRepayment(owed - cash.balanceOf(s), sender=central_bank)
            ape.chain.mine(1, timestamp=max(ape.chain.pending_timestamp, s.maturity()))
            held = s.balanceOf(buyer)
            if held:
                s.redeem(rng.randint(1, held), sender=buyer)
                redeemed += 1
        elif op == "sync":
            registry.sync(s, sender=mallory)
            expected[s.address] = face_wad(s.totalSupply() + s.auctionRemaining(), CASH)
        assert [registry.booked(x) for x in series] == [expected[x.address] for x in series]
        assert ceilings.outstanding(BILLS) == sum(expected.values())
        assert ceilings.outstanding(BILLS) <= ceilings.ceiling(BILLS)
    for s in series:
        registry.sync(s, sender=mallory)
    now = [face_wad(s.totalSupply() + s.auctionRemaining(), CASH) for s in series]
    assert ceilings.outstanding(BILLS) == sum(now)
    assert refused, "the sequence never reached the ceiling: the refusal path went untested"
    assert redeemed, "the sequence redeemed nothing: the repayment path went untested"


def test_ceiling_lowered__anyone_closes_the_open_offer_with_sync__sold_debt_untouched(
    make_series, registry, ceilings, debt_office, cash, buyer, mallory, gov
):
    """Who may: anyone, only above a lowered ceiling. Value: the unsold offer leaves the
    class; what was sold stays booked; below the ceiling, sync closes nothing."""
    series = make_series("DC-6", 91, offered=2_000 * CASH)
    cash.approve(series, 2**256 - 1, sender=buyer)
    series.buy(500 * CASH, 980_000, sender=buyer)
    registry.sync(series, sender=mallory)  # not above the ceiling: the offer stays
    assert series.auctionRemaining() == 1_500 * CASH
    gov(ceilings, "setCeiling", BILLS, face_wad(1_000 * CASH, CASH))
    used = ceilings.outstanding(BILLS)
    receipt = registry.sync(series, sender=mallory)
    assert series.auctionRemaining() == 0 and series.totalSupply() == 500 * CASH
    assert receipt.events.filter(registry.OfferClosedOverCeiling) == [
        registry.OfferClosedOverCeiling(series, 1_500 * CASH, used, face_wad(1_000 * CASH, CASH))
    ]
    assert ceilings.outstanding(BILLS) == registry.booked(series) == face_wad(500 * CASH, CASH)
    with ape.reverts(series.TBillAuctionClosed):
        series.buy(CASH, 980_000, sender=buyer)


def test_a_defaulted_series__stays_booked_after_its_recovery_is_paid(
    make_series, registry, ceilings, debt_office, cash, buyer, central_bank, mallory
):
    """Value: a recovery pays less than face; the unpaid debt still counts, so the room
    of a defaulted series never comes back by sync."""
    series = make_series("DC-7", 91, offered=1_000 * CASH)
    cash.approve(series, 2**256 - 1, sender=buyer)
    series.buy(1_000 * CASH, 980_000, sender=buyer)
    registry.closeAuction(series, sender=debt_office)
    cash.mint(series, 100 * CASH, sender=central_bank)  # 10% of face
    ape.chain.mine(1, timestamp=series.graceEnd())
    series.markDefault(sender=mallory)
    series.redeem(1_000 * CASH, sender=buyer)  # every token paid from the recovery
    assert series.totalSupply() == 0
    registry.sync(series, sender=mallory)
    assert ceilings.outstanding(BILLS) == registry.booked(series) == face_wad(1_000 * CASH, CASH)


def test_bond_called__its_unsold_offer_leaves_the_class_at_once(
    project, system, ceilings, debt_office, cash, buyer
):
    bonds = system.bond_registry
    series = make_bond(project, system, debt_office, isin="SL2027CALL01", callable_=True)
    bonds.openAuction(series, 99 * CASH, 60 * CASH, sender=debt_office)
    cash.approve(series, 2**256 - 1, sender=buyer)
    series.buy(10 * CASH, 2**255, sender=buyer)
    bonds.callBond(series, 0, sender=debt_office)
    assert series.auctionRemaining() == 0
    assert ceilings.outstanding(BONDS) == bonds.booked(series) == face_wad(10 * CASH, BOND_FACE)
