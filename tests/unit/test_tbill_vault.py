"""TBillVault: permissioning (KYC allowlist and the shared AML freeze), ERC-4626
limits and rounding, idle cash, markdowns, the donation attack, and vault shares
as reserve collateral."""

import ape
import pytest

from sovereign.units import WAD
from tests.utils import ref
from tests.utils.constants import CASH, DAY


@pytest.fixture
def deposited(system, vault, investors):
    alice, bob = investors
    vault.deposit(100_000 * CASH, alice, sender=alice)
    return alice, bob


@pytest.fixture
def with_bill(deposited, vault, make_series, vault_manager):
    """The vault holds 50,000 of a 91-day bill bought at 0.98."""
    series = make_series("V3M", 91)
    vault.buy(series, 50_000 * CASH, 980_000, sender=vault_manager)
    return series


# ------------------------------------------------------------------ permissioning


def test_deposit__receiver_not_allowlisted__reverts(deposited, vault, mallory):
    alice, _ = deposited
    with ape.reverts(vault.VaultNotAllowlisted, account=mallory.address):
        vault.deposit(CASH, mallory, sender=alice)
    assert vault.maxDeposit(mallory) == 0 and vault.maxMint(mallory) == 0


def test_deposit__caller_not_allowlisted__reverts(
    system, vault, cash, central_bank, mallory, deposited
):
    alice, _ = deposited
    cash.mint(mallory, CASH, sender=central_bank)
    cash.approve(vault, CASH, sender=mallory)
    with ape.reverts(vault.VaultNotAllowlisted, account=mallory.address):
        vault.deposit(CASH, alice, sender=mallory)


def test_shares__cannot_go_to_non_allowlisted(deposited, vault, mallory):
    alice, _ = deposited
    with ape.reverts(vault.VaultNotAllowlisted, account=mallory.address):
        vault.transfer(mallory, 1, sender=alice)
    vault.approve(mallory, 10, sender=alice)
    with ape.reverts(vault.VaultNotAllowlisted, account=mallory.address):
        vault.transferFrom(alice, mallory, 1, sender=mallory)


def test_frozen_account__refused_on_every_path(deposited, vault, coin, compliance):
    """The vault obeys the stablecoin's AML freeze list."""
    alice, bob = deposited
    vault.deposit(CASH, bob, sender=bob)
    coin.freeze(alice, ref("AML-7"), sender=compliance)
    assert vault.maxDeposit(alice) == vault.maxWithdraw(alice) == vault.maxRedeem(alice) == 0
    for action in (
        lambda: vault.deposit(CASH, alice, sender=alice),
        lambda: vault.mint(CASH, alice, sender=alice),
        lambda: vault.withdraw(CASH, alice, alice, sender=alice),
        lambda: vault.redeem(CASH, alice, alice, sender=alice),
        lambda: vault.transfer(bob, 1, sender=alice),
        lambda: vault.transfer(alice, 1, sender=bob),
        lambda: vault.deposit(CASH, alice, sender=bob),
        lambda: vault.withdraw(1, alice, bob, sender=bob),
    ):
        with ape.reverts(vault.VaultAccountFrozen, account=alice.address):
            action()


def test_removed_from_allowlist__can_still_exit(deposited, vault, cash, compliance):
    """De-listing stops new shares; it never traps what the holder has."""
    alice, _ = deposited
    vault.setAllowlisted(alice, False, ref("KYC-EXPIRED"), sender=compliance)
    before = cash.balanceOf(alice)
    vault.withdraw(10 * CASH, alice, alice, sender=alice)
    assert cash.balanceOf(alice) - before == 10 * CASH
    with ape.reverts(vault.VaultNotAllowlisted, account=alice.address):
        vault.deposit(CASH, alice, sender=alice)


# ------------------------------------------------------------------ limits, pauses, idle cash


def test_pauses__guardian_pauses_each_path_and_max_functions_follow(
    deposited, vault, guardian, gov
):
    alice, _ = deposited
    vault.pause(1, sender=guardian)
    assert vault.maxDeposit(alice) == vault.maxMint(alice) == 0
    assert vault.maxWithdraw(alice) > 0
    with ape.reverts(vault.VaultPaused, flag=1):
        vault.deposit(CASH, alice, sender=alice)
    vault.redeem(CASH, alice, alice, sender=alice)
    vault.pause(2, sender=guardian)
    assert vault.maxWithdraw(alice) == vault.maxRedeem(alice) == 0
    with ape.reverts(vault.VaultPaused, flag=2):
        vault.withdraw(CASH, alice, alice, sender=alice)
    with ape.reverts(vault.AccessManagedUnauthorized, caller=guardian.address):
        vault.unpause(3, sender=guardian)
    gov(vault, "unpause", 3)
    assert vault.pausedFlags() == 0


def test_deposit_cap__reflected_in_max_deposit(deposited, vault, gov):
    alice, _ = deposited
    gov(vault, "setDepositCap", 100_500 * CASH)
    assert vault.maxDeposit(alice) == 500 * CASH
    with ape.reverts(vault.ERC4626ExceededMaxDeposit):
        vault.deposit(501 * CASH, alice, sender=alice)


def test_withdraw__beyond_idle_cash__names_available_and_next_maturity(with_bill, vault, deposited):
    alice, _ = deposited
    idle = vault.idleCash()
    assert idle == 100_000 * CASH - 49_000 * CASH  # the bill cost 49,000
    assert vault.maxWithdraw(alice) == idle
    with ape.reverts(
        vault.VaultInsufficientIdleCash,
        requested=idle + 1,
        available=idle,
        nextMaturity=with_bill.maturity(),
    ):
        vault.withdraw(idle + 1, alice, alice, sender=alice)
    assert vault.maxRedeem(alice) == vault.convertToShares(idle)


# ------------------------------------------------------------------ buying, markdowns


def test_buy__only_registry_series_and_only_at_a_discount(
    deposited, vault, vault_manager, project, deployer, make_series
):
    fake = project.MockERC20.deploy("Fake bill", "FAKE", 6, sender=deployer)
    with ape.reverts(vault.VaultUnknownSeries, series=fake.address):
        vault.buy(fake, CASH, 1, sender=vault_manager)
    series = make_series("V-TINY", 91, price=999_999)
    with ape.reverts(vault.VaultNotADiscount, cost=1, face=1):
        vault.buy(series, 1, 999_999, sender=vault_manager)  # 1 unit rounds to no discount


def test_buy__too_close_to_maturity__reverts(deposited, vault, vault_manager, make_series):
    series = make_series("V-SOON", 1)
    ape.chain.pending_timestamp += 3_600
    with ape.reverts(vault.VaultMaturityTooClose):
        vault.buy(series, CASH, 980_000, sender=vault_manager)


def test_markdown__lowers_nav_within_bounds(with_bill, vault, reporter):
    ape.chain.mine(1, timestamp=ape.chain.pending_timestamp + 30 * DAY)
    before = vault.totalAssets()
    vault.setMarkdown(with_bill, 1_000, sender=reporter)  # 10% below accreted
    lot = vault.accruingLots()[0]
    assert lot.markdownBps == 1_000
    assert vault.totalAssets() < before
    with ape.reverts(vault.VaultMarkdownOutOfBounds, markdownBps=5_001, max=5_000):
        vault.setMarkdown(with_bill, 5_001, sender=reporter)


def test_markdown__moves_the_exit_nav_only__deposits_pay_the_entry_nav(
    with_bill, vault, reporter, bob
):
    """Withdrawals and the share's value use the marked NAV (totalAssets); deposits pay the
    entry NAV (entryAssets: no markdowns), so buying shares just before a markdown is
    lifted gains nothing. With no markdown the two are equal."""
    ape.chain.mine(1, timestamp=ape.chain.pending_timestamp + 30 * DAY)
    assert vault.entryAssets() == vault.totalAssets()
    vault.setMarkdown(with_bill, 5_000, sender=reporter)
    ape.chain.pending_timestamp = ape.chain.pending_timestamp  # pin the next block's time
    exit_nav = vault.totalAssets(block_id="pending")
    entry_nav = vault.entryAssets(block_id="pending")
    lot = vault.lotValue(vault.accruingLots()[0], block_id="pending")
    assert entry_nav - exit_nav in (lot, lot + 1)  # the markdown halves the lot (± rounding)
    supply = vault.totalSupply()
    shares = vault.deposit(700 * CASH, bob, sender=bob).return_value
    assert shares == 700 * CASH * (supply + 10**6) // (entry_nav + 1)
    vault.setMarkdown(with_bill, 0, sender=reporter)
    assert vault.redeem(shares, bob, bob, sender=bob).return_value <= 700 * CASH


def test_buy__a_marked_down_series__refused(with_bill, vault, reporter, vault_manager):
    """Paying the auction price for a lot valued at once below it would move holders'
    value to the treasury; the vault buys no more of a marked-down series."""
    vault.setMarkdown(with_bill, 200, sender=reporter)
    with ape.reverts(vault.VaultSeriesMarkedDown, series=with_bill.address, markdownBps=200):
        vault.buy(with_bill, 10**6, 10**6, sender=vault_manager)


# ------------------------------------------------------------------ ERC-4626 properties


def _next_block(vault, view, *args):
    """`view` evaluated as the next transaction will see it (the NAV accretes every
    second, so EIP-4626's "in the same transaction" means the same block time)."""
    ape.chain.pending_timestamp = ape.chain.pending_timestamp  # pin the next block's time
    return getattr(vault, view)(*args, block_id="pending")


def test_previews_match_actuals(deposited, vault, with_bill):
    alice, _ = deposited
    ape.chain.mine(1, timestamp=ape.chain.pending_timestamp + 10 * DAY)  # NAV per share above 1
    shares = _next_block(vault, "previewDeposit", 1_234 * CASH)
    assert vault.deposit(1_234 * CASH, alice, sender=alice).return_value == shares
    assets = _next_block(vault, "previewMint", 777 * 10**12)
    assert vault.mint(777 * 10**12, alice, sender=alice).return_value == assets
    burned = _next_block(vault, "previewWithdraw", 500 * CASH)
    assert vault.withdraw(500 * CASH, alice, alice, sender=alice).return_value == burned
    paid = _next_block(vault, "previewRedeem", 10**15)
    assert vault.redeem(10**15, alice, alice, sender=alice).return_value == paid


def test_round_trip__never_gains(deposited, vault, with_bill, bob):
    ape.chain.mine(1, timestamp=ape.chain.pending_timestamp + 17 * DAY)
    shares = vault.deposit(12_345_678, bob, sender=bob).return_value
    assert vault.redeem(shares, bob, bob, sender=bob).return_value <= 12_345_678
    assets = vault.mint(10**13, bob, sender=bob).return_value
    assert vault.previewWithdraw(assets) >= 10**13


# The first-depositor donation and a fee-on-transfer cash token: in the attack
# catalogue (tests/audit/test_attacks.py), with the loss bounds and errors asserted.


# ------------------------------------------------------------------ shares as reserve collateral


def test_vault_shares__back_the_stablecoin_at_nav(
    system, vault, reserve, cash, central_bank, deposited, with_bill, minter, exchange
):
    alice, _ = deposited
    treasury_shares = vault.deposit(200_000 * CASH, reserve, sender=alice).return_value
    system.feeds["SB30"].report(10**8, sender=system.holders.oracle_reporter)
    *_, counted = reserve.assetStatus(vault)
    nav_per_share_wad = system.vault_feed.latestRoundData()[1]
    assert nav_per_share_wad == vault.convertToAssets(10**12) * 10**12
    assert counted == (treasury_shares * nav_per_share_wad // 10**12) * 9_900 // 10_000
    before = reserve.maxMintable()
    ape.chain.mine(1, timestamp=ape.chain.pending_timestamp + 20 * DAY)
    system.feeds["SB30"].report(10**8, sender=system.holders.oracle_reporter)
    assert reserve.maxMintable() > before  # accretion raises what the reserve may issue
    assert WAD  # unit of account in wad
