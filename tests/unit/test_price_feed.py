"""ReportedPriceFeed: the oracle stub's write-side guards and its AggregatorV3 reads."""

import ape
import pytest

from tests.utils import travel


@pytest.fixture
def feed(system):
    return system.feeds["SB30"]


def test_reads_like_chainlink(system, feed, reporter):
    assert feed.decimals() == 8
    assert feed.version() == 4
    assert feed.description() == "SB30 / SSHL"
    assert feed.latestRoundData()[:2] == (1, 10**8)
    receipt = feed.report(10**8 + 1, sender=reporter)
    round_id, answer, started, updated, answered_in = feed.latestRoundData()
    assert (round_id, answer, answered_in) == (2, 10**8 + 1, 2)
    assert started == updated == receipt.timestamp
    assert feed.getRoundData(2) == feed.latestRoundData()
    assert feed.getRoundData(1)[1] == 10**8
    with ape.reverts(feed.FeedNoSuchRound, roundId=3):
        feed.getRoundData(3)


def test_report__emits_answer_updated(system, feed, reporter):
    travel(60)
    receipt = feed.report(101_000_000, sender=reporter)
    assert receipt.events == [feed.AnswerUpdated(101_000_000, 2, receipt.timestamp)]
    assert feed.latestRoundData()[1] == 101_000_000


@pytest.mark.parametrize("answer", [0, -1, -(2**255)])
def test_report__zero_or_negative__reverts(system, feed, reporter, answer):
    with ape.reverts(feed.FeedInvalidAnswer, answer=answer):
        feed.report(answer, sender=reporter)


def test_report__deviation_bound_is_exact(system, feed, reporter):
    """Max deviation 10%: 1.10 passes, 1.1000001 reverts (deviation rounds up)."""
    with ape.reverts(
        feed.FeedDeviationTooLarge,
        anchor=10**8,
        answer=110_000_001,
        deviationBps=1_001,
        maxDeviationBps=1_000,
    ):
        feed.report(110_000_001, sender=reporter)
    travel(86_400)  # a new window: 1.10 is the only answer in it
    feed.report(110_000_000, sender=reporter)
    travel(86_400)
    with ape.reverts(feed.FeedDeviationTooLarge):
        feed.report(98_999_999, sender=reporter)  # -10.0000009%


def test_report__five_reports_in_a_row__move_at_most_the_bound_per_window(system, feed, reporter):
    """The review's case: five +10% reports within seconds took the price +61% under a
    10% bound. Every answer in effect during the window now binds: the second +10% step
    is refused against the window's low, and the price ends where one step took it."""
    feed.report(110_000_000, sender=reporter)
    with ape.reverts(
        feed.FeedDeviationTooLarge,
        anchor=10**8,
        answer=121_000_000,
        deviationBps=2_100,
        maxDeviationBps=1_000,
    ):
        feed.report(121_000_000, sender=reporter)
    for _ in range(4):  # smaller steps within the band pass, but never leave it
        feed.report(105_000_000, sender=reporter)
    assert feed.latestRoundData()[1] == 105_000_000


def test_report__a_fall_is_measured_from_the_windows_high(system, feed, reporter):
    feed.report(110_000_000, sender=reporter)
    # 0.99 is 1% below 1.00 but 10% below 1.10, both in the window: the high binds.
    with ape.reverts(feed.FeedDeviationTooLarge, anchor=110_000_000, deviationBps=1_000 + 1):
        feed.report(98_999_999, sender=reporter)


def test_report__the_window_slides(system, feed, reporter, gov):
    """The answer in effect when the window began still binds; one full window after the
    last report, only that report does."""
    window = feed.deviationWindow()
    assert window == 86_400
    feed.report(110_000_000, sender=reporter)  # t0
    travel(window - 10)
    with ape.reverts(feed.FeedDeviationTooLarge, anchor=10**8):
        feed.report(111_000_000, sender=reporter)  # 1.00 (in effect until t0) still binds
    travel(20)
    feed.report(121_000_000, sender=reporter)  # only 1.10 was in effect within the window


def test_report__more_than_32_reports_in_a_window__refused(system, feed, reporter):
    for _ in range(32):  # rounds 2..33 (round 1 is the set-up's, before the window)
        feed.report(10**8, sender=reporter)
    with ape.reverts(feed.FeedTooManyReports, reports=32, window=86_400):
        feed.report(10**8, sender=reporter)


def test_force_report__is_the_new_reference(system, gov, feed, reporter):
    gov(feed, "forceReport", 50_000_000)
    feed.report(55_000_000, sender=reporter)  # 10% above the forced answer
    with ape.reverts(feed.FeedDeviationTooLarge, anchor=50_000_000):
        feed.report(55_000_001, sender=reporter)


def test_set_deviation_window__bounded(system, gov, feed):
    for bad in (3_599, 7 * 86_400 + 1):
        with ape.reverts(feed.FeedInvalidDeviationWindow, window=bad):
            gov(feed, "setDeviationWindow", bad)
    receipt = gov(feed, "setDeviationWindow", 3_600)
    assert receipt.events.filter(feed.DeviationWindowSet) == [
        feed.DeviationWindowSet(86_400, 3_600)
    ]


def test_report__above_int192__refused(system, gov, feed):
    with ape.reverts(feed.FeedInvalidAnswer, answer=2**191):
        gov(feed, "forceReport", 2**191)


def test_force_report__governor_overrides_deviation(system, gov, feed):
    receipt = gov(feed, "forceReport", 50_000_000)  # a 50% write-down
    assert feed.latestRoundData()[1] == 50_000_000
    assert receipt.events.filter(feed.AnswerForced) == [feed.AnswerForced(10**8, 50_000_000, 2)]


def test_set_max_deviation__bounded(system, gov, feed):
    for bad in (9, 5_001):
        with ape.reverts(feed.FeedInvalidMaxDeviation, maxDeviationBps=bad):
            gov(feed, "setMaxDeviation", bad)
    receipt = gov(feed, "setMaxDeviation", 200)
    assert receipt.events.filter(feed.MaxDeviationSet) == [feed.MaxDeviationSet(1_000, 200)]


def test_first_answer__is_governances_not_the_reporters(project, accounts, system):
    """A new stub has nothing to bound its first report by: only forceReport sets it."""
    admin = accounts[19]  # its own manager, where it may call everything (nothing mapped)
    manager = project.SovereignAccessManager.deploy(admin, sender=admin)
    feed = project.ReportedPriceFeed.deploy(manager, 8, "new", 1_000, 86_400, sender=admin)
    assert feed.latestRoundData() == (0, 0, 0, 0, 0)
    with ape.reverts(feed.FeedNoReference):
        feed.report(10**8, sender=admin)
    feed.forceReport(10**8, sender=admin)
    feed.report(11 * 10**7, sender=admin)  # bounded by the forced answer from now on
    assert system.feeds["SB30"].latestRoundData()[:2] == (1, 10**8)  # forced at deployment


def test_decimals_above_18__refused(project, accounts, system):
    deployer = accounts[19]  # see test_settlement_cash: a deployer used nowhere else
    with ape.reverts(project.ReportedPriceFeed.FeedInvalidDecimals, decimals=19):
        project.ReportedPriceFeed.deploy(system.manager, 19, "x", 1_000, 86_400, sender=deployer)
