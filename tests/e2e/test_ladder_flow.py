"""A ladder of three T-bill series (3, 6 and 12 months) in the vault, from deposit
to the last repayment. After every step the vault's NAV equals the independent
Python model (sovereign.ladder) to the unit, and it never decreases while
nothing defaults; a default lowers it, also exactly as modelled."""

import ape
import pytest

from sovereign.ladder import LadderModel, SeriesState
from tests.utils import travel
from tests.utils.constants import CASH, DAY


@pytest.fixture
def ladder(system, vault, make_series, investors, vault_manager):
    alice, bob = investors
    model = LadderModel(scale=10 ** (18 - 6))
    vault.deposit(600_000 * CASH, alice, sender=alice)
    vault.deposit(400_000 * CASH, bob, sender=bob)
    model.deposit(1_000_000 * CASH)
    bills = {}
    for code, days, price, amount in (
        ("3M", 91, 988_000, 300_000 * CASH),
        ("6M", 182, 975_500, 300_000 * CASH),
        ("12M", 364, 951_250, 300_000 * CASH),
    ):
        series = make_series(code, days, price=price)
        receipt = vault.buy(series, amount, price, sender=vault_manager)
        model.buy(series.address, amount, price, SeriesState.read(series), receipt.timestamp)
        bills[code] = series
    return model, bills


class NavChecker:
    def __init__(self, vault, model, bills):
        self.vault, self.model, self.bills, self.history = vault, model, bills, []

    def check(self, may_decrease=False):
        now = ape.chain.blocks.head.timestamp
        states = {s.address: SeriesState.read(s) for s in self.bills.values()}
        nav = self.vault.totalAssets()
        assert nav == self.model.nav(states, now), "vault NAV differs from the model"
        entry = self.vault.entryAssets()
        assert entry == self.model.entry_nav(states, now), "entry NAV differs from the model"
        assert entry >= nav
        if self.history and not may_decrease:
            assert nav >= self.history[-1], "NAV decreased while nothing defaulted"
        self.history.append(nav)
        return nav


def _repay(series, cash, central_bank):
    """The treasury funds the series' repayment pool in full."""
    cash.mint(series, series.outstandingFace(), sender=central_bank)


def test_ladder__nav_matches_model_through_every_maturity(
    system, vault, ladder, cash, central_bank, vault_manager, investors, reporter
):
    model, bills = ladder
    nav = NavChecker(vault, model, bills)
    start = nav.check()
    for step_days in (1, 30, 59):  # accretion before the first maturity
        travel(step_days * DAY)
        nav.check()
    # The reporter marks the 12-month bill 2% below its accreted value, then lifts it.
    vault.setMarkdown(bills["12M"], 200, sender=reporter)
    model.markdown_bps[bills["12M"].address] = 200
    marked = nav.check(may_decrease=True)
    assert marked < nav.history[-2]
    vault.setMarkdown(bills["12M"], 0, sender=reporter)
    model.markdown_bps[bills["12M"].address] = 0
    nav.check()
    for code in ("3M", "6M", "12M"):
        series = bills[code]
        ape.chain.mine(1, timestamp=series.maturity() - 1)
        nav.check()
        _repay(series, cash, central_bank)
        ape.chain.mine(1, timestamp=series.maturity())
        nav.check()  # matured and funded: valued at face
        vault.sync(sender=vault_manager)  # moves the matured lot (any transaction would)
        index = [lot.series for lot in vault.maturedLots()].index(series.address)
        receipt = vault.redeemMatured(index, sender=vault_manager)
        payout = receipt.events.filter(vault.BillRedeemed)[0].payout
        assert payout == 300_000 * CASH
        model.redeem(series.address, payout)
        nav.check()
    # Everything repaid: the NAV is all idle cash, and it grew by the discounts earned.
    assert vault.totalAssets() == vault.idleCash() == model.idle
    discounts = 3 * 300_000 * CASH - (296_400 + 292_650 + 285_375) * CASH
    assert model.idle == 1_000_000 * CASH + discounts
    assert start >= 1_000_000 * CASH
    # Investors leave with their share of the gains, pro rata to their deposits.
    alice, bob = investors
    a = vault.redeem(vault.balanceOf(alice), alice, alice, sender=alice).return_value
    b = vault.redeem(vault.balanceOf(bob), bob, bob, sender=bob).return_value
    assert abs(a * 400_000 - b * 600_000) <= 600_000 * 2  # 60/40 split, to rounding


def test_ladder__default_lowers_nav_as_modelled(
    system, vault, ladder, cash, central_bank, vault_manager, alice
):
    model, bills = ladder
    nav = NavChecker(vault, model, bills)
    nav.check()
    series = bills["6M"]
    cash.mint(series, 180_000 * CASH, sender=central_bank)  # 60% of what is owed
    ape.chain.mine(1, timestamp=series.maturity())
    before = nav.history[-1]
    lowered = nav.check(may_decrease=True)  # unpaid at maturity: pro rata, not face
    lot_value = model.lot_value(
        model.lots[1], SeriesState.read(series), ape.chain.blocks.head.timestamp
    )
    assert lot_value == 180_000 * CASH
    ape.chain.mine(1, timestamp=series.graceEnd())  # the treasury did not cure it in time
    nav.check(may_decrease=True)
    series.markDefault(sender=alice)
    assert series.defaulted()
    nav.check(may_decrease=True)
    assert lowered < before + 1  # a default never shows as a gain
    vault.sync(sender=vault_manager)
    index = [lot.series for lot in vault.maturedLots()].index(series.address)
    receipt = vault.redeemMatured(index, sender=vault_manager)
    model.redeem(series.address, receipt.events.filter(vault.BillRedeemed)[0].payout)
    nav.check(may_decrease=True)
