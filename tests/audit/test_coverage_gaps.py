"""Guards and views the rest of the suite never reached (the "Not covered" list of
reports/coverage.md): zero amounts and addresses, invalid constructor terms, calls after
maturity, the vault's lot bookkeeping edges, the feeds' secondary views.

Each test asserts the exact custom error and its arguments (``assert_reverts``: an
eth_call decoded against every error of the project) or the returned value. Reverts
are checked with calls, state is set up with ``send`` (see tests/utils/audit.py):
the whole file costs a few seconds. Constructors are checked with a creation eth_call
(nothing is deployed, so no address can collide with another test's deployment).
"""

from __future__ import annotations

import ape
import pytest
from eth_utils import to_hex

from sovereign.limits import GRACE_PERIOD
from sovereign.preflight import decode_revert
from sovereign.units import WAD
from tests.utils import ref
from tests.utils.audit import (
    assert_reverts,
    delayed,
    deploy,
    mine_at,
    new_series,
    read,
    rpc,
    schedule_now,
    send,
)
from tests.utils.constants import CASH, DAY, MAX, ZERO

OTHER = "0x00000000000000000000000000000000DeaDBeef"


def creation_revert(container, *args):
    """The decoded revert of deploying ``container`` with ``args`` (a creation eth_call)."""
    data = bytes(container.contract_type.deployment_bytecode.to_bytes())
    data += bytes(container.constructor.encode_input(*args))
    response = rpc("eth_call", [{"data": to_hex(data), "gas": hex(15_000_000)}, "latest"])
    assert "error" in response, f"deploying {container.contract_type.name} succeeded"
    return decode_revert(response["error"].get("data") or "0x")


def schedule_all(manager, governor, calls):
    """Schedule several governor-delayed calls (each mined past its delay); returns
    their calldata, to assert each execution with ``assert_reverts``."""
    return [schedule_now(manager, c, m, *a, sender=governor) for c, m, *a in calls]


def fund_vault(system, compliance, central_bank, who, amount):
    """`who` KYC'd on the vault, funded and deposits `amount` cash."""
    vault, cash = system.vault, system.cash
    send(vault.setAllowlisted, who, True, ref("KYC"), sender=compliance)
    send(cash.mint, who, amount, sender=central_bank)
    send(cash.approve, vault, MAX, sender=who)
    send(vault.deposit, amount, who, sender=who)


# ====================================================================== constructors


def test_reserve_constructor__invalid_stablecoin_cash_or_decimals__reverts(project, system):
    manager, coin, cash = system.manager, system.stablecoin, system.cash
    wide = deploy(project.MockERC20, "W", "W", 19)
    cases = [
        ((manager, ZERO, cash, WAD), ("ReserveInvalidAddress", {"account": ZERO})),
        ((manager, coin, ZERO, WAD), ("ReserveInvalidAddress", {"account": ZERO})),
        (
            (manager, coin, wide, WAD),
            ("ReserveParameterOutOfBounds", {"value": 19, "min": 0, "max": 18}),
        ),
    ]
    for args, (name, inputs) in cases:
        revert = creation_revert(project.Reserve, *args)
        assert revert.name == name, revert
        for key, value in inputs.items():
            assert revert.inputs[key] == value, revert


@pytest.mark.parametrize(
    "clause", ["face zero", "maturity at issue", "decimals 19", "cash zero", "recipient zero"]
)
def test_tbill_series_constructor__each_invalid_term__reverts(project, system, clause):
    now = ape.chain.pending_timestamp
    terms = {
        "decimals": 6,
        "face": CASH,
        "issue": now,
        "maturity": now + 30 * DAY,
        "cash": system.cash.address,
        "recipient": OTHER,
    }
    key = {
        "face zero": ("face", 0),
        "maturity at issue": ("maturity", now),
        "decimals 19": ("decimals", 19),
        "cash zero": ("cash", ZERO),
        "recipient zero": ("recipient", ZERO),
    }[clause]
    terms[key[0]] = key[1]
    revert = creation_revert(
        project.TBillSeries,
        "T",
        "T",
        *(terms[k] for k in terms),  # insertion order = ABI
    )
    assert revert.name == "TBillInvalidTerms", revert


# ====================================================================== zero guards


def test_zero_amount_and_address_guards__revert(
    system, burner, exchange, reserve_manager, registrar, central_bank, bond
):
    reserve = system.reserve
    assert_reverts(reserve.ReserveZeroAmount, reserve.burn, 0, ref("B0"), by=burner)
    assert_reverts(reserve.ReserveZeroAmount, reserve.redeem, 0, ref("R0"), by=exchange)
    assert_reverts(
        reserve.ReserveInvalidAddress,
        reserve.withdrawCollateral,
        bond,
        ZERO,
        1,
        by=reserve_manager,
        account=ZERO,
    )
    assert_reverts(
        reserve.ReserveZeroAmount, reserve.withdrawCollateral, bond, OTHER, 0, by=reserve_manager
    )
    assert_reverts(
        reserve.ReserveInvalidAddress,
        reserve.registerParticipant,
        ZERO,
        ref("L0"),
        by=registrar,
        account=ZERO,
    )
    assert_reverts(system.cash.SettlementCashZeroAmount, system.cash.burn, 0, by=central_bank)


def test_governor_setters__zero_or_stablecoin_address__revert(system, governor, bond, bond_feed):
    reserve, coin, manager = system.reserve, system.stablecoin, system.manager
    invalid_address = ("ReserveInvalidAddress", "account")
    cases = [
        (reserve, "setCollateral", (ZERO, bond_feed, DAY, 0, 10_000), invalid_address, ZERO),
        (
            reserve,
            "setCollateral",
            (coin, bond_feed, DAY, 0, 10_000),
            invalid_address,
            coin.address,
        ),
        (reserve, "setCollateral", (bond, ZERO, DAY, 0, 10_000), invalid_address, ZERO),
        (reserve, "setMinterAllowance", (ZERO, WAD), invalid_address, ZERO),
        (coin, "setReserve", (ZERO,), ("StablecoinInvalidReserve", None), None),
    ]
    datas = schedule_all(manager, governor, [(c, m, *a) for c, m, a, _, _ in cases])
    for data, (target, _, _, (error, key), value) in zip(datas, cases, strict=True):
        inputs = {key: value} if key else {}
        assert_reverts(error, manager.execute, target.address, data, by=governor, **inputs)


# ====================================================================== reserve


def test_withdraw_collateral__no_supply__skips_the_ratio_check(system, reserve_manager, bond):
    reserve = system.reserve
    assert read(system.stablecoin.totalSupply) == 0
    held = read(bond.balanceOf, reserve)
    send(reserve.withdrawCollateral, bond, OTHER, held, sender=reserve_manager)
    assert read(bond.balanceOf, OTHER) == held and read(bond.balanceOf, reserve) == 0


def test_asset_status__unlisted_asset__reverts(system):
    reserve = system.reserve
    assert_reverts(reserve.ReserveUnknownCollateral, reserve.assetStatus, OTHER, asset=OTHER)


def test_mint__feed_never_updated__counts_zero(
    project, system, governor, minter, exchange, reporter
):
    reserve = system.reserve
    token = deploy(project.MockERC20, "Z", "Z", 18)
    feed = deploy(project.MockAggregator, 8)
    send(feed.set, 10**8, 0, sender=governor)  # a price, but updatedAt == 0
    send(token.mint, reserve, WAD, sender=governor)
    delayed(system.manager, reserve, "setCollateral", token, feed, DAY, 0, 10_000, sender=governor)
    send(system.feeds["SB30"].report, 10**8, sender=reporter)  # the bond fresh again
    assets, values, counted, total = read(reserve.collateralBreakdown)
    assert dict(zip(map(str.lower, assets), values, strict=True))[token.address.lower()] == 0
    assert total == read(reserve.collateralValue) > 0  # the bond alone
    send(reserve.mint, exchange, WAD, ref("M-STALE"), sender=minter)


# ====================================================================== feeds


def test_reported_feed__round_zero__reverts(system):
    feed = system.feeds["SB30"]
    assert_reverts(feed.FeedNoSuchRound, feed.getRoundData, 0, roundId=0)


def test_vault_nav_feed__description_version_and_round_data(system):
    feed = system.vault_feed
    assert read(feed.description) == "T-bill vault share NAV (on-chain)"
    assert read(feed.version) == 4
    assert read(feed.getRoundData, 7) == read(feed.latestRoundData)


# ====================================================================== registry and series


def test_registry__all_series_and_unknown_series(system, debt_office):
    registry = system.registry
    a = new_series(system, debt_office, "GAP-A", 30)
    b = new_series(system, debt_office, "GAP-B", 60)
    assert [s.lower() for s in read(registry.allSeries)[-2:]] == [
        a.address.lower(),
        b.address.lower(),
    ]
    assert_reverts(
        registry.RegistryUnknownSeries,
        registry.openAuction,
        OTHER,
        980_000,
        1,
        by=debt_office,
        series=OTHER,
    )
    assert_reverts(
        a.TBillInvalidPrice, registry.openAuction, a, 0, 1, by=debt_office, price=0, faceValue=CASH
    )


def test_series__zero_amounts_and_calls_after_maturity__revert(
    system, debt_office, central_bank, alice, bob
):
    registry, cash = system.registry, system.cash
    series = new_series(system, debt_office, "GAP-S", 30)
    send(cash.mint, alice, 10 * CASH, sender=central_bank)
    send(cash.approve, series, MAX, sender=alice)
    assert_reverts(series.TBillZeroAmount, series.buy, 0, CASH, by=alice)
    assert_reverts(series.TBillZeroAmount, series.fundRepayment, 0, by=alice)
    send(series.buy, 2 * CASH, CASH, sender=alice)

    maturity = read(series.maturity)
    mine_at(maturity)
    assert_reverts(series.TBillMatured, series.buy, CASH, CASH, by=alice, maturity=maturity)
    assert_reverts(
        series.TBillMatured,
        registry.openAuction,
        series,
        980_000,
        1,
        by=debt_office,
        maturity=maturity,
    )
    assert_reverts(series.TBillZeroAmount, series.redeem, 0, by=alice)
    mine_at(maturity + GRACE_PERIOD)
    send(series.markDefault, sender=bob)  # nothing in the pool
    assert_reverts(series.TBillAlreadyDefaulted, series.markDefault, by=bob)


# ====================================================================== vault


def test_vault__lots_bought_out_of_order_and_next_maturity(
    system, debt_office, vault_manager, compliance, central_bank, alice
):
    vault = system.vault
    assert read(vault.nextMaturity) == 0  # no lot
    fund_vault(system, compliance, central_bank, alice, 1_000 * CASH)
    late = new_series(system, debt_office, "GAP-L", 60)
    early = new_series(system, debt_office, "GAP-E", 30)
    send(vault.buy, late, 10 * CASH, CASH, sender=vault_manager)
    send(vault.buy, early, 10 * CASH, CASH, sender=vault_manager)  # inserted before `late`
    lots = read(vault.accruingLots)
    assert [lot[0].lower() for lot in lots] == [early.address.lower(), late.address.lower()]
    assert read(vault.nextMaturity) == read(early.maturity)
    mine_at(read(late.maturity))  # both matured, not yet synced
    assert read(vault.nextMaturity) == 0
    # a matured lot whose series repays nothing is worth its share of an empty pool
    assert read(vault.lotValue, lots[0]) == 0


def test_vault_lot_value__series_defaulted_and_fully_redeemed__at_the_recovery_rate(
    system, debt_office, central_bank, alice, bob
):
    """A lot of a defaulted series is worth its amount at the recovery rate fixed at the
    default, even once every token is redeemed and the pool is empty: reachable only through
    the public view ``lotValue`` with a lot the vault does not hold."""
    cash, vault = system.cash, system.vault
    series = new_series(system, debt_office, "GAP-D", 30)
    send(cash.mint, alice, 10 * CASH, sender=central_bank)
    send(cash.approve, series, MAX, sender=alice)
    send(series.buy, 2 * CASH, CASH, sender=alice)
    send(cash.transfer, series, CASH, sender=alice)  # half the face in the pool
    maturity = read(series.maturity)
    mine_at(maturity + GRACE_PERIOD)
    send(series.markDefault, sender=bob)
    send(series.redeem, 2 * CASH, sender=alice)  # at the recovery rate: the whole pool
    assert read(series.totalSupply) == 0 and read(series.defaulted) and read(series.pool) == 0
    lot = (series.address, maturity, maturity - 30 * DAY, 0, 2 * CASH, 2 * CASH, CASH, 0)
    assert read(vault.lotValue, lot) == CASH == read(series.redemptionValue, 2 * CASH)


def test_vault_buy__beyond_idle_cash_and_max_lots__reverts(
    system, debt_office, vault_manager, compliance, central_bank, alice
):
    vault = system.vault
    fund_vault(system, compliance, central_bank, alice, 100 * CASH)
    series = new_series(system, debt_office, "GAP-M", 30)
    assert_reverts(
        vault.VaultInsufficientIdleCash,
        vault.buy,
        series,
        200 * CASH,
        CASH,
        by=vault_manager,
        requested=196 * CASH,
        available=100 * CASH,
        nextMaturity=0,
    )
    max_lots = read(vault.MAX_LOTS)
    for _ in range(max_lots):
        send(vault.buy, series, CASH, CASH, sender=vault_manager)
    assert len(read(vault.accruingLots)) == max_lots
    assert_reverts(
        vault.VaultTooManyLots, vault.buy, series, CASH, CASH, by=vault_manager, max=max_lots
    )


def test_vault_deposit_cap__below_nav_then_uncapped(
    system, governor, compliance, central_bank, alice
):
    vault, manager = system.vault, system.manager
    fund_vault(system, compliance, central_bank, alice, 1_000 * CASH)
    send(system.cash.mint, alice, 1_000 * CASH, sender=central_bank)
    delayed(manager, vault, "setDepositCap", 500 * CASH, sender=governor)  # below the NAV
    assert read(vault.maxDeposit, alice) == 0
    assert_reverts(
        vault.ERC4626ExceededMaxDeposit,
        vault.deposit,
        CASH,
        alice,
        by=alice,
        receiver=alice.address,
        assets=CASH,
        max=0,
    )
    delayed(manager, vault, "setDepositCap", MAX, sender=governor)  # no cap
    assert read(vault.maxDeposit, alice) == MAX
    assert read(vault.maxMint, alice) == MAX


def test_vault__redeem_beyond_balance_and_invalid_pause_flags__revert(
    system, compliance, central_bank, guardian, alice
):
    vault = system.vault
    fund_vault(system, compliance, central_bank, alice, 10 * CASH)
    shares = read(vault.balanceOf, alice)
    assert_reverts(
        vault.ERC4626ExceededMaxRedeem,
        vault.redeem,
        shares + 1,
        alice,
        alice,
        by=alice,
        owner=alice.address,
        shares=shares + 1,
        max=shares,
    )
    for flags in (0, 4, 7):
        assert_reverts(vault.VaultInvalidPauseFlags, vault.pause, flags, by=guardian, flags=flags)
