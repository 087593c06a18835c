"""RedemptionDesk: instant within the limits, queued above them, admitted first in first
out, paid pro-rata when short, claimed by pull, cancelled after the timeout; the
reserve's own redeem closed to everyone but the desk; who may do what."""

from __future__ import annotations

import ape
import pytest

from sovereign import governance
from tests.redemption.conftest import CASH_UNIT, SUPPLY, WAD
from tests.utils import ref, travel

HOUR, DAY = 3_600, 86_400
PENDING, ADMITTED, CANCELLED, CLOSED = 1, 2, 3, 4


def coins(n) -> int:
    return int(n * WAD)


def cash_of(coin_amount: int) -> int:
    return coin_amount // CASH_UNIT


def gov(w, method, *args):
    return governance.call(w.system.manager, w.desk, method, *args, sender=w.governor, travel=True)


def queue(w, who, amount, ident):
    receipt = w.desk.requestRedeem(amount, ref(ident), sender=who)
    return receipt.return_value


def state(w, rid):
    return w.desk.request(rid)


# ------------------------------------------------------------------ instant


def test_instant__within_every_limit__paid_at_par_and_burned(world):
    w, p = world, world.p[0]
    supply, cash_before = w.coin.totalSupply(), w.cash.balanceOf(p)
    receipt = w.desk.redeem(coins(5_000), ref("I-1"), sender=p)
    assert receipt.return_value == 0
    assert w.coin.totalSupply() == supply - coins(5_000)
    assert w.cash.balanceOf(p) - cash_before == cash_of(coins(5_000))
    assert w.coin.balanceOf(w.desk) == 0
    assert receipt.events.filter(w.desk.RedeemedInstantly) == [
        w.desk.RedeemedInstantly(p, ref("I-1"), coins(5_000), cash_of(coins(5_000)))
    ]
    b = w.desk.buckets(p)
    assert b.hourCapacity - b.hourRoom == coins(5_000)
    assert b.ownCapacity - b.ownRoom == coins(5_000)


def test_instant__dust_below_one_cash_unit__stays_with_the_participant(world):
    w, p = world, world.p[0]
    before = w.coin.balanceOf(p)
    w.desk.redeem(coins(1_000) + CASH_UNIT - 1, ref("I-DUST"), sender=p)
    assert before - w.coin.balanceOf(p) == coins(1_000)


def test_instant__the_fee_in_force_is_charged(world):
    w, p = world, world.p[0]
    governance.call(
        w.system.manager, w.reserve, "setRedemptionFee", 50, sender=w.governor, travel=True
    )
    before = w.cash.balanceOf(p)
    w.desk.redeem(coins(10_000), ref("I-FEE"), sender=p)
    assert w.cash.balanceOf(p) - before == cash_of(coins(10_000)) * 9_950 // 10_000


def test_reserve_redeem__anyone_but_the_desk__refused_naming_it(world):
    w, p = world, world.p[0]
    with ape.reverts(w.reserve.ReserveRedeemThroughDesk, caller=p.address, desk=w.desk.address):
        w.reserve.redeem(coins(1_000), ref("DIRECT"), sender=p)


# ------------------------------------------------------------------ queued


def test_above_the_participant_limit__queued_not_refused__coins_locked_supply_unchanged(world):
    w, p = world, world.p[1]
    supply, held = w.coin.totalSupply(), w.coin.balanceOf(p)
    receipt = w.desk.redeem(coins(60_000), ref("Q-1"), sender=p)
    rid = receipt.return_value
    assert rid == 1
    assert receipt.events.filter(w.desk.RedeemRequested) == [
        w.desk.RedeemRequested(1, p, ref("Q-1"), coins(60_000))
    ]
    assert w.coin.totalSupply() == supply  # queued coins still count in the supply
    assert w.coin.balanceOf(p) == held - coins(60_000)
    assert w.coin.balanceOf(w.desk) == coins(60_000)
    owner, amount, _, st, unpaid, earned, claimable = state(w, rid)
    assert (owner, amount, st, unpaid, earned, claimable) == (
        p.address, coins(60_000), PENDING, coins(60_000), 0, 0,
    )  # fmt: skip
    assert w.desk.pendingCoins() == coins(60_000)


def test_while_others_are_queued__paid_at_once_only_if_the_room_pays_them_too(world):
    w = world
    queue(w, w.p[1], coins(45_000), "Q-FIRST")  # of the hour's 50,000
    # 1,000 more fit beside the 45,000 queued: paid at once, nobody's share smaller.
    assert w.desk.redeem(coins(1_000), ref("Q-FITS"), sender=w.p[0]).return_value == 0
    # 10,000 more do not: queued behind the first request.
    assert w.desk.redeem(coins(10_000), ref("Q-BEHIND"), sender=w.p[0]).return_value == 2


def test_short_of_cash__a_redemption_queues(world):
    w = world
    receipt = w.desk.redeem(coins(49_000), ref("Q-CASH-1"), sender=w.p[0])
    assert receipt.return_value == 0
    w.reserve.withdrawCollateral(w.cash, w.p[3], w.cash.balanceOf(w.reserve) - 500 * 10**6,
                                 sender=w.system.holders.reserve_manager)  # fmt: skip
    assert w.desk.redeem(coins(1_000), ref("Q-CASH-2"), sender=w.p[1]).return_value == 1


def test_process__before_the_admission_delay__admits_nothing(world):
    w = world
    rid = queue(w, w.p[1], coins(10_000), "Q-YOUNG")
    receipt = w.desk.process(100, sender=w.p[3])
    assert receipt.return_value == (0, 0)
    assert state(w, rid)[3] == PENDING


def test_process__after_the_delay__admits_and_pays_in_full__claim_closes(world):
    w, p = world, world.p[1]
    rid = queue(w, p, coins(10_000), "Q-FULL")
    travel(HOUR)
    supply = w.coin.totalSupply()
    receipt = w.desk.process(100, sender=w.p[3])
    assert receipt.return_value == (1, coins(10_000))
    assert w.coin.totalSupply() == supply - coins(10_000)
    [paid] = receipt.events.filter(w.desk.RoundPaid)
    assert (paid.coins, paid.cashPaid, paid.fullyPaid) == (coins(10_000), 10_000 * 10**6, True)
    _, _, _, st, unpaid, earned, claimable = state(w, rid)
    assert (st, unpaid) == (ADMITTED, 0)
    assert 10_000 * 10**6 - 1 <= earned == claimable <= 10_000 * 10**6
    before = w.cash.balanceOf(p)
    w.desk.claim(rid, sender=w.p[2])  # anyone may push it; the cash goes to the owner
    assert w.cash.balanceOf(p) - before == earned
    assert state(w, rid)[3] == CLOSED
    assert w.desk.openRequests(p) == 0
    with ape.reverts(w.desk.DeskRequestClosed, id=rid, state=CLOSED):
        w.desk.claim(rid, sender=p)


def test_short_of_cash__every_request_paid_the_same_fraction(world):
    w = world
    sizes = [coins(2_000), coins(6_000), coins(12_000)]
    ids = [queue(w, w.p[i], sizes[i], f"PR-{i}") for i in range(3)]
    # The reserve keeps 10,000 of cash: half of the 20,000 queued.
    w.reserve.withdrawCollateral(w.cash, w.p[3], w.cash.balanceOf(w.reserve) - 10_000 * 10**6,
                                 sender=w.system.holders.reserve_manager)  # fmt: skip
    travel(HOUR)
    assert w.desk.process(100, sender=w.p[3]).return_value == (3, coins(10_000))
    for rid, size in zip(ids, sizes, strict=True):
        _, _, _, _, unpaid, earned, _ = state(w, rid)
        assert abs(unpaid - size // 2) <= 1
        assert cash_of(size) // 2 - 1 <= earned <= cash_of(size) // 2


def test_a_later_request__not_in_a_round_it_was_too_young_for(world):
    w = world
    early = queue(w, w.p[0], coins(10_000), "FIFO-EARLY")
    travel(HOUR)
    late = queue(w, w.p[1], coins(10_000), "FIFO-LATE")
    w.reserve.withdrawCollateral(w.cash, w.p[3], w.cash.balanceOf(w.reserve) - 4_000 * 10**6,
                                 sender=w.system.holders.reserve_manager)  # fmt: skip
    w.desk.process(100, sender=w.p[3])
    assert state(w, early)[3] == ADMITTED and state(w, late)[3] == PENDING
    assert state(w, early)[5] > 0 and state(w, late)[5] == 0


def test_admission_incomplete__no_round_until_every_old_request_is_in(world):
    w = world
    ids = [queue(w, w.p[i % 4], coins(1_000), f"ADM-{i}") for i in range(3)]
    travel(HOUR)
    assert w.desk.process(2, sender=w.p[3]).return_value == (2, 0)  # the third is left out
    assert w.desk.process(2, sender=w.p[3]).return_value == (1, coins(3_000))
    assert all(state(w, i)[4] == 0 for i in ids)


def test_the_fee_is_the_one_in_force_at_processing(world):
    w = world
    rid = queue(w, w.p[1], coins(10_000), "FEE-AT-PROCESSING")
    governance.call(
        w.system.manager, w.reserve, "setRedemptionFee", 100, sender=w.governor, travel=True
    )
    w.desk.process(100, sender=w.p[3])
    assert state(w, rid)[5] <= 9_900 * 10**6


# ------------------------------------------------------------------ cancel


def test_cancel__before_the_timeout__refused_with_the_earliest_time(world):
    w, p = world, world.p[1]
    rid = queue(w, p, coins(2_000), "C-EARLY")
    at = state(w, rid)[2]
    with ape.reverts(w.desk.DeskCancelTooEarly, id=rid, earliest=at + 7 * DAY):
        w.desk.cancel(rid, sender=p)


def test_cancel__by_another__refused(world):
    w = world
    rid = queue(w, w.p[1], coins(2_000), "C-OTHER")
    travel(7 * DAY)
    with ape.reverts(w.desk.DeskNotOwner, id=rid, caller=w.p[2].address, owner=w.p[1].address):
        w.desk.cancel(rid, sender=w.p[2])


def test_cancel__pending__every_coin_back(world):
    w, p = world, world.p[1]
    held = w.coin.balanceOf(p)
    rid = queue(w, p, coins(2_000), "C-PENDING")
    travel(7 * DAY)
    receipt = w.desk.cancel(rid, sender=p)
    assert w.coin.balanceOf(p) == held
    assert receipt.events.filter(w.desk.Cancelled) == [w.desk.Cancelled(rid, p, coins(2_000))]
    assert w.desk.pendingCoins() == 0 and state(w, rid)[3] == CANCELLED


def test_cancel__part_paid__unpaid_coins_back_earned_cash_paid_then_no_more(world):
    w, p = world, world.p[1]
    held, cash0 = w.coin.balanceOf(p), w.cash.balanceOf(p)
    rid = queue(w, p, coins(10_000), "C-PART")
    w.reserve.withdrawCollateral(w.cash, w.p[3], w.cash.balanceOf(w.reserve) - 4_000 * 10**6,
                                 sender=w.system.holders.reserve_manager)  # fmt: skip
    travel(HOUR)
    w.desk.process(100, sender=w.p[3])
    travel(7 * DAY)
    w.desk.cancel(rid, sender=p)
    assert abs((held - w.coin.balanceOf(p)) - coins(4_000)) <= 1  # 4,000 coins were paid
    assert 4_000 * 10**6 - 1 <= w.cash.balanceOf(p) - cash0 <= 4_000 * 10**6
    assert w.desk.poolCoins() == 0
    w.cash.mint(w.reserve, 10_000 * 10**6, sender=w.system.holders.central_bank)
    w.desk.process(100, sender=w.p[3])
    assert state(w, rid)[5] == state(w, rid)[5] and state(w, rid)[6] == 0  # earns no more


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize("how", ["redeem", "requestRedeem"])
def test_a_request_below_the_minimum__refused_with_both_numbers(world, how):
    w = world
    with ape.reverts(w.desk.DeskBelowMinimum, amount=coins(999), minimum=coins(1_000)):
        getattr(w.desk, how)(coins(999), ref("SMALL"), sender=w.p[0])


def test_an_instruction_id_used__refused(world):
    w = world
    w.desk.redeem(coins(1_000), ref("ONCE"), sender=w.p[0])
    with ape.reverts(w.desk.DeskInstructionUsed, participant=w.p[0].address):
        w.desk.requestRedeem(coins(1_000), ref("ONCE"), sender=w.p[0])
    with ape.reverts(w.desk.DeskInvalidInstructionId):
        w.desk.redeem(coins(1_000), b"\0" * 32, sender=w.p[0])


def test_not_a_participant__refused(world):
    w, outsider = world, world.system.holders.burner
    with ape.reverts(w.desk.DeskNotParticipant, account=outsider.address):
        w.desk.redeem(coins(1_000), ref("NP"), sender=outsider)


def test_too_many_open_requests__refused(world):
    w, p = world, world.p[2]
    for i in range(8):
        queue(w, p, coins(1_000), f"OPEN-{i}")
    with ape.reverts(w.desk.DeskTooManyOpen, participant=p.address, open=8, max=8):
        queue(w, p, coins(1_000), "OPEN-8")


def test_an_unknown_request__refused(world):
    w = world
    for rid in (0, 1):
        with ape.reverts(w.desk.DeskUnknownRequest, id=rid):
            w.desk.claim(rid, sender=w.p[0])


def test_a_frozen_owner__cannot_claim_nor_cancel(world):
    w, p = world, world.p[1]
    rid = queue(w, p, coins(1_000), "FROZEN")
    travel(HOUR)
    w.desk.process(100, sender=w.p[3])
    w.coin.freeze(p, ref("AML-1"), sender=w.system.holders.compliance)
    with ape.reverts(w.desk.DeskOwnerFrozen, id=rid, owner=p.address):
        w.desk.claim(rid, sender=w.p[0])


# ------------------------------------------------------------------ limits


def test_the_hour_bucket_refills_linearly(world):
    w, p = world, world.p
    w.desk.redeem(coins(30_000), ref("R-1"), sender=p[0])
    room = w.desk.buckets(p[1]).hourRoom
    travel(HOUR // 2)
    capacity = w.desk.buckets(p[1]).hourCapacity
    assert abs(w.desk.buckets(p[1]).hourRoom - (room + capacity // 2)) <= capacity // 1_000


def _ratio(w, ratio_wad: int):
    """Price the bond so that the ratio is ``ratio_wad`` (1.5 at price 1.00)."""
    price = ratio_wad * 10**8 // (15 * 10**17)
    governance.call(w.system.manager, w.feed, "forceReport", price, sender=w.governor, travel=True)


@pytest.mark.parametrize(
    ("ratio", "factor"),
    [(15 * 10**17, 10_000), (122 * 10**16, 10_000), (112 * 10**16, 6_250), (102 * 10**16, 2_500),
     (90 * 10**16, 2_500)],
)  # fmt: skip
def test_limits_tighten_as_the_ratio_nears_its_minimum(world, ratio, factor):
    w = world
    _ratio(w, ratio)
    assert abs(w.desk.capacityFactorBps() - factor) <= 1
    b = w.desk.buckets(w.p[0])
    assert abs(b.hourCapacity - w.coin.totalSupply() * 500 * factor // 10**8) <= WAD


def test_a_stale_feed__counts_its_asset_zero__limits_at_their_floor(world):
    w = world
    travel(8 * DAY)  # past the bond's 7-day heartbeat
    assert w.desk.capacityFactorBps() == 2_500


def test_set_limits__governor_through_its_delay__within_bounds(world):
    w, mallory = world, world.p[3]  # a participant, holding no role
    with ape.reverts(w.desk.AccessManagedUnauthorized, caller=mallory.address):
        w.desk.setLimits(100, 500, 100, 2_500, 10**17, sender=mallory)
    receipt = gov(w, "setLimits", 100, 500, 100, 2_500, 10**17)
    assert (w.desk.hourBps(), w.desk.dayBps(), w.desk.bandWad()) == (100, 500, 10**17)
    del receipt
    for args, name in [
        ((5, 500, 100, 2_500, 0), "hourBps"), ((100, 50, 50, 2_500, 0), "dayBps"),
        ((100, 500, 0, 2_500, 0), "participantDayBps"), ((100, 500, 100, 999, 0), "floorBps"),
        ((100, 500, 100, 2_500, 10**18 + 1), "bandWad"),
    ]:  # fmt: skip
        with ape.reverts(w.desk.DeskParameterOutOfBounds):
            gov(w, "setLimits", *args)
        del name


def test_set_queue_rules__bounds(world):
    w = world
    gov(w, "setQueueRules", coins(10), 0, DAY)
    assert (w.desk.minRequest(), w.desk.admissionDelay(), w.desk.cancelAfter()) == (
        coins(10), 0, DAY,
    )  # fmt: skip
    for args in [(coins(1) - 1, 0, DAY), (coins(10**6) + 1, 0, DAY), (coins(10), DAY + 1, DAY),
                 (coins(10), 0, DAY - 1), (coins(10), 0, 30 * DAY + 1)]:  # fmt: skip
        with ape.reverts(w.desk.DeskParameterOutOfBounds):
            gov(w, "setQueueRules", *args)


def test_the_deployment__desk_is_a_participant_and_named(world):
    w = world
    assert w.reserve.redemptionDesk() == w.desk.address
    assert not w.reserve.isParticipant(w.desk)  # the reserve lets its named desk redeem
    assert w.coin.totalSupply() == SUPPLY


@pytest.mark.parametrize("how", ["redeem", "requestRedeem"])
def test_while_redemption_is_paused__nothing_paid_nor_queued(world, how):
    w = world
    w.coin.pause(2, sender=w.system.holders.guardian)  # PAUSE_REDEEM
    with ape.reverts(w.desk.DeskRedemptionPaused):
        getattr(w.desk, how)(coins(1_000), ref("PAUSED"), sender=w.p[0])


# ------------------------------------------------------------------ edges


def test_a_desk_over_no_reserve__refused(world, project):
    with ape.reverts(world.desk.DeskInvalidAddress):
        project.RedemptionDesk.deploy(world.system.manager, "0x" + "0" * 40,
                                      sender=world.system.holders.burner)  # fmt: skip


def test_claim__nothing_earned_yet__pays_nothing_and_stays_open(world):
    w, p = world, world.p[1]
    w.reserve.withdrawCollateral(w.cash, w.p[3], w.cash.balanceOf(w.reserve),
                                 sender=w.system.holders.reserve_manager)  # fmt: skip
    rid = queue(w, p, coins(2_000), "NO-CASH")
    travel(HOUR)
    w.desk.process(100, sender=w.p[3])  # admitted; no cash, no round
    assert state(w, rid)[3] == ADMITTED
    receipt = w.desk.claim(rid, sender=p)
    assert receipt.return_value == 0 and not receipt.events.filter(w.desk.Claimed)
    assert state(w, rid)[3] == ADMITTED and w.desk.openRequests(p) == 1
    assert not w.desk.queueEmpty()


def test_cancel__paid_in_full_not_claimed__returns_no_coins_and_pays_the_cash(world):
    w, p = world, world.p[1]
    rid = queue(w, p, coins(2_000), "PAID-CANCEL")
    travel(HOUR)
    w.desk.process(100, sender=w.p[3])
    travel(7 * DAY)
    held, cash0 = w.coin.balanceOf(p), w.cash.balanceOf(p)
    w.desk.cancel(rid, sender=p)
    assert w.coin.balanceOf(p) == held
    assert 2_000 * 10**6 - 1 <= w.cash.balanceOf(p) - cash0 <= 2_000 * 10**6
    with ape.reverts(w.desk.DeskRequestClosed, id=rid, state=CANCELLED):
        w.desk.cancel(rid, sender=p)


def test_the_last_cancellation__closes_a_pool_of_dust(world):
    """Two requests of 1,000 and 2,000 paid a third: their unpaid coins round down, two
    wei below the pool; once both are cancelled the dust closes the pool (PoolClosed)."""
    w = world
    a = queue(w, w.p[0], coins(1_000), "DUST-A")
    b = queue(w, w.p[1], coins(2_000), "DUST-B")
    w.reserve.withdrawCollateral(w.cash, w.p[3], w.cash.balanceOf(w.reserve) - 1_000 * 10**6,
                                 sender=w.system.holders.reserve_manager)  # fmt: skip
    travel(HOUR)
    w.desk.process(100, sender=w.p[3])  # 1,000 of 3,000 paid
    travel(7 * DAY)
    w.desk.cancel(b, sender=w.p[1])
    receipt = w.desk.cancel(a, sender=w.p[0])
    [closed] = receipt.events.filter(w.desk.PoolClosed)
    assert 0 < closed.dustCoins < CASH_UNIT
    assert w.desk.poolCoins() == 0 and w.desk.queueEmpty()


# ------------------------------------------------------------------ the outside review's cases


def test_compliance_cannot_freeze_the_desk__its_coins_are_the_queue(world):
    w = world
    queue(w, w.p[1], coins(1_000), "FRZ")
    with ape.reverts(w.coin.StablecoinCannotFreeze, account=w.desk.address):
        w.coin.freeze(w.desk, ref("AML-DESK"), sender=w.system.holders.compliance)


def test_the_desk_is_replaced_only_with_its_queue_empty(world, project):
    w = world
    rid = queue(w, w.p[1], coins(1_000), "REPLACE")
    by = w.system.holders.burner
    early = project.RedemptionDesk.deploy(w.system.manager, w.reserve, sender=by)
    other = project.RedemptionDesk.deploy(w.system.manager, w.reserve, sender=by)
    with ape.reverts(w.reserve.ReserveDeskQueueNotEmpty, desk=w.desk.address):
        governance.call(w.system.manager, w.reserve, "setRedemptionDesk", early.address,
                        sender=w.governor, travel=True)  # fmt: skip
    travel(HOUR)
    w.desk.process(100, sender=w.p[3])
    w.desk.claim(rid, sender=w.p[1])
    governance.call(w.system.manager, w.reserve, "setRedemptionDesk", other.address,
                    sender=w.governor, travel=True)  # fmt: skip
    # The old desk takes no request any more.
    with ape.reverts(w.desk.DeskNotNamed, named=other.address):
        w.desk.requestRedeem(coins(1_000), ref("OLD-DESK"), sender=w.p[0])


def test_a_desk_of_another_reserve__cannot_be_named(world, project, system):
    w = world
    foreign = project.RedemptionDesk.deploy(system.manager, system.reserve,
                                            sender=w.system.holders.burner)  # fmt: skip
    with ape.reverts(w.reserve.ReserveInvalidAddress, account=foreign.address):
        governance.call(w.system.manager, w.reserve, "setRedemptionDesk", foreign.address,
                        sender=w.governor, travel=True)  # fmt: skip


def test_removing_a_participant__never_stops_the_desk(world):
    w = world
    rid = queue(w, w.p[1], coins(1_000), "DELICENSED")
    w.reserve.removeParticipant(w.p[1], ref("LIC-GONE"), sender=w.system.holders.registrar)
    travel(HOUR)
    assert w.desk.process(100, sender=w.p[3]).return_value.paidCoins == coins(1_000)
    assert state(w, rid)[4] == 0


def test_a_feed_that_reverts__the_limits_at_their_floor__redemption_goes_on(world, project):
    w, by = world, world.system.holders.burner
    broken = project.MockAggregator.deploy(8, sender=by)
    token = project.MockERC20.deploy("Junk", "JNK", 18, sender=by)
    governance.call(w.system.manager, w.reserve, "setCollateral", token.address, broken.address,
                    86_400, 0, 10_000, sender=w.governor, travel=True)  # fmt: skip
    w.feed.report(10**8, sender=w.system.holders.oracle_reporter)
    token.mint(w.reserve, WAD, sender=by)
    broken.set(10**8, ape.chain.blocks.head.timestamp, sender=by)
    broken.setDecimalsRevert(True, sender=by)  # a proxy whose aggregator went away
    assert w.desk.capacityFactorBps() == 2_500
    assert w.desk.redeem(coins(1_000), ref("BROKEN-FEED"), sender=w.p[0]).return_value == 0


def test_a_round_the_fee_would_take_whole__is_not_made(world):
    w = world
    governance.call(w.system.manager, w.reserve, "setRedemptionFee", 100, sender=w.governor,
                    travel=True)  # fmt: skip
    w.feed.report(10**8, sender=w.system.holders.oracle_reporter)
    queue(w, w.p[1], coins(1_000), "ONE-UNIT")
    w.reserve.withdrawCollateral(w.cash, w.p[3], w.cash.balanceOf(w.reserve) - 1,
                                 sender=w.system.holders.reserve_manager)  # fmt: skip
    travel(HOUR)
    receipt = w.desk.process(100, sender=w.p[3])  # one cash unit: the 1% fee takes it
    assert receipt.return_value == (1, 0)


def test_an_id_used_at_the_reserve_before_the_desk__refused_at_the_desk(world):
    w = world
    assert not w.desk.instructionUsed(w.p[0], ref("FRESH"))
    w.desk.redeem(coins(1_000), ref("FRESH"), sender=w.p[0])
    assert w.desk.instructionUsed(w.p[0], ref("FRESH"))
