"""The bond attack catalogue: one test per attack on a coupon bond series, named by the
attack, with a one-line docstring "Attack: ... Defence: ..." and an assertion of the
defence: the exact custom error and its values, or the exact bound on what the attack
takes. (The style of tests/audit/test_attacks.py, for contracts/bond.)

Every test starts from `market` (built once per module, reverted after every test): the
FIXED series of tests/bonds/test_bond_lifecycle.py (12.375% semi-annual ACT/ACT (ICMA),
face 100.00, six coupons 2041-09-15 .. 2044-03-15, record date 15 days before each,
callable at 101.00 on 2043-03-15 with 30 days' notice) created by a stand-in registry
account; a twin series whose cash is a ReentrantToken (contracts/test), for callbacks;
the module's cash minted to alice, bob, carol, mallory and the treasury, all approving
both series. Tests that sell open the auction at 99.00 themselves.

Refusals are asserted with the decoded custom error and its values: ``ape.reverts`` for
transactions, ``expect_revert`` (an eth_call at the latest block, decoded against the
bond contracts' errors) where the exact second matters.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import ape
import pytest
from eth_utils import keccak

from sovereign.roles import Role
from tests.bonds.test_bond_lifecycle import (
    BUY_AT,
    CALL,
    CASH,
    CODE,
    COUPON,
    FIXED,
    GRACE,
    MATURITY,
    NOTICE_BY,
    PAY,
    PRICE,
    RECORD,
    UNIT,
    accrued,
    at,
    b32,
    coupon_on,
    expect_revert,
    fresh,
    mine,
    pct,
    revert_of,
    ts,
)
from tests.utils.bonds import deploy_bond_registry, deploy_series
from tests.utils.constants import DAY, MAX, ZERO

pytestmark = pytest.mark.xdist_group("audit-bond-attacks")


@pytest.fixture(scope="module")
def market(project, accounts, alice, bob, mallory):
    office = fresh(accounts)
    carol, treasury = accounts[16], accounts[17]
    cash = office.deploy(project.MockERC20, "Leone", "SLL", 6)
    series = deploy_series(project, office, cash, treasury, FIXED)
    hostile = office.deploy(project.ReentrantToken, 6)
    twin = deploy_series(
        project, office, hostile, treasury, dataclasses.replace(FIXED, isin="SL2044REE001")
    )
    for who in (alice, bob, carol, mallory, treasury):
        for token, s in ((cash, series), (hostile, twin)):
            token.mint(who, 10**9 * CASH, sender=who)
            token.approve(s, MAX, sender=who)
    return SimpleNamespace(
        office=office, series=series, cash=cash, hostile=hostile, twin=twin, treasury=treasury,
        alice=alice, bob=bob, carol=carol, mallory=mallory,
    )  # fmt: skip


def sell(m, series, *buyers, when=BUY_AT):
    """Open `series`' auction at 99.00 at `when` and sell (buyer, amount) pairs."""
    at(when)
    series.openAuction(PRICE, 100_000 * UNIT, sender=m.office)
    for who, amount in buyers:
        series.buy(amount, PRICE, sender=who)


def fund(m, series, k: int, amount: int | None = None) -> int:
    owed = series.couponOwed(k)
    series.fundCoupon(k, owed if amount is None else amount, sender=m.treasury)
    return owed


# ====================================================================== claims


def test_double_claim__refused_in_one_call_and_in_two(market):
    """Attack: claim a coupon twice (two calls, or the same coupon twice in one array).
    Defence: a claimed bit per holder and coupon, set before the cash moves."""
    m, s = market, market.series
    sell(m, s, (m.alice, 1_000 * UNIT), (m.bob, 1_000 * UNIT))
    at(PAY[0])
    fund(m, s, 0)
    with ape.reverts(s.BondAlreadyClaimed, holder=m.alice.address, coupon=0):
        s.claim(m.alice, [0, 0], sender=m.alice)
    s.claim(m.alice, [0], sender=m.alice)
    with ape.reverts(s.BondAlreadyClaimed, holder=m.alice.address, coupon=0):
        s.claim(m.alice, [0], sender=m.alice)
    s.claim(m.bob, [0], sender=m.bob)
    assert s.couponFunding(0) == (2 * 6_187_500_000, 2 * 6_187_500_000)
    assert m.cash.balanceOf(s) == 0


def test_claim_after_transfer__the_buyer_after_the_record_date_gets_nothing(market):
    """Attack: the seller transfers after the record date and the buyer claims the coupon
    too (one coupon paid twice). Defence: the coupon belongs to the record-date holder; the
    buyer's balance counts from the next coupon."""
    m, s = market, market.series
    sell(m, s, (m.alice, 1_000 * UNIT))
    at(RECORD[0] + 3_600)
    s.transfer(m.mallory, 1_000 * UNIT, sender=m.alice)
    at(PAY[0])
    fund(m, s, 0)
    with ape.reverts(s.BondNothingToClaim, holder=m.mallory.address, coupon=0):
        s.claim(m.mallory, [0], sender=m.mallory)
    assert s.claim(m.alice, [0], sender=m.alice).return_value == 6_187_500_000
    # The coupon was paid once, to the seller; the buyer holds coupon 1 on.
    assert s.balanceAtRecord(m.mallory, 1) == 1_000 * UNIT and s.balanceOf(m.alice) == 0


def test_claim_for_someone_else__pays_the_holder_never_the_caller(market):
    """Attack: mallory claims alice's coupon, hoping to be paid. Defence: claim(holder) pays
    the holder, whoever calls; mallory, who held nothing, has nothing to claim."""
    m, s = market, market.series
    sell(m, s, (m.alice, 1_000 * UNIT))
    at(PAY[0])
    fund(m, s, 0)
    before = m.cash.balanceOf(m.mallory), m.cash.balanceOf(m.alice)
    s.claim(m.alice, [0], sender=m.mallory)
    assert m.cash.balanceOf(m.mallory) == before[0]
    assert m.cash.balanceOf(m.alice) == before[1] + 6_187_500_000
    with ape.reverts(s.BondNothingToClaim, holder=m.mallory.address, coupon=0):
        s.claim(m.mallory, [0], sender=m.mallory)


def test_front_running_the_record_date__no_free_coupon(market):
    """Attack: buy one second before the record date to collect the whole coupon. Defence:
    the buyer pays the accrued interest (rounded up): what it nets is the interest for the
    days it holds the bond, floor(C x 16 / 184) per token, against floor(C x 15 / 184) for a
    buyer one second later (ex-coupon, who pays less the rest of the period); the front-runner
    gains exactly one day's interest (33,628 per token, C / 184 = 33,627.7), not a coupon."""
    m, s = market, market.series
    amount = 1_000 * UNIT
    sell(m, s, when=RECORD[0] - DAY)
    at(RECORD[0] - 1)
    early = s.buy(amount, PRICE, sender=m.alice)  # 2041-08-30 23:59:59: cum-coupon
    at(RECORD[0])
    late = s.buy(amount, PRICE, sender=m.bob)  # 2041-08-31 00:00:00: ex-coupon
    paid_early = early.events.filter(s.Sold)[0].cost
    paid_late = late.events.filter(s.Sold)[0].cost
    assert paid_early == 1_000 * (PRICE + 5_649_457)  # accrued ceil(C x 168 / 184)
    assert paid_late == 1_000 * (PRICE - 504_415)  # less floor(C x 15 / 184)
    at(PAY[0])
    fund(m, s, 0)
    got_early = s.claim(m.alice, [0], sender=m.alice).return_value
    with ape.reverts(s.BondNothingToClaim, holder=m.bob.address, coupon=0):
        s.claim(m.bob, [0], sender=m.bob)
    net_early = got_early - (paid_early - 1_000 * PRICE)
    net_late = 0 - (paid_late - 1_000 * PRICE)
    assert net_early == 1_000 * (COUPON * 16 // 184) == 538_043_000  # 16 days held
    assert net_late == 1_000 * (COUPON * 15 // 184) == 504_415_000  # 15 days held
    assert net_early - net_late == 1_000 * 33_628  # one day's interest


def test_short_funded_coupon__nobody_paid_until_full__no_early_drain(market):
    """Attack: claim first from a coupon funded one unit short, before the others. Defence:
    a coupon pays nobody until fully funded; then everyone is paid in full."""
    m, s = market, market.series
    sell(m, s, (m.alice, 1_000 * UNIT), (m.bob, 500 * UNIT), (m.carol, 1))
    at(PAY[0])
    owed = s.couponOwed(0)
    assert owed == coupon_on(1_500 * UNIT + 1) == 9_281_250_006
    s.fundCoupon(0, owed - 1, sender=m.treasury)
    for who in (m.alice, m.bob, m.carol):
        with ape.reverts(s.BondCouponNotFunded, coupon=0, owed=owed, funded=owed - 1):
            s.claim(who, [0], sender=who)
        assert s.claimable(who, 0) == 0
    assert m.cash.balanceOf(s) == owed - 1
    s.fundCoupon(0, 1, sender=m.treasury)
    paid = [s.claim(w, [0], sender=w).return_value for w in (m.carol, m.bob, m.alice)]
    assert paid == [6, 3_093_750_000, 6_187_500_000]
    assert sum(paid) == owed and m.cash.balanceOf(s) == 0


def test_one_coupons_cash_never_pays_another(market):
    """Attack: claim a part-funded coupon out of another coupon's (or the principal's) cash
    the series holds. Defence: each coupon is paid only from its own, full, funding."""
    m, s = market, market.series
    sell(m, s, (m.alice, 1_000 * UNIT), (m.bob, 1_000 * UNIT))
    at(PAY[0])
    fund(m, s, 0)
    s.fundPrincipal(200_000 * CASH, sender=m.treasury)
    at(PAY[1])
    s.fundCoupon(1, CASH, sender=m.treasury)
    assert m.cash.balanceOf(s) > s.couponOwed(1)  # enough cash, but not coupon 1's
    with ape.reverts(s.BondCouponNotFunded, coupon=1, owed=2 * 6_187_500_000, funded=CASH):
        s.claim(m.alice, [1], sender=m.alice)


def test_splitting_a_holding__never_claims_more(market, accounts):
    """Attack: split a holding into dust lots before the record date, hoping rounding pays
    more. Defence: every claim rounds down; the pieces claim at most the whole."""
    m, s = market, market.series
    sell(m, s, (m.alice, 7))  # 7 token units: 43.3125 cash units of coupon
    at(RECORD[0] - DAY)
    dust = [accounts[i] for i in (18, 19)]
    for who in dust:
        s.transfer(who, 3, sender=m.alice)
    at(PAY[0])
    fund(m, s, 0)
    assert s.couponOwed(0) == coupon_on(7) == 43
    paid = [s.claim(w, [0], sender=w).return_value for w in (m.alice, *dust)]
    assert paid == [6, 18, 18] and sum(paid) == 42 <= 43


def test_self_transfer__does_not_double_the_record_balance(market):
    """Attack: transfer to oneself within a record period (two checkpoint writes in one
    period). Defence: both sides write the same holder's latest balance; nothing changes."""
    m, s = market, market.series
    sell(m, s, (m.alice, 1_000 * UNIT))
    at(RECORD[0] - 1)
    for _ in range(3):
        s.transfer(m.alice, 1_000 * UNIT, sender=m.alice)
    at(RECORD[0])
    s.transfer(m.alice, 400 * UNIT, sender=m.alice)
    assert s.balanceAtRecord(m.alice, 0) == s.balanceAtRecord(m.alice, 1) == 1_000 * UNIT
    assert s.supplyAtRecord(0) == s.totalSupply() == 1_000 * UNIT


def test_funding_before_the_record_date__refused(market):
    """Attack: have the coupon funded (and its owed amount fixed) before the record date,
    then buy in and dilute it. Defence: funding starts at the record date, when the supply
    it owes is final."""
    m, s = market, market.series
    sell(m, s, (m.alice, 1_000 * UNIT))
    mine(RECORD[0] - 1)
    expect_revert(
        "BondBeforeRecordDate", s.fundCoupon, 0, CASH, by=m.treasury, coupon=0,
        recordDate=RECORD[0], nowTs=RECORD[0] - 1,
    )  # fmt: skip
    at(RECORD[0])
    fund(m, s, 0)
    s.buy(1_000 * UNIT, PRICE, sender=m.mallory)  # ex-coupon: owes nothing of coupon 0
    assert s.couponOwed(0) == 6_187_500_000 and s.couponFunding(0)[0] == 6_187_500_000
    at(PAY[0])
    with ape.reverts(s.BondNothingToClaim, holder=m.mallory.address, coupon=0):
        s.claim(m.mallory, [0], sender=m.mallory)
    s.claim(m.alice, [0], sender=m.alice)


# ====================================================================== sales


def test_buying_ex_coupon_at_a_negative_dirty_price__refused(market):
    """Attack: buy ex-coupon at a clean price below the negative accrued, so that the issuer
    would pay the buyer to take the bond. Defence: a sale that costs nothing is refused."""
    m, s = market, market.series
    at(RECORD[0])
    s.openAuction(1, 100 * UNIT, sender=m.office)
    assert accrued(RECORD[0], up=True) == -504_415
    assert s.quote(100 * UNIT) == 0
    with ape.reverts(s.BondNothingToPay, amount=100 * UNIT):
        s.buy(100 * UNIT, 1, sender=m.mallory)


def test_selling_through_someone_elses_registry__refused(project, market):
    """Attack: mallory opens an auction (at a price of her choosing) or calls the bond
    herself. Defence: a series obeys only the registry that created it."""
    m, s = market, market.series
    at(ts(2041, 6, 1))
    with ape.reverts(s.BondNotRegistry, caller=m.mallory.address):
        s.openAuction(1, 10**9 * UNIT, sender=m.mallory)
    with ape.reverts(s.BondNotRegistry, caller=m.mallory.address):
        s.callBond(0, sender=m.mallory)


# ====================================================================== call and default


def test_call_without_notice__refused(market):
    """Attack: the issuer calls the bond the day before the call date (holders get no time to
    reinvest and lose the coupons they priced in). Defence: a call is refused after
    callDate - callNoticeDays, and only the first call is taken."""
    m, s = market, market.series
    sell(m, s, (m.alice, 1_000 * UNIT))
    for moment in (NOTICE_BY + 1, CALL - DAY, CALL):
        mine(moment)
        expect_revert(
            "BondCallRefused", s.callBond, 0, by=m.office, index=0, callDate=CALL,
            noticeBy=NOTICE_BY, nowTs=moment,
        )  # fmt: skip
    assert (s.couponCount(), s.redemptionDate()) == (6, MATURITY)


def test_mark_default_during_the_grace_period__refused(market):
    """Attack: a short seller records a default the day after a coupon is missed (or on a
    funded coupon) to accelerate the bond. Defence: COUPON_GRACE (30 days) for a coupon,
    PRINCIPAL_GRACE (3 days) for principal, and never on a fully funded payment."""
    m, s = market, market.series
    sell(m, s, (m.alice, 1_000 * UNIT))
    mine(PAY[0] + DAY)
    expect_revert(
        "BondInGracePeriod", s.markDefault, 0, by=m.mallory, nowTs=PAY[0] + DAY,
        graceEnd=PAY[0] + GRACE,
    )  # fmt: skip
    at(PAY[0] + 2 * DAY)
    fund(m, s, 0)
    mine(PAY[0] + GRACE)
    expect_revert("BondNotInDefault", s.markDefault, 0, by=m.mallory, reason=b32("coupon funded"))
    mine(MATURITY + DAY)
    expect_revert(
        "BondInGracePeriod", s.markDefault, 6, by=m.mallory, nowTs=MATURITY + DAY,
        graceEnd=MATURITY + 3 * DAY,
    )  # fmt: skip


def test_cash_sent_after_a_default__pays_no_later_redeemer_more(market):
    """Attack: after the default, send cash to the series hoping the recovery rate moves in
    one's favour (or redeem last to collect what others leave). Defence: the rate is fixed
    at the default (defaultPool / defaultSupply); every token gets the same."""
    m, s = market, market.series
    sell(m, s, (m.alice, 1_000 * UNIT), (m.bob, 500 * UNIT))
    s.fundPrincipal(30_000 * CASH, sender=m.treasury)
    at(PAY[0] + GRACE)
    s.markDefault(0, sender=m.mallory)
    assert s.redeem(333 * UNIT, sender=m.alice).return_value == 333 * 20 * CASH
    m.cash.mint(s, 100_000 * CASH, sender=m.mallory)
    assert s.redeem(500 * UNIT, sender=m.bob).return_value == 500 * 20 * CASH
    assert s.redeem(667 * UNIT, sender=m.alice).return_value == 667 * 20 * CASH
    assert s.recoveryPool() == 0


def test_waiting_out_the_others_after_maturity__takes_their_coupon_share(market):
    """Attack: alice and bob both held at the last coupon's record date; the coupon is
    part-funded (900 of 9,281.25), the principal repaid in full. alice redeems at maturity;
    bob waits, and thirty days on records the default on the last coupon, hoping its 900
    joins a recovery pool shared by the tokens still outstanding (all his). Defence (found
    by the outside review, fixed): a part-funded coupon keeps its cash for its record-date
    holders, paid pro rata in default: alice 600, bob 300, whoever claims first."""
    m, s = market, market.series
    sell(m, s, (m.alice, 1_000 * UNIT), (m.bob, 500 * UNIT))
    at(RECORD[5])
    s.fundCoupon(5, 900 * CASH, sender=m.treasury)
    at(MATURITY)
    s.fundPrincipal(s.principalOwed(), sender=m.treasury)
    assert s.redeem(1_000 * UNIT, sender=m.alice).return_value == 100_000 * CASH
    at(MATURITY + GRACE)
    s.markDefault(5, sender=m.bob)
    bob_paid = s.redeem(500 * UNIT, sender=m.bob).return_value
    assert bob_paid == 50_000 * CASH  # face only: the coupon's cash is not in the pool
    assert s.claim(m.bob, [5], sender=m.bob).return_value == 300 * CASH
    assert s.claim(m.alice, [5], sender=m.mallory).return_value == 600 * CASH


def test_absurd_reference_round_at_the_fixing_time__blocks_the_coupon_for_good(project, market):
    """Attack (or a feed accident): a floating bond's reference feed publishes an absurd
    round just before a fixing time. Defence: fixRate refuses it (BondBadReferenceRate),
    and refuses the round before it (superseded); but nothing else can fix the coupon, so
    its sales stay closed for the period and, its grace over, anyone records a default.
    Nor can it be defaulted on: an unfixed rate is not a missed payment
    (BondRateNotFixed). Documents a limitation: a fallback fixing is left for later."""
    m = market
    manager = m.office.deploy(project.SovereignAccessManager, m.office)
    ref = m.office.deploy(project.ReportedPriceFeed, manager, 8, "REF", 1_000, DAY)
    ref.forceReport(pct("5"), sender=m.office)
    terms = dataclasses.replace(
        FIXED, isin="SL2044FRN009", coupon_rate=0, reference_rate=ref.address, margin=0,
        call_dates=(), call_prices=(),
    )  # fmt: skip
    frn = deploy_series(project, m.office, m.cash, m.treasury, terms)
    m.cash.approve(frn, MAX, sender=m.alice)
    at(ts(2041, 3, 16))
    frn.fixRate(0, 1, sender=m.mallory)
    frn.openAuction(PRICE, 100 * UNIT, sender=m.office)
    frn.buy(100 * UNIT, PRICE, sender=m.alice)
    at(PAY[0] - DAY)
    ref.forceReport(10**40, sender=m.office)  # round 2, in force at coupon 1's fixing time
    at(PAY[0] + DAY)
    ref.forceReport(pct("5"), sender=m.office)  # round 3: a correction, too late
    with ape.reverts(frn.BondBadReferenceRate, answer=10**40):
        frn.fixRate(1, 2, sender=m.mallory)
    with ape.reverts(frn.BondWrongFixingRound, roundId=1, fixingTime=PAY[0]):
        frn.fixRate(1, 1, sender=m.mallory)
    with ape.reverts(frn.BondWrongFixingRound, roundId=3, fixingTime=PAY[0]):
        frn.fixRate(1, 3, sender=m.mallory)
    with ape.reverts(frn.BondSaleClosed, reason=b32("rate not fixed")):
        frn.buy(UNIT, PRICE, sender=m.alice)
    at(PAY[1] + GRACE)
    with ape.reverts(frn.BondRateNotFixed, coupon=1):
        frn.markDefault(1, sender=m.mallory)
    assert not frn.defaulted()


# ====================================================================== reentrancy


def test_reentrant_claim_through_the_cash_token__refused(market):
    """Attack: a cash token calling back into claim() while the first claim's cash moves (a
    double payment if the claimed bit were set late). Defence: nonReentrant; the callback's
    ReentrancyGuardReentrantCall reverts the whole claim, so nothing is paid or marked."""
    m, s, token = market, market.twin, market.hostile
    sell(m, s, (m.alice, 1_000 * UNIT))
    at(PAY[0])
    fund(m, s, 0)
    token.arm(s, s.claim.encode_input(m.alice, [0]), sender=m.mallory)
    with ape.reverts(s.ReentrancyGuardReentrantCall):
        s.claim(m.alice, [0], sender=m.alice)
    assert not s.claimed(m.alice, 0) and s.couponFunding(0) == (6_187_500_000, 0)
    token.arm(ZERO, b"", sender=m.mallory)  # disarm: a harmless callback
    assert s.claim(m.alice, [0], sender=m.alice).return_value == 6_187_500_000


def test_reentrant_redeem_through_the_cash_token__refused(market):
    """Attack: call back into redeem() from the cash transfer of a redemption. Defence:
    nonReentrant; the whole redemption reverts."""
    m, s, token = market, market.twin, market.hostile
    sell(m, s, (m.alice, 1_000 * UNIT))
    s.fundPrincipal(s.principalOwed(), sender=m.treasury)
    at(MATURITY)
    token.arm(s, s.redeem.encode_input(UNIT), sender=m.mallory)
    with ape.reverts(s.ReentrancyGuardReentrantCall):
        s.redeem(500 * UNIT, sender=m.alice)
    assert s.balanceOf(m.alice) == 1_000 * UNIT and s.principalPool() == 100_000 * CASH


def test_reentrant_mark_default_while_a_coupon_is_cured__sees_it_funded(market):
    """Attack: the cash token calls markDefault() (not guarded) in the middle of the
    treasury's late fundCoupon, before the cash has arrived. Defence: the coupon's funding is
    recorded before the transfer, so markDefault sees it full and refuses with
    BondNotInDefault("coupon funded") (the test token bubbles the refusal up, reverting the
    cure with it); with the callback disarmed, the cure goes through and no default exists."""
    m, s, token = market, market.twin, market.hostile
    sell(m, s, (m.alice, 1_000 * UNIT))
    at(PAY[0] + GRACE + DAY)
    token.arm(s, s.markDefault.encode_input(0), sender=m.mallory)
    with ape.reverts(s.BondNotInDefault, reason=b32("coupon funded")):
        fund(m, s, 0)
    assert not s.defaulted()
    token.arm(ZERO, b"", sender=m.mallory)
    fund(m, s, 0)
    assert s.couponFunding(0) == (6_187_500_000, 0) and not s.defaulted()


# ====================================================================== registry


def test_registry_creating_anything_but_a_bond_series__refused(project, accounts, market):
    """Attack: the debt office (or a stolen key of it) creates, through the registry, a
    contract that looks like a series but pays out to itself. Defence: the registry creates
    only code hashing to seriesCodeHash (the compiled BondSeries)."""
    m = market
    admin = fresh(accounts)
    manager = admin.deploy(project.SovereignAccessManager, admin)
    registry = deploy_bond_registry(project, admin, manager, m.cash, m.treasury, keccak(CODE))
    selector = keccak(text=registry.contract_type.mutable_methods["createSeries"].selector)[:4]
    manager.setTargetFunctionRole(registry, [selector], Role.DEBT_OFFICE, sender=admin)
    manager.grantRole(Role.DEBT_OFFICE, m.mallory, 0, sender=admin)
    evil = bytes(project.MockERC20.contract_type.deployment_bytecode.to_bytes())
    with ape.reverts(registry.RegistryWrongSeriesCode, given=keccak(evil), expected=keccak(CODE)):
        registry.createSeries(FIXED.as_struct(), evil, sender=m.mallory)
    assert registry.allSeries() == []
    assert revert_of(registry.createSeries, FIXED.as_struct(), CODE, by=m.mallory) is None
