"""ERC-4626 properties of the T-bill vault, after a16z/erc4626-tests (ERC4626.prop.sol)
and crytic/properties (contracts/ERC4626: accounting, rounding, must-not-revert, sender
independence), written in Python with hypothesis.

The vault is in a non-trivial state (`book`, built once per module): three depositors
and a probe holding shares, a deposit cap, two bills bought (a 91-day one whose pool is
60% funded, so it is priced pro rata at maturity, and a 182-day one marked down 10% and
never funded), one holder frozen. Each example moves the clock to a generated moment
(the maturities included) inside ``isolated()``.

Operations are measured through `VaultProbe` (contracts/test): one eth_call runs the
operation, or a round trip of two, and reports what moved, so previews and results are
compared in the same block and nothing is committed.
"""

from __future__ import annotations

from types import SimpleNamespace

import ape
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.utils import ref
from tests.utils.audit import (
    assert_reverts,
    delayed,
    deploy,
    isolated,
    mine_at,
    model_assets,
    model_shares,
    new_series,
    read,
    send,
)
from tests.utils.constants import CASH, DAY, MAX, ZERO

pytestmark = pytest.mark.xdist_group("audit-erc4626")

SHARE = 10**12  # one cash unit's worth of shares at the start (6 + 6 decimals)
CAP = 1_000_000 * CASH

# A moment to look at the vault: a key instant (a bill's maturity, one second before) or
# any time in the next 200 days, counted from the end of the set-up.
MOMENT = st.one_of(st.sampled_from(["m1-1", "m1", "m2"]), st.integers(0, 200 * DAY))
ASSETS = st.integers(0, 200_000 * CASH)
SHARES = st.integers(0, 200_000 * SHARE)


@pytest.fixture(scope="module")
def carol(accounts):
    return accounts[16]


@pytest.fixture(scope="module", autouse=True)
def book(
    project, system, deployer, governor, compliance, central_bank, debt_office, vault_manager,
    reporter, alice, bob, carol,
):  # fmt: skip
    vault, cash = system.vault, system.cash
    probe = deploy(project.VaultProbe, vault)
    delayed(system.manager, vault, "setDepositCap", CAP, sender=governor)  # moves the clock
    for who in (alice, bob, carol, probe):
        send(vault.setAllowlisted, who, True, ref("KYC"), sender=compliance)
        send(cash.mint, who, 1_000_000 * CASH, sender=central_bank)
    for who in (alice, bob, carol):
        send(cash.approve, vault, MAX, sender=who)
    send(vault.deposit, 100_000 * CASH, alice, sender=alice)
    send(vault.deposit, 50_000 * CASH, bob, sender=bob)
    send(vault.deposit, 20_000 * CASH, carol, sender=carol)
    send(probe.deposit, 50_000 * CASH, probe, sender=alice)
    issued = ape.chain.pending_timestamp
    s1 = new_series(system, debt_office, "E-91", 91, 980_000, issued)
    s2 = new_series(system, debt_office, "E-182", 182, 950_000, issued)
    send(vault.buy, s1, 60_000 * CASH, 980_000, sender=vault_manager)
    send(vault.buy, s2, 40_000 * CASH, 950_000, sender=vault_manager)
    send(cash.mint, s1, 36_000 * CASH, sender=central_bank)  # 60% of its face
    send(vault.setMarkdown, s2, 1_000, sender=reporter)
    send(system.stablecoin.freeze, carol, ref("AML"), sender=compliance)
    start = ape.chain.pending_timestamp
    moments = {"m1-1": s1.maturity() - 1, "m1": s1.maturity(), "m2": s2.maturity()}
    return SimpleNamespace(probe=probe, start=start, moments=moments)


def _go(book, moment) -> None:
    """Mine a block at `moment` (a key instant, or seconds after the set-up)."""
    mine_at(book.moments[moment] if isinstance(moment, str) else book.start + moment)


# ====================================================================== accounting


@given(moment=MOMENT, assets=ASSETS, shares=SHARES)
def test_operations_move_what_they_return_and_previews_bound_them(
    book, vault, mallory, bob, moment, assets, shares
):
    """a16z prop_previewDeposit/Mint/Withdraw/Redeem and prop_deposit/mint/withdraw/redeem,
    crytic verify_*Properties: previewDeposit <= deposit, previewMint >= mint,
    previewWithdraw >= withdraw, previewRedeem <= redeem (previews asked by a third party),
    and each operation takes and credits exactly what it returns."""
    probe = book.probe
    with isolated():
        _go(book, moment)
        returned, paid, credited = read(probe.deposit, assets, bob)
        assert read(vault.previewDeposit, assets, by=mallory) <= returned == credited
        assert paid == assets
        returned, paid, credited = read(probe.mint, shares, bob)
        assert read(vault.previewMint, shares, by=mallory) >= returned == paid
        assert credited == shares
        out = min(assets, read(vault.maxWithdraw, probe))
        returned, received, burned = read(probe.withdraw, out, bob)
        assert read(vault.previewWithdraw, out, by=mallory) >= returned == burned
        assert received == out
        burn = min(shares, read(vault.maxRedeem, probe))
        returned, received, burned = read(probe.redeem, burn, bob)
        assert read(vault.previewRedeem, burn, by=mallory) <= returned == received
        assert burned == burn


# ====================================================================== rounding


@given(moment=MOMENT, assets=ASSETS, shares=SHARES)
def test_conversions_and_previews_round_against_the_caller_whoever_asks(
    book, vault, alice, mallory, carol, moment, assets, shares
):
    """crytic RoundingProps and SenderIndependentProps, a16z prop_convertTo*: convertTo* and
    previewDeposit/Redeem round down, previewMint/Withdraw round up (exactly OpenZeppelin's
    formula with virtual shares), the same for an allowlisted, a stranger and a frozen
    caller; a convert round trip never gains; nothing is minted or paid for free. Deposits
    and mints are previewed at the entry NAV (no markdowns), never below the exit NAV, so a
    preview of a deposit never gives more shares than the conversion (ERC-4626 allows
    previews worse than conversions)."""
    with isolated():
        _go(book, moment)
        nav, supply = read(vault.totalAssets), read(vault.totalSupply)
        entry = read(vault.entryAssets)
        assert entry >= nav
        expected = {
            "convertToShares": (assets, model_shares(assets, nav, supply)),
            "previewDeposit": (assets, model_shares(assets, entry, supply)),
            "previewWithdraw": (assets, model_shares(assets, nav, supply, ceil=True)),
            "convertToAssets": (shares, model_assets(shares, nav, supply)),
            "previewRedeem": (shares, model_assets(shares, nav, supply)),
            "previewMint": (shares, model_assets(shares, entry, supply, ceil=True)),
        }
        assert expected["previewDeposit"][1] <= expected["convertToShares"][1]
        for view, (arg, want) in expected.items():
            for caller in (alice, mallory, carol):
                assert read(getattr(vault, view), arg, by=caller) == want, (view, caller)
        to_shares, to_assets = expected["convertToShares"][1], expected["convertToAssets"][1]
        assert model_assets(to_shares, nav, supply) <= assets  # convert round trips never gain
        assert model_shares(to_assets, nav, supply) <= shares
        assert (expected["previewMint"][1] > 0) == (shares > 0)  # no shares for free
        assert (expected["previewWithdraw"][1] > 0) == (assets > 0)  # no cash for free


# ====================================================================== round trips


@given(moment=MOMENT, assets=ASSETS, shares=SHARES)
def test_round_trips_never_gain(book, vault, moment, assets, shares):
    """a16z prop_RT_*: redeem(deposit(a)) <= a, withdraw(a) >= deposit(a),
    withdraw(mint(s)) >= s, redeem(s) <= mint(s), deposit(redeem(s)) <= s,
    mint(s) >= redeem(s), mint(withdraw(a)) >= a, deposit(a) <= withdraw(a)."""
    probe = book.probe
    with isolated():
        _go(book, moment)
        got, back = read(probe.depositRedeem, assets)
        assert back <= assets
        got, burned = read(probe.depositWithdraw, assets)
        assert burned >= got
        paid, burned = read(probe.mintWithdraw, shares)
        assert burned >= shares
        paid, back = read(probe.mintRedeem, shares)
        assert back <= paid
        held = min(shares, read(vault.maxRedeem, probe))
        out, got = read(probe.redeemDeposit, held)
        assert got <= held
        out, paid = read(probe.redeemMint, held)
        assert paid >= out
        idle = min(assets, read(vault.maxWithdraw, probe))
        burned, paid = read(probe.withdrawMint, idle)
        assert paid >= idle
        burned, got = read(probe.withdrawDeposit, idle)
        assert got <= burned


# ====================================================================== limits


@given(moment=MOMENT, paused=st.sampled_from([0, 1, 2, 3]))
def test_max_limits_never_revert_and_can_be_used_in_full(
    book, system, vault, guardian, alice, bob, mallory, carol, moment, paused
):
    """a16z prop_max*, crytic MustNotRevertProps and verify_max*IgnoresSenderAssets: max*
    never revert, for a holder, a stranger (not allowlisted), a frozen holder and the
    zero address; they are 0 where the operation would be refused (paused, not
    allowlisted, frozen); alice's limits are usable in full and one unit more is refused;
    maxDeposit does not depend on the receiver's cash; spending another's shares needs an
    allowance."""
    limit_views = (vault.maxDeposit, vault.maxMint, vault.maxWithdraw, vault.maxRedeem)
    with isolated():
        _go(book, moment)
        if paused:
            send(vault.pause, paused, sender=guardian)
        for who in (alice, mallory, carol, ZERO):
            deposit, mint, withdraw, redeem = (read(view, who) for view in limit_views)
            if paused & 1 or who != alice:
                assert deposit == mint == 0, who
            if paused & 2 or who != alice:
                assert withdraw == redeem == 0, who
        if paused & 1:
            assert_reverts(vault.VaultPaused, vault.deposit, CASH, alice, by=alice, flag=1)
        else:
            room, mint = read(vault.maxDeposit, alice), read(vault.maxMint, alice)
            assert room == CAP - read(vault.totalAssets) == read(vault.maxDeposit, bob)
            assert mint == read(vault.maxMint, bob)  # neither depends on the cash held
            read(vault.deposit, room, alice, by=alice)
            read(vault.mint, mint, alice, by=alice)
            over = room + 1
            assert_reverts(
                vault.ERC4626ExceededMaxDeposit, vault.deposit, over, alice, by=alice,
                receiver=alice.address, assets=over, max=room,
            )  # fmt: skip
        if paused & 2:
            assert_reverts(vault.VaultPaused, vault.withdraw, CASH, alice, alice, by=alice, flag=2)
        else:
            out, burn = read(vault.maxWithdraw, alice), read(vault.maxRedeem, alice)
            assert out > 0 and burn > 0
            read(vault.withdraw, out, alice, alice, by=alice)
            read(vault.redeem, burn, alice, alice, by=alice)
            held = read(vault.convertToAssets, read(vault.balanceOf, alice))
            over = out + 1
            if out == held:  # limited by what alice holds
                assert_reverts(
                    vault.ERC4626ExceededMaxWithdraw, vault.withdraw, over, alice, alice,
                    by=alice, owner=alice.address, assets=over, max=held,
                )  # fmt: skip
            else:  # limited by idle cash: bills are not sold before maturity
                assert_reverts(
                    vault.VaultInsufficientIdleCash, vault.withdraw, over, alice, alice,
                    by=alice, requested=over, available=out,
                )  # fmt: skip
            assert_reverts(
                vault.ERC20InsufficientAllowance, vault.withdraw, CASH, bob, alice, by=bob,
                spender=bob.address, allowance=0,
            )  # fmt: skip


def test_metadata_views_never_revert_and_share_decimals_cover_the_asset(system, vault):
    """a16z prop_asset/prop_totalAssets, crytic verify_assetDecimalsLessThanVault."""
    assert vault.asset() == system.cash.address
    assert vault.totalAssets() > 0
    assert vault.decimals() == system.cash.decimals() + 6 >= system.cash.decimals()
