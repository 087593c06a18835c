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
        previous=10**8,
        answer=110_000_001,
        deviationBps=1_001,
        maxDeviationBps=1_000,
    ):
        feed.report(110_000_001, sender=reporter)
    feed.report(110_000_000, sender=reporter)
    with ape.reverts(feed.FeedDeviationTooLarge):
        feed.report(98_999_999, sender=reporter)  # -10.0000009%


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


def test_decimals_above_18__refused(project, accounts, system):
    deployer = accounts[19]  # see test_settlement_cash: a deployer used nowhere else
    with ape.reverts(project.ReportedPriceFeed.FeedInvalidDecimals, decimals=19):
        project.ReportedPriceFeed.deploy(system.manager, 19, "x", 1_000, sender=deployer)
