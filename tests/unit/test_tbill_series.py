"""TBillSeries and TBillRegistry: immutable terms, auctions, maturity, repayment, default."""

import ape
import pytest

from tests.utils.constants import CASH, DAY


@pytest.fixture
def buyer(system, cash, central_bank, alice):
    cash.mint(alice, 100_000 * CASH, sender=central_bank)
    return alice


def test_create_series__terms_are_immutable_and_evented(system, registry, debt_office, project):
    now = ape.chain.pending_timestamp
    receipt = registry.createSeries(
        "SLTB-2027-03", 6, CASH, now, now + 90 * DAY, sender=debt_office
    )
    created = receipt.events.filter(registry.SeriesCreated)[0]
    series = project.TBillSeries.at(created.series)
    assert (series.seriesCode(), series.faceValue(), series.maturity(), series.decimals()) == (
        "SLTB-2027-03",
        CASH,
        now + 90 * DAY,
        6,
    )
    assert registry.isSeries(series) and registry.seriesByCode("SLTB-2027-03") == series.address
    terms = series.SeriesTerms.from_receipt(receipt)[0]
    assert (terms.code, terms.faceValue, terms.issueDate) == ("SLTB-2027-03", CASH, now)
    with ape.reverts(registry.RegistryDuplicateCode, existing=series.address):
        registry.createSeries("SLTB-2027-03", 6, CASH, now, now + DAY, sender=debt_office)


def test_create_series__invalid_dates__reverts(system, registry, debt_office):
    now = ape.chain.pending_timestamp
    with ape.reverts(registry.RegistryInvalidDates):
        registry.createSeries("X", 6, CASH, now, now, sender=debt_office)
    with ape.reverts(registry.RegistryInvalidDates):
        registry.createSeries("Y", 6, CASH, now - 10 * DAY, now - DAY, sender=debt_office)


def test_auction__sells_at_discount_to_the_treasury(make_series, cash, buyer, deployer):
    series = make_series("B1", 91, price=987_500)
    cash.approve(series, 10_000 * CASH, sender=buyer)
    before = cash.balanceOf(deployer)  # the treasury (proceeds recipient) is the deployer here
    receipt = series.buy(1_000 * CASH, 990_000, sender=buyer)
    assert series.balanceOf(buyer) == 1_000 * CASH
    assert cash.balanceOf(deployer) - before == 987_500_000
    assert receipt.events.filter(series.Sold) == [
        series.Sold(buyer, 1_000 * CASH, 987_500, 987_500_000)
    ]


def test_auction__limits(make_series, registry, debt_office, cash, buyer):
    series = make_series("B2", 91, price=980_000, offered=500 * CASH)
    cash.approve(series, 10_000 * CASH, sender=buyer)
    with ape.reverts(series.TBillPriceAboveLimit, price=980_000, maxPrice=979_999):
        series.buy(CASH, 979_999, sender=buyer)
    with ape.reverts(series.TBillAuctionExhausted, amount=501 * CASH, remaining=500 * CASH):
        series.buy(501 * CASH, 980_000, sender=buyer)
    with ape.reverts(series.TBillInvalidPrice, price=CASH, faceValue=CASH):
        registry.openAuction(series, CASH, 1, sender=debt_office)  # no discount
    registry.closeAuction(series, sender=debt_office)
    with ape.reverts(series.TBillAuctionClosed, price=0, issueDate=series.issueDate()):
        series.buy(CASH, 980_000, sender=buyer)


def test_auction__only_through_the_registry(make_series, mallory):
    series = make_series("B3", 91)
    with ape.reverts(series.TBillNotRegistry, caller=mallory.address):
        series.openAuction(1, 1, sender=mallory)


def _bought(make_series, cash, buyer, code, days, amount=1_000 * CASH):
    series = make_series(code, days)
    cash.approve(series, 2**256 - 1, sender=buyer)
    series.buy(amount, 980_000, sender=buyer)
    return series


def test_redeem__one_second_before_maturity__reverts(make_series, cash, buyer, central_bank):
    series = _bought(make_series, cash, buyer, "B4", 91)
    cash.mint(series, 1_000 * CASH, sender=central_bank)  # the pool is funded
    ape.chain.mine(1, timestamp=series.maturity() - 2)
    with ape.reverts(series.TBillNotMatured, maturity=series.maturity()):
        series.redeem(CASH, sender=buyer)


def test_redeem__at_maturity__pays_face_once(make_series, cash, buyer, central_bank):
    series = _bought(make_series, cash, buyer, "B5", 91)
    cash.mint(central_bank, 1_000 * CASH, sender=central_bank)
    cash.approve(series, 1_000 * CASH, sender=central_bank)
    series.fundRepayment(1_000 * CASH, sender=central_bank)
    ape.chain.mine(1, timestamp=series.maturity())
    before = cash.balanceOf(buyer)
    receipt = series.redeem(1_000 * CASH, sender=buyer)
    assert cash.balanceOf(buyer) - before == 1_000 * CASH
    assert receipt.events.filter(series.Redeemed) == [
        series.Redeemed(buyer, 1_000 * CASH, 1_000 * CASH)
    ]
    with ape.reverts(series.ERC20InsufficientBalance):
        series.redeem(CASH, sender=buyer)  # double redemption


def test_pool_short__nobody_paid_during_grace_then_default_pays_pro_rata(
    make_series, cash, buyer, bob, central_bank
):
    series = _bought(make_series, cash, buyer, "B6", 91)
    series.transfer(bob, 250 * CASH, sender=buyer)
    cash.mint(series, 600 * CASH, sender=central_bank)  # 60% of the 1,000 owed
    grace_end = series.maturity() + series.GRACE_PERIOD()
    assert series.graceEnd() == grace_end == series.maturity() + 3 * DAY
    ape.chain.mine(1, timestamp=series.maturity())
    assert series.redemptionValue(250 * CASH) == 150 * CASH  # what a default would pay
    for who, amount in ((buyer, 750 * CASH), (bob, 250 * CASH)):
        with ape.reverts(
            series.TBillRepaymentShort, owed=1_000 * CASH, available=600 * CASH, graceEnd=grace_end
        ):
            series.redeem(amount, sender=who)
    ape.chain.mine(1, timestamp=grace_end - 2)
    with ape.reverts(series.TBillInGracePeriod, graceEnd=grace_end):
        series.markDefault(sender=bob)
    ape.chain.mine(1, timestamp=grace_end)
    receipt = series.redeem(250 * CASH, sender=bob)  # the first redemption records the default
    assert series.defaulted()
    assert receipt.events.filter(series.SeriesDefaulted) == [
        series.SeriesDefaulted(1_000 * CASH, 600 * CASH, bob)
    ]
    assert cash.balanceOf(bob) == 150 * CASH  # 0.60 per bill
    before = cash.balanceOf(buyer)
    series.redeem(750 * CASH, sender=buyer)
    assert cash.balanceOf(buyer) - before == 450 * CASH  # 0.60 per bill too
    assert series.pool() == 0


def test_pool_cured_during_grace__pays_face(make_series, cash, buyer, central_bank):
    series = _bought(make_series, cash, buyer, "B8", 91)
    cash.mint(series, 600 * CASH, sender=central_bank)
    ape.chain.mine(1, timestamp=series.maturity() + DAY)
    cash.mint(series, 400 * CASH, sender=central_bank)  # the treasury cures it in time
    before = cash.balanceOf(buyer)
    series.redeem(1_000 * CASH, sender=buyer)
    assert cash.balanceOf(buyer) - before == 1_000 * CASH
    assert not series.defaulted()


def test_default__closes_the_pool_and_refuses_a_second_mark(make_series, cash, buyer, central_bank):
    series = _bought(make_series, cash, buyer, "B9", 91)
    ape.chain.mine(1, timestamp=series.graceEnd())
    receipt = series.markDefault(sender=buyer)
    assert receipt.events == [series.SeriesDefaulted(1_000 * CASH, 0, buyer)]
    with ape.reverts(series.TBillAlreadyDefaulted):
        series.markDefault(sender=buyer)
    cash.mint(central_bank, CASH, sender=central_bank)
    cash.approve(series, CASH, sender=central_bank)
    with ape.reverts(series.TBillPoolClosed):
        series.fundRepayment(CASH, sender=central_bank)
    with ape.reverts(series.TBillNothingToPay, amount=1_000 * CASH):
        series.redeem(1_000 * CASH, sender=buyer)  # an empty pool: nothing burned for nothing
    assert series.balanceOf(buyer) == 1_000 * CASH


def test_default__fixes_the_recovery_rate__later_cash_goes_back_to_the_treasury(
    make_series, cash, buyer, bob, central_bank, deployer
):
    """Cash that reaches a defaulted series by a plain transfer (fundRepayment refuses it)
    must not pay those still holding more than those already paid: every token is paid the
    rate fixed at the default, and the surplus is returned to the treasury."""
    series = _bought(make_series, cash, buyer, "B10", 91)
    series.transfer(bob, 500 * CASH, sender=buyer)
    cash.mint(series, 500 * CASH, sender=central_bank)  # half the face
    ape.chain.mine(1, timestamp=series.graceEnd())
    with ape.reverts(series.TBillNotDefaulted):
        series.sweepSurplus(sender=bob)
    series.redeem(500 * CASH, sender=buyer)  # records the default: 0.50 per bill
    assert (series.defaultPool(), series.defaultSupply()) == (500 * CASH, 1_000 * CASH)
    with ape.reverts(series.TBillNothingToPay, amount=0):
        series.sweepSurplus(sender=bob)  # nothing beyond what the rate owes
    cash.mint(series, 300 * CASH, sender=central_bank)  # a plain transfer after the default
    assert series.redemptionValue(500 * CASH) == 250 * CASH  # still 0.50 per bill
    treasury_before = cash.balanceOf(deployer)
    receipt = series.sweepSurplus(sender=bob)
    assert receipt.events.filter(series.SurplusReturned) == [series.SurplusReturned(300 * CASH)]
    assert cash.balanceOf(deployer) - treasury_before == 300 * CASH
    before = cash.balanceOf(bob)
    series.redeem(500 * CASH, sender=bob)
    assert cash.balanceOf(bob) - before == 250 * CASH  # the same as the first redeemer


def test_mark_default__refused_in_grace_or_when_funded(make_series, cash, buyer, central_bank):
    series = _bought(make_series, cash, buyer, "B7", 91)
    with ape.reverts(series.TBillInGracePeriod, graceEnd=series.graceEnd()):
        series.markDefault(sender=buyer)  # before maturity, a fortiori
    cash.mint(series, 1_000 * CASH, sender=central_bank)
    ape.chain.mine(1, timestamp=series.graceEnd())
    with ape.reverts(series.TBillFullyFunded, owed=1_000 * CASH, available=1_000 * CASH):
        series.markDefault(sender=buyer)


def test_invalid_terms__named_with_their_values(project, accounts, system):
    deployer = accounts[18]  # deploys nowhere else (see the registry test below)
    args = ("X", "X", 6, CASH, 100, 100, system.cash.address, deployer.address)
    with ape.reverts(
        project.TBillSeries.TBillInvalidTerms,
        faceValue=CASH,
        issueDate=100,
        maturity=100,
        decimals=6,
        cash=system.cash.address,
        proceedsRecipient=deployer.address,
    ):
        project.TBillSeries.deploy(*args, sender=deployer)


def test_registry__zero_cash_or_treasury__refused_at_deployment(project, accounts, system):
    deployer = accounts[17]  # deploys nowhere else: ape's address-keyed type cache stays true
    zero = "0x" + "00" * 20
    for cash, treasury in ((zero, deployer.address), (system.cash.address, zero)):
        with ape.reverts(project.TBillRegistry.RegistryInvalidAddress, account=zero):
            project.TBillRegistry.deploy(
                system.manager, cash, treasury, system.ceilings, b"BILLS".ljust(32, b"\0"),
                sender=deployer,
            )  # fmt: skip
