"""The attack catalogue: one test per attack an auditor would try, named by the attack,
with a one-line docstring "Attack: ... Defence: ..." and an assertion of the defence:
the exact custom error and its values, or the exact bound on what the attack can take.

Every test starts from `world` (built once per module, reverted after every test):
500,000 SSHL minted to the exchange under W-MINT, a burn (W-BURN) and a redemption
(W-REDEEM) done; alice holding 1,000 SSHL with an infinite allowance to bob; alice, bob
and a `VaultProbe` KYC'd in the vault with 1,000,000 cash each; alice holding 100,000
cash of vault shares, which bob may spend; a gold token listed at 1.00 through a mock
feed (10% haircut) and the settlement cash itself listed at 1.00 (no haircut).

Refusals are asserted with ``assert_reverts`` (tests/utils/audit.py): an eth_call of
the real entry point from the real sender, whose revert data is decoded and compared by
error name and values (ape.reverts would accept any revert of an eth_call).
"""

from __future__ import annotations

import ape
import pytest
from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector, to_hex

from sovereign.limits import GRACE_PERIOD
from sovereign.pauses import Pause, VaultPause
from sovereign.permit import sign_permit
from sovereign.roles import Role
from sovereign.units import WAD
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
    revert_of,
    schedule_now,
    send,
)
from tests.utils.constants import CASH, DAY, MAX, ROOT, ZERO

pytestmark = pytest.mark.xdist_group("audit-attacks")

SHARE = 10**12  # vault shares worth one cash unit at par (6 + 6 decimals)


def b32(text: str) -> bytes:
    return text.encode().ljust(32, b"\0")


@pytest.fixture(scope="module")
def carol(accounts):
    return accounts[16]


@pytest.fixture(scope="module")
def gold(project):
    return deploy(project.MockERC20, "Gold", "GLD", 18)


@pytest.fixture(scope="module")
def gold_feed(project):
    return deploy(project.MockAggregator, 8)


@pytest.fixture(scope="module")
def sandbox(project, deployer):
    """A separate AccessManager whose admin is the deployer, without delay: contracts
    deployed for one attack (hostile tokens, a fresh vault) are wired through it."""
    return deploy(project.SovereignAccessManager, deployer)


@pytest.fixture(scope="module")
def probe(project, system):
    return deploy(project.VaultProbe, system.vault)


@pytest.fixture(scope="module", autouse=True)
def world(
    project, system, gold, gold_feed, probe, deployer, governor, minter, burner, exchange,
    alice, bob, compliance, central_bank, reporter,
):  # fmt: skip
    coin, reserve, vault, cash, manager = (
        system.stablecoin, system.reserve, system.vault, system.cash, system.manager,
    )  # fmt: skip
    cash_feed = deploy(project.MockAggregator, 8)
    delayed(manager, reserve, "setCollateral", gold, gold_feed, DAY, 1_000, 10_000, sender=governor)
    delayed(manager, reserve, "setCollateral", cash, cash_feed, DAY, 0, 10_000, sender=governor)
    send(gold.mint, reserve, 100_000 * WAD, sender=deployer)
    now = ape.chain.pending_timestamp
    send(gold_feed.set, 10**8, now, sender=deployer)
    send(cash_feed.set, 10**8, now, sender=deployer)
    send(system.feeds["SB30"].report, 10**8, sender=reporter)  # fresh again after the delays

    send(reserve.mint, exchange, 500_000 * WAD, ref("W-MINT"), sender=minter)
    send(coin.transfer, alice, 1_000 * WAD, sender=exchange)
    send(coin.transfer, burner, 100 * WAD, sender=exchange)
    send(reserve.burn, 10 * WAD, ref("W-BURN"), sender=burner)
    send(reserve.redeem, 1_000 * WAD, ref("W-REDEEM"), sender=exchange)
    send(coin.approve, bob, MAX, sender=alice)
    for who in (alice, bob, probe):
        send(vault.setAllowlisted, who, True, ref("KYC"), sender=compliance)
        send(cash.mint, who, 1_000_000 * CASH, sender=central_bank)
    for who in (alice, bob):
        send(cash.approve, vault, MAX, sender=who)
    send(vault.deposit, 100_000 * CASH, alice, sender=alice)
    send(vault.approve, bob, MAX, sender=alice)
    return system


def _fresh_vault(project, system, sandbox, asset, *holders):
    """A new, empty TBillVault over `asset`, wired to the sandbox; `holders` KYC'd."""
    vault = deploy(project.TBillVault, sandbox, asset, system.registry, system.stablecoin, "V", "V")
    for who in holders:
        send(vault.setAllowlisted, who, True, ref("KYC"), sender=sandbox.admin())
    return vault


# ====================================================================== vault inflation


def test_first_depositor_donation__attacker_loses_half_the_donation(
    project, system, sandbox, central_bank, mallory, alice
):
    """Attack: deposit 1 unit first, donate 100,000 to inflate the price. Defence: offset 6."""
    cash = system.cash
    vault = _fresh_vault(project, system, sandbox, cash, mallory, alice)
    for who in (mallory, alice):
        send(cash.approve, vault, MAX, sender=who)
    donation, victim = 100_000 * CASH, 1_000 * CASH
    send(cash.mint, mallory, donation + 1, sender=central_bank)
    send(vault.deposit, 1, mallory, sender=mallory)
    send(cash.transfer, vault, donation, sender=mallory)
    send(vault.deposit, victim, alice, sender=alice)

    attacker_shares = model_shares(1, 0, 0)
    victim_shares = model_shares(victim, donation + 1, attacker_shares)
    assert read(vault.balanceOf, alice) == victim_shares > 0
    nav, supply = donation + 1 + victim, attacker_shares + victim_shares
    victim_out = read(vault.previewRedeem, victim_shares)
    attacker_out = read(vault.previewRedeem, attacker_shares)
    assert victim_out == model_assets(victim_shares, nav, supply)
    assert attacker_out == model_assets(attacker_shares, nav, supply)
    assert (victim - victim_out) * 1_000 < victim  # the victim loses less than 0.1%
    assert ((donation + 1) - attacker_out) * 10_000 > donation * 4_999  # the attacker half


# ====================================================================== oracle


@pytest.mark.parametrize(
    "answer,age",
    [
        pytest.param(10**8, DAY + 1, id="stale"),
        pytest.param(10**8, -3_600, id="timestamp-in-future"),
        pytest.param(0, 0, id="zero"),
        pytest.param(-(10**8), 0, id="negative"),
        pytest.param(2**128, 0, id="above-uint128"),
    ],
)
def test_oracle_answer__stale_future_zero_negative_or_absurd__counts_zero(
    system, gold, gold_feed, deployer, minter, exchange, answer, age
):
    """Attack: mint against a bad feed answer. Defence: every valuation checks value and age,
    and an asset without a usable answer counts zero: the mint the gold would have backed is
    refused, naming the value without the gold (and the valuation itself never reverts)."""
    reserve = system.reserve
    gold_value = reserve.assetStatus(gold).haircutValueWad
    value, room = read(reserve.collateralValue), read(reserve.maxMintable)
    assert gold_value > 0 and room > 0
    now = ape.chain.blocks.head.timestamp
    send(gold_feed.set, answer, now - age, sender=deployer)
    assert read(reserve.collateralValue) == value - gold_value
    assert reserve.assetStatus(gold).usable is False
    assert reserve.assetStatus(gold).haircutValueWad == 0
    assert_reverts(
        "ReserveCollateralRatioTooLow",
        reserve.mint,
        exchange,
        room,
        ref("O-1"),
        by=minter,
        collateralValueWad=value - gold_value,
    )


@pytest.mark.parametrize(
    "answer,error",
    [
        pytest.param(111_000_000, "FeedDeviationTooLarge", id="out-of-band-up"),
        pytest.param(89_000_000, "FeedDeviationTooLarge", id="out-of-band-down"),
        pytest.param(0, "FeedInvalidAnswer", id="zero"),
        pytest.param(-1, "FeedInvalidAnswer", id="negative"),
    ],
)
def test_oracle_write__out_of_band_or_non_positive__refused_at_the_feed(
    system, reporter, answer, error
):
    """Attack: the reporter jumps the price >10% or to <= 0. Defence: the feed's write guard."""
    feed = system.feeds["SB30"]  # at 1.00; only the governor, after its delay, may force more
    expected = {"answer": answer}
    if error == "FeedDeviationTooLarge":
        bps = -(-abs(answer - 10**8) * 10_000 // 10**8)
        expected |= {"anchor": 10**8, "deviationBps": bps, "maxDeviationBps": 1_000}
    assert_reverts(error, feed.report, answer, by=reporter, **expected)


def test_feed_decimals_mismatch__value_follows_the_decimals_the_feed_declares(
    system, gold, gold_feed, deployer, governor, minter, exchange
):
    """Attack: a feed at other decimals than assumed. Defence: decimals() read per valuation."""
    reserve, manager = system.reserve, system.manager
    counted = reserve.assetStatus(gold).haircutValueWad
    assert counted == 100_000 * WAD * 9_000 // 10_000
    total = reserve.collateralValue()
    now = ape.chain.blocks.head.timestamp
    for decimals in (18, 6, 0):  # 1.00 at any precision counts the same
        send(gold_feed.setDecimals, decimals, sender=deployer)
        send(gold_feed.set, 10**decimals, now, sender=deployer)
        assert reserve.assetStatus(gold).haircutValueWad == counted
        assert reserve.collateralValue() == total
    # An 8-decimal answer under an 18-decimal declaration is worth 10^10 less, not more.
    send(gold_feed.setDecimals, 18, sender=deployer)
    send(gold_feed.set, 10**8, now, sender=deployer)
    assert reserve.assetStatus(gold).haircutValueWad == counted // 10**10
    too_much = reserve.maxMintable() + WAD
    assert_reverts(
        reserve.ReserveCollateralRatioTooLow, reserve.mint, exchange, too_much, ref("D-1"),
        by=minter, supplyAfter=system.stablecoin.totalSupply() + too_much,
    )  # fmt: skip
    # A feed of more than 36 decimals (scaling could overflow) is refused at listing.
    wide = deploy(ape.project.MockAggregator, 37)
    args = (gold, wide, DAY, 0, 10_000)
    data = schedule_now(manager, reserve, "setCollateral", *args, sender=governor)
    assert_reverts(
        reserve.ReserveParameterOutOfBounds, manager.execute, reserve, data, by=governor,
        name=b32("feedDecimals"), value=37, min=0, max=36,
    )  # fmt: skip


# ====================================================================== supply


def test_mint_bypassing_the_ratio__no_path_creates_supply_but_reserve_mint(
    system, accounts, minter, exchange, governor, mallory
):
    """Attack: create coins around the ratio check. Defence: msg.sender == reserve, exact ratio."""
    coin, reserve, manager = system.stablecoin, system.reserve, system.manager
    # Every state-changing function of the coin; only `mint` creates supply.
    assert {m.name for m in coin.contract_type.mutable_methods} == {
        "approve", "transfer", "transferFrom", "permit", "mint", "burnForRedemption",
        "burnFromTreasury", "freeze", "unfreeze", "seize", "pause", "unpause", "setReserve",
        "setAuthority",
    }  # fmt: skip
    source = (ROOT / "contracts/reserve/Reserve.sol").read_text()
    assert source.count("stablecoin.mint(") == 1  # called from Reserve.mint only
    for who in accounts[:17]:  # every role holder, the governor (admin) included
        assert_reverts(coin.StablecoinNotReserve, coin.mint, who, 1, by=who, caller=who.address)
    # Exactly at the ratio passes, one unit more reverts with the numbers.
    room = reserve.maxMintable()
    value, supply = reserve.collateralValue(), coin.totalSupply()
    assert revert_of(reserve.mint, exchange, room, ref("S-1"), by=minter) is None
    assert_reverts(
        reserve.ReserveCollateralRatioTooLow, reserve.mint, exchange, room + 1, ref("S-1"),
        by=minter, ratioWad=value * WAD // (supply + room + 1),
        minimumWad=reserve.minCollateralRatioWad(), collateralValueWad=value,
        supplyAfter=supply + room + 1,
    )  # fmt: skip
    # The admin, through the AccessManager, is not the reserve and cannot re-point it.
    mint = coin.mint.encode_input(mallory, 10**30)
    rewire = coin.setReserve.encode_input(mallory)
    send(
        manager.multicall,
        [manager.schedule.encode_input(coin, data, 0) for data in (mint, rewire)],
        sender=governor,
    )
    mine_at(ape.chain.pending_timestamp + DAY)
    assert_reverts(
        coin.StablecoinNotReserve, manager.execute, coin, mint, by=governor,
        caller=manager.address,
    )  # fmt: skip
    assert_reverts(
        coin.StablecoinReserveAlreadySet, manager.execute, coin, rewire, by=governor,
        reserve=reserve.address,
    )  # fmt: skip


# ====================================================================== governance


def test_role_escalation__no_holder_grants_itself_or_widens_its_powers(
    system, governor, minter, guardian, mallory
):
    """Attack: grant yourself a role or a wider function. Defence: admin-only, plus 2 rules."""
    manager, reserve, coin = system.manager, system.reserve, system.stablecoin
    unauthorized = manager.AccessManagerUnauthorizedAccount
    mint = function_signature_to_4byte_selector("mint(address,uint256,bytes32)")
    for role, who in [*system.holders.by_role().items(), (Role.MINTER, mallory)]:
        if role is Role.GOVERNOR:
            continue  # the admin: below
        me = {"by": who, "msgsender": who.address, "roleId": 0}
        assert_reverts(unauthorized, manager.grantRole, int(role), who, 0, **me)
        assert_reverts(
            unauthorized, manager.setTargetFunctionRole, reserve, [mint], 2**64 - 1, **me
        )
        assert_reverts(manager.SovereignAuthorityFixed, manager.updateAuthority, coin, who)
    grant = manager.grantRole.encode_input(int(Role.MINTER), mallory, 0)
    assert_reverts(unauthorized, manager.multicall, [grant], by=mallory, msgsender=mallory.address)
    assert_reverts(
        reserve.AccessManagedUnauthorized, reserve.setMinterAllowance, minter, 10**30,
        by=minter, caller=minter.address,
    )  # fmt: skip
    assert_reverts(
        coin.AccessManagedUnauthorized, coin.unpause, Pause.MINT, by=guardian,
        caller=guardian.address,
    )  # fmt: skip
    allowance = reserve.setMinterAllowance.encode_input(minter, 10**30)
    assert_reverts(
        manager.AccessManagerUnauthorizedCall, manager.execute, reserve, allowance, by=minter,
        caller=minter.address, target=reserve.address,
    )  # fmt: skip
    assert_reverts(
        manager.AccessManagerUnauthorizedCall, manager.schedule, reserve, allowance, 0,
        by=guardian, caller=guardian.address,
    )  # fmt: skip
    # The admin itself: no second admin, no minter that also reports prices, no operating
    # role for its own account; each refused when scheduled, not a day later.
    cases = [
        (manager.grantRole.encode_input(0, mallory, 0), "SovereignAdminTransferRequired", {}),
        (
            manager.grantRole.encode_input(int(Role.ORACLE_REPORTER), minter, 0),
            "SovereignConflictingRoles",
            {"account": minter.address, "heldRole": int(Role.MINTER),
             "requestedRole": int(Role.ORACLE_REPORTER)},
        ),
        (
            manager.grantRole.encode_input(int(Role.MINTER), governor, 0),
            "SovereignConflictingRoles",
            {"account": governor.address, "heldRole": 0, "requestedRole": int(Role.MINTER)},
        ),
    ]  # fmt: skip
    for data, error, inputs in cases:
        assert_reverts(error, manager.schedule, manager, data, 0, by=governor, **inputs)


def test_admin_lockout__admin_never_removed_nor_handed_to_an_account_that_cannot_accept(
    system, governor, mallory
):
    """Attack: lose the admin (renounce, revoke, lock, bad successor). Defence: 2-step only."""
    manager, coin = system.manager, system.stablecoin
    assert_reverts(
        manager.SovereignAdminLockout, manager.renounceRole, 0, governor, by=governor,
        account=governor.address,
    )  # fmt: skip
    ops = {
        "revoke": manager.revokeRole.encode_input(0, governor),
        "lock-role": manager.setRoleAdmin.encode_input(0, int(Role.GOVERNOR)),
        "to-contract": manager.beginAdminTransfer.encode_input(coin, DAY),
    }
    # A transfer to zero, to itself or without a delay is refused when scheduled.
    for data, error, inputs in (
        (manager.beginAdminTransfer.encode_input(ZERO, DAY), "SovereignInvalidAdmin",
         {"proposed": ZERO}),
        (manager.beginAdminTransfer.encode_input(governor, DAY), "SovereignInvalidAdmin",
         {"proposed": governor.address}),
        (manager.beginAdminTransfer.encode_input(mallory, 0), "SovereignDelayTooShort",
         {"roleId": 0, "executionDelay": 0}),
    ):  # fmt: skip
        assert_reverts(error, manager.schedule, manager, data, 0, by=governor, **inputs)
    send(
        manager.multicall,
        [manager.schedule.encode_input(manager, data, 0) for data in ops.values()],
        sender=governor,
    )
    mine_at(ape.chain.pending_timestamp + DAY)
    execute = (manager.execute, manager)
    assert_reverts(
        manager.SovereignAdminLockout, *execute, ops["revoke"], by=governor,
        account=governor.address,
    )  # fmt: skip
    assert_reverts(
        manager.SovereignFixedRoleAdmin, *execute, ops["lock-role"], by=governor, roleId=0
    )
    # A successor that can never accept (a contract without the call) changes nothing.
    send(manager.execute, manager, ops["to-contract"], sender=governor)
    assert manager.pendingAdmin() == coin.address
    assert_reverts(
        manager.SovereignNotPendingAdmin, manager.acceptAdminTransfer, by=mallory,
        caller=mallory.address, pendingAdmin=coin.address,
    )  # fmt: skip
    assert manager.admin() == governor.address
    assert manager.hasRole(0, governor)[0] is True  # still the admin, free to propose again


# ====================================================================== instructions, permits


def test_instruction_replay__every_mint_burn_and_redeem_id_is_single_use(
    system, minter, burner, exchange
):
    """Attack: replay a mint, burn or redemption id. Defence: ids recorded, zero refused."""
    reserve = system.reserve
    assert reserve.instructionExecuted(ref("W-MINT")) and reserve.instructionExecuted(ref("W-BURN"))
    assert reserve.redemptionExecuted(exchange, ref("W-REDEEM"))
    replayed = reserve.ReserveInstructionAlreadyExecuted
    for used in ("W-MINT", "W-BURN"):  # mint and burn ids share one namespace
        assert_reverts(
            replayed, reserve.mint, exchange, WAD, ref(used), by=minter, instructionId=ref(used)
        )
        assert_reverts(replayed, reserve.burn, WAD, ref(used), by=burner, instructionId=ref(used))
    assert_reverts(
        replayed, reserve.redeem, WAD, ref("W-REDEEM"), by=exchange,
        instructionId=ref("W-REDEEM"),
    )  # fmt: skip
    zero = b"\0" * 32
    for method, args, who in (
        (reserve.mint, (exchange, WAD, zero), minter),
        (reserve.burn, (WAD, zero), burner),
        (reserve.redeem, (WAD, zero), exchange),
    ):
        assert_reverts(reserve.ReserveInvalidInstructionId, method, *args, by=who)


@pytest.mark.parametrize("name,other", [("stablecoin", "cash"), ("cash", "stablecoin")])
def test_permit_replay__used_expired_or_foreign_domain_signature_refused(
    system, alice, bob, name, other
):
    """Attack: replay a permit, or use one of another chain/contract. Defence: EIP-712 + nonce."""
    token, foreign = getattr(system, name), getattr(system, other)
    deadline = ape.chain.pending_timestamp + 3_600
    used = sign_permit(token, alice, bob.address, 5, deadline)
    send(token.permit, alice, bob, 5, deadline, *used, sender=bob)
    assert token.allowance(alice, bob) == 5 and token.nonces(alice) == 1
    for signature in (
        used,  # replay
        sign_permit(token, alice, bob.address, 5, deadline, chain_id=ape.chain.chain_id + 1),
        sign_permit(foreign, alice, bob.address, 5, deadline, nonce=1, name=token.name()),
    ):
        assert_reverts(
            token.ERC2612InvalidSigner, token.permit, alice, bob, 5, deadline, *signature,
            by=bob, owner=alice.address,
        )  # fmt: skip
    past = ape.chain.blocks.head.timestamp - 1
    expired = sign_permit(token, alice, bob.address, 5, past)
    assert_reverts(
        token.ERC2612ExpiredSignature, token.permit, alice, bob, 5, past, *expired, by=bob,
        deadline=past,
    )  # fmt: skip


# ====================================================================== compliance


@pytest.mark.parametrize("frozen_party", ["owner", "spender"])
def test_frozen_account__cannot_spend_or_be_spent_through_an_approved_spender(
    system, compliance, alice, bob, carol, frozen_party
):
    """Attack: move a frozen party's coins or shares via an allowance. Defence: freeze checks."""
    coin, vault = system.stablecoin, system.vault
    frozen = alice if frozen_party == "owner" else bob  # alice approved bob for everything
    send(coin.freeze, frozen, ref("AML-1"), sender=compliance)
    named = {"account": frozen.address}
    assert_reverts(
        coin.StablecoinAccountFrozen, coin.transferFrom, alice, carol, WAD, by=bob, **named
    )
    assert_reverts(vault.VaultAccountFrozen, vault.withdraw, CASH, carol, alice, by=bob, **named)
    assert_reverts(vault.VaultAccountFrozen, vault.redeem, SHARE, carol, alice, by=bob, **named)
    assert_reverts(vault.VaultAccountFrozen, vault.transferFrom, alice, bob, SHARE, by=bob, **named)


def test_frozen_spender__cannot_move_approved_vault_shares_to_a_third_holder(
    system, compliance, alice, bob, carol
):
    """Attack: a frozen spender moves approved vault shares on. Defence: _spendAllowance check."""
    vault, coin = system.vault, system.stablecoin
    send(vault.setAllowlisted, carol, True, ref("KYC"), sender=compliance)
    send(coin.freeze, bob, ref("AML-2"), sender=compliance)
    assert_reverts(
        vault.VaultAccountFrozen, vault.transferFrom, alice, carol, SHARE, by=bob,
        account=bob.address,
    )  # fmt: skip
    # Nor can a frozen account grant or be granted a new allowance on shares.
    assert_reverts(
        vault.VaultAccountFrozen, vault.approve, carol, SHARE, by=bob, account=bob.address
    )
    assert_reverts(
        vault.VaultAccountFrozen, vault.approve, bob, SHARE, by=alice, account=bob.address
    )


def test_seize__by_anyone_but_compliance_or_from_a_free_account__refused(
    system, accounts, compliance, alice, bob, governor
):
    """Attack: seize without the role, or from an unfrozen holder. Defence: role + frozen source."""
    coin, manager = system.stablecoin, system.manager
    send(coin.freeze, alice, ref("AML-3"), sender=compliance)
    for who in accounts[:17]:
        if who != compliance:
            assert_reverts(
                coin.AccessManagedUnauthorized, coin.seize, alice, who, WAD, ref("C-1"), by=who,
                caller=who.address,
            )  # fmt: skip
    seize = coin.seize.encode_input(alice, governor, WAD, ref("C-1"))
    assert_reverts(
        manager.AccessManagerUnauthorizedCall, manager.execute, coin, seize, by=governor,
        caller=governor.address,
    )  # fmt: skip
    assert_reverts(
        coin.StablecoinAccountNotFrozen, coin.seize, bob, compliance, 1, ref("C-1"),
        by=compliance, account=bob.address,
    )  # fmt: skip
    assert revert_of(coin.seize, alice, bob, WAD, ref("C-1"), by=compliance) is None  # lawful


# ====================================================================== pauses


def _value_paths(system, minter, burner, exchange, alice, bob, carol):
    """Every entry point that moves value: (contract, flag that stops it, method, args,
    caller). None: never paused, on purpose (a burn only raises the ratio)."""
    coin, reserve, vault = system.stablecoin, system.reserve, system.vault
    return [
        ("stablecoin", Pause.MINT, reserve.mint, (exchange, WAD, ref("P-1")), minter),
        ("stablecoin", Pause.REDEEM, reserve.redeem, (WAD, ref("P-1")), exchange),
        ("stablecoin", Pause.TRANSFER, coin.transfer, (carol, WAD), alice),
        ("stablecoin", Pause.TRANSFER, coin.transferFrom, (alice, carol, WAD), bob),
        ("stablecoin", None, reserve.burn, (WAD, ref("P-1")), burner),
        ("vault", VaultPause.DEPOSIT, vault.deposit, (CASH, alice), alice),
        ("vault", VaultPause.DEPOSIT, vault.mint, (SHARE, alice), alice),
        ("vault", VaultPause.WITHDRAW, vault.withdraw, (CASH, alice, alice), alice),
        ("vault", VaultPause.WITHDRAW, vault.redeem, (SHARE, alice, alice), alice),
        ("vault", VaultPause.WITHDRAW, vault.withdraw, (CASH, carol, alice), bob),  # as spender
        ("vault", VaultPause.WITHDRAW, vault.redeem, (SHARE, carol, alice), bob),
    ]


@pytest.mark.parametrize(
    "contract,flags",
    [
        ("stablecoin", Pause.MINT),
        ("stablecoin", Pause.REDEEM),
        ("stablecoin", Pause.TRANSFER),
        ("stablecoin", Pause.MINT | Pause.REDEEM | Pause.TRANSFER),
        ("vault", VaultPause.DEPOSIT),
        ("vault", VaultPause.WITHDRAW),
    ],
)
def test_pause_bypass__every_value_moving_entry_point_obeys_its_flag(
    system, guardian, minter, burner, exchange, alice, bob, carol, contract, flags
):
    """Attack: move value past a pause via another entry point. Defence: one check per path."""
    target = getattr(system, contract)
    send(target.pause, flags, sender=guardian)
    error = "StablecoinPaused" if contract == "stablecoin" else "VaultPaused"
    for owner, flag, method, args, caller in _value_paths(
        system, minter, burner, exchange, alice, bob, carol
    ):
        if owner == contract and flag is not None and flags & flag:
            assert_reverts(error, method, *args, by=caller, flag=flag)
        else:  # a path these flags do not name goes through
            assert revert_of(method, *args, by=caller) is None, method


# ====================================================================== hostile tokens


@pytest.fixture
def hostile_vault(project, system, sandbox, deployer, alice):
    """A vault over a cash token that calls back into the vault from its transfers;
    alice holds 100 cash of shares and 1,000 cash more, approved."""
    token = deploy(project.ReentrantToken, 6)
    vault = _fresh_vault(project, system, sandbox, token, alice)
    send(token.mint, alice, 1_100 * CASH, sender=deployer)
    send(token.approve, vault, MAX, sender=alice)
    send(vault.deposit, 100 * CASH, alice, sender=alice)
    return token, vault


def test_reentrancy__hostile_cash_token_finds_every_vault_entry_point_closed(hostile_vault, alice):
    """Attack: re-enter the vault from a cash transfer. Defence: nonReentrant on every entry."""
    token, vault = hostile_vault
    reentries = {
        "deposit": vault.deposit.encode_input(CASH, alice),
        "mint": vault.mint.encode_input(SHARE, alice),
        "withdraw": vault.withdraw.encode_input(1, alice, alice),
        "redeem": vault.redeem.encode_input(1, alice, alice),
        "sync": vault.sync.encode_input(),
    }
    outer = [(vault.deposit, (CASH, alice)), (vault.redeem, (SHARE, alice, alice))]
    for payload in reentries.values():
        send(token.arm, vault, payload, sender=alice)
        for method, args in outer:  # the cash moving in, and moving out
            assert_reverts(vault.ReentrancyGuardReentrantCall, method, *args, by=alice)


def test_reentrancy__hostile_collateral_cannot_redeem_during_a_collateral_withdrawal(
    project, system, deployer, reserve_manager, exchange, bob
):
    """Attack: re-enter redeem between collateral out and ratio check. Defence: nonReentrant."""
    reserve = system.reserve
    token = deploy(project.ReentrantToken, 18)
    send(token.mint, reserve, 10 * WAD, sender=deployer)
    send(token.arm, reserve, reserve.redeem.encode_input(WAD, ref("R-IN")), sender=deployer)
    assert_reverts(
        reserve.ReentrancyGuardReentrantCall, reserve.withdrawCollateral, token, bob, WAD,
        by=reserve_manager,
    )  # fmt: skip
    assert revert_of(reserve.redeem, WAD, ref("R-IN"), by=exchange) is None  # fine outside


def test_reentrancy__views_read_mid_deposit_see_the_cash_before_the_shares(hostile_vault, alice):
    """Attack: read-only reentrancy on the share price. Defence: none on views (known limit)."""
    # Measured, not defended: a hooked cash token reading convertToAssets between the
    # deposit's cash arriving and its shares being minted sees the price inflated by
    # exactly assets / NAV; no entry point is reachable to act on it (the test above).
    # The settlement cash (a CBDC without hooks) is why this is safe; a hooked token is not.
    token, vault = hostile_vault
    before = read(vault.convertToAssets, SHARE)
    nav, supply = read(vault.totalAssets), read(vault.totalSupply)
    send(token.arm, vault, vault.convertToAssets.encode_input(SHARE), sender=alice)
    send(vault.deposit, 1_000 * CASH, alice, sender=alice)
    (mid,) = decode(["uint256"], token.lastReturn())
    assert mid == model_assets(SHARE, nav + 1_000 * CASH, supply) > before
    assert read(vault.convertToAssets, SHARE) == before  # consistent again once done


def test_fee_on_transfer_cash__deposit_and_mint_refused(project, system, sandbox, alice):
    """Attack: a cash token skimming 1% gets full shares. Defence: received cash is measured."""
    fee_cash = deploy(project.MockFeeToken)
    vault = _fresh_vault(project, system, sandbox, fee_cash, alice)
    send(fee_cash.mint, alice, 1_000 * CASH, sender=alice)
    send(fee_cash.approve, vault, MAX, sender=alice)
    short = {"expected": 100 * CASH, "received": 99 * CASH}
    assert_reverts(
        vault.VaultCashDeliveryMismatch, vault.deposit, 100 * CASH, alice, by=alice, **short
    )
    assert_reverts(
        vault.VaultCashDeliveryMismatch, vault.mint, 100 * SHARE, alice, by=alice, **short
    )


def test_six_decimal_cash_against_18_decimal_collateral__valued_and_paid_exactly(
    system, bond, exchange
):
    """Attack: exploit the 10^12 scale between cash and coin. Defence: exact scaling, no dust."""
    reserve, coin, cash = system.reserve, system.stablecoin, system.cash
    unit = reserve.cashUnit()
    assert unit == 10**12
    cash_held, bonds_held = cash.balanceOf(reserve), bond.balanceOf(reserve)
    assert reserve.assetStatus(cash).haircutValueWad == cash_held * unit  # 1.00, no haircut
    assert reserve.assetStatus(bond).haircutValueWad == bonds_held * 9_800 // 10_000
    assert_reverts(
        reserve.ReserveAmountBelowCashUnit, reserve.redeem, unit - 1, ref("X-1"), by=exchange,
        amount=unit - 1, unit=unit,
    )  # fmt: skip
    coins, paid = coin.balanceOf(exchange), cash.balanceOf(exchange)
    send(reserve.redeem, 5 * unit + unit - 1, ref("X-2"), sender=exchange)  # 5 units and dust
    assert coins - coin.balanceOf(exchange) == 5 * unit  # the dust stays with the holder
    assert cash.balanceOf(exchange) - paid == 5
    assert cash.balanceOf(reserve) == cash_held - 5


# ====================================================================== T-bills


@pytest.fixture
def bill(system, debt_office, central_bank, alice):
    """alice holds 1,000 of a 91-day bill bought at 0.98; its pool is fully funded."""
    series = new_series(system, debt_office, "A-91", 91)
    send(system.cash.approve, series, MAX, sender=alice)
    send(series.buy, 1_000 * CASH, 980_000, sender=alice)
    send(system.cash.mint, series, 1_000 * CASH, sender=central_bank)
    return series


def test_tbill_redemption_before_maturity__refused_to_the_second(bill, alice):
    """Attack: redeem a bill at face before maturity. Defence: now >= maturity, to the second."""
    maturity = bill.maturity()
    mine_at(maturity - 1)
    assert read(bill.redemptionValue, 1_000 * CASH) == 0
    assert_reverts(
        bill.TBillNotMatured, bill.redeem, 1_000 * CASH, by=alice, nowTs=maturity - 1,
        maturity=maturity,
    )  # fmt: skip
    assert_reverts(
        bill.TBillInGracePeriod,
        bill.markDefault,
        by=alice,
        nowTs=maturity - 1,
        graceEnd=maturity + GRACE_PERIOD,
    )  # fmt: skip  (nor default)
    mine_at(maturity)
    assert read(bill.redeem, 1_000 * CASH, by=alice) == 1_000 * CASH


def test_tbill_double_redemption__second_attempt_finds_no_balance(bill, system, alice):
    """Attack: redeem the same bills twice at maturity. Defence: burned before paid."""
    cash = system.cash
    mine_at(bill.maturity())
    before = cash.balanceOf(alice)
    send(bill.redeem, 1_000 * CASH, sender=alice)
    assert cash.balanceOf(alice) - before == 1_000 * CASH
    assert bill.pool() == 0 and bill.totalSupply() == 0
    assert_reverts(
        bill.ERC20InsufficientBalance, bill.redeem, 1_000 * CASH, by=alice,
        sender=alice.address, balance=0, needed=1_000 * CASH,
    )  # fmt: skip


def test_default_not_in_nav__short_pool_priced_pro_rata_from_the_maturity_second(
    system, debt_office, vault_manager, central_bank, alice, mallory
):
    """Attack: exit at the pre-default price. Defence: a short pool is priced pro rata at once."""
    # From its maturity second a lot of a short series is valued at its pro-rata share of
    # the pool in the exit NAV, default recorded or not; the series pays nobody during the
    # grace period; recording the default after it changes the exit NAV no more, every exit
    # prices at the new NAV, and the lot cannot be redeemed twice.
    vault, cash = system.vault, system.cash
    series = new_series(system, debt_office, "D-91", 91)
    send(vault.buy, series, 40_000 * CASH, 980_000, sender=vault_manager)
    send(cash.mint, series, 20_000 * CASH, sender=central_bank)  # half the face
    idle, maturity = vault.idleCash(), series.maturity()
    mine_at(maturity - 1)
    old_nav = read(vault.totalAssets)
    assert old_nav > idle + 39_900 * CASH  # accreted to nearly face
    mine_at(maturity)
    new_nav = read(vault.totalAssets)
    assert new_nav == idle + 20_000 * CASH  # pro rata at once, before any markDefault
    half, supply = read(vault.balanceOf, alice) // 2, read(vault.totalSupply)
    exit_value = read(vault.redeem, half, alice, alice, by=alice)
    assert exit_value == model_assets(half, new_nav, supply) < model_assets(half, old_nav, supply)
    assert_reverts(
        series.TBillRepaymentShort, vault.redeemMatured, 0, by=vault_manager,
        owed=40_000 * CASH, available=20_000 * CASH, graceEnd=maturity + GRACE_PERIOD,
    )  # fmt: skip
    mine_at(maturity + GRACE_PERIOD)
    send(series.markDefault, sender=mallory)
    assert read(vault.totalAssets) == new_nav == read(vault.entryAssets)
    send(vault.redeemMatured, 0, sender=vault_manager)
    assert read(vault.totalAssets) == new_nav == read(vault.idleCash)
    assert_reverts(vault.VaultNoMaturedLot, vault.redeemMatured, 0, by=vault_manager, index=0)


def test_markdown_sandwich__loss_shifted_to_stayers_is_exactly_exit_times_markdown(
    system, debt_office, vault_manager, reporter, alice, bob
):
    """Attack: exit just before a markdown. Defence: none beyond idle cash; exact bound."""
    # A holder who sees a markdown coming exits first (buying back after pays the entry
    # NAV, which ignores the markdown, so not cheaper),
    # shifting its share of the loss onto those who stay. Nothing on-chain stops it but
    # the exit limit (idle cash: bills are not sold early); the loss shifted is exactly
    # exit x markdown loss / NAV, so at most idle cash x 50% x the bill's share of NAV.
    vault = system.vault
    send(vault.deposit, 100_000 * CASH, bob, sender=bob)
    series = new_series(system, debt_office, "M-182", 182)
    send(vault.buy, series, 100_000 * CASH, 980_000, sender=vault_manager)
    at = ape.chain.pending_timestamp + 30 * DAY  # every step below at this one time

    def bob_after_markdown(alice_exits_first: bool):
        with isolated():
            mine_at(at)
            idle, exited = read(vault.idleCash), 0
            if alice_exits_first:
                exited = read(vault.maxWithdraw, alice)
                assert exited == read(vault.convertToAssets, read(vault.balanceOf, alice))
                ape.chain.pending_timestamp = at
                send(vault.withdraw, exited, alice, alice, sender=alice)
            nav = read(vault.totalAssets) + exited
            ape.chain.pending_timestamp = at
            send(vault.setMarkdown, series, 5_000, sender=reporter)
            loss = nav - exited - read(vault.totalAssets)
            return read(vault.previewRedeem, read(vault.balanceOf, bob)), exited, idle, nav, loss

    stayed, _, _, _, loss_alone = bob_after_markdown(False)
    sandwiched, exited, idle, nav, loss = bob_after_markdown(True)
    assert loss == loss_alone > 0
    assert 0 < exited <= idle
    assert abs((stayed - sandwiched) - exited * loss // nav) <= 2  # rounding units only


def test_rounding_drain__many_tiny_withdrawals_cost_the_attacker(system, probe, central_bank):
    """Attack: drain by rounding with 1-unit exits. Defence: rounding always favours the vault."""
    vault, cash = system.vault, system.cash
    send(cash.mint, vault, 12_345_678, sender=central_bank)  # NAV per share no longer 1
    send(probe.deposit, 10_000 * CASH, probe, sender=central_bank)
    nav, supply = read(vault.totalAssets), read(vault.totalSupply)
    burned, received = read(probe.withdrawRepeatedly, 1, 50)  # 50 withdrawals of 1 unit
    assert received == 50
    assert burned >= read(vault.previewWithdraw, 50) >= model_shares(50, nav, supply)
    assert burned == 50 * model_shares(1, nav, supply, ceil=True)
    burned, received = read(probe.redeemRepeatedly, 1, 50)  # 50 redemptions of 1 share
    assert burned == 50 and received == 0  # a share is worth less than a unit: paid 0


def test_auction_reprice_front_run__buy_capped_by_its_price_limit(
    system, debt_office, vault_manager
):
    """Attack: re-price the auction between quote and buy. Defence: the buyer's price limit."""
    vault, registry = system.vault, system.registry
    series = new_series(system, debt_office, "P-91", 91, price=980_000)
    send(registry.openAuction, series, 990_000, 10**12, sender=debt_office)
    assert_reverts(
        series.TBillPriceAboveLimit, vault.buy, series, 1_000 * CASH, 980_000, by=vault_manager,
        price=990_000, maxPrice=980_000,
    )  # fmt: skip


# ====================================================================== upgrades


EIP1967_SLOTS = (
    0x360894A13BA1A3210667C828492DB98DCA3E2076CC3735A920A3CA505D382BBC,  # implementation
    0xB53127684A568B3173AE13B9F8A6016E243E63B6E8EE1178D6A717850B5D6103,  # admin
    0xA3F0AD74E5423AEBFD80D3EF4346578335A9A72AEAEE59FF6CB3582B35133D50,  # beacon
)
DELEGATECALL, CALLCODE, SELFDESTRUCT = 0xF4, 0xF2, 0xFF


def _opcodes(code: bytes) -> set[int]:
    """The opcodes of runtime code (PUSH data skipped, the CBOR metadata cut off)."""
    code = code[: len(code) - int.from_bytes(code[-2:], "big") - 2]
    seen, i = set(), 0
    while i < len(code):
        op = code[i]
        seen.add(op)
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return seen


def test_upgrade__there_is_no_upgrade_path(system, mallory):
    """Attack: upgrade the code (proxy, delegatecall, selfdestruct). Defence: there is no path."""
    # No contract is a proxy (EIP-1967 slots empty) or has an upgrade function; none but
    # the AccessManager contains DELEGATECALL (its Multicall, to itself: the sender is kept,
    # see the role-escalation test) and none SELFDESTRUCT or CALLCODE; the manager only
    # maps selectors to roles, it has no function that takes code, and no contract can be
    # moved to another manager (updateAuthority always reverts).
    provider = ape.chain.provider
    contracts = {
        "manager": system.manager, "stablecoin": system.stablecoin, "reserve": system.reserve,
        "cash": system.cash, "registry": system.registry, "vault": system.vault,
        "vault_feed": system.vault_feed, "feed": system.feeds["SB30"],
    }  # fmt: skip
    upgrade_call = to_hex(
        function_signature_to_4byte_selector("upgradeToAndCall(address,bytes)")
        + bytes(12) + bytes.fromhex(mallory.address[2:]) + (64).to_bytes(32, "big") + bytes(32)
    )  # fmt: skip
    for name, contract in contracts.items():
        functions = {m.name.lower() for m in contract.contract_type.methods}
        assert not {f for f in functions if "upgrade" in f or "implementation" in f}, name
        ops = _opcodes(bytes(provider.get_code(contract.address)))
        assert SELFDESTRUCT not in ops and CALLCODE not in ops, name
        assert (DELEGATECALL in ops) == (name == "manager"), name
        for slot in EIP1967_SLOTS:
            assert int.from_bytes(provider.get_storage(contract.address, slot), "big") == 0
        response = provider.web3.provider.make_request(
            "eth_call", [{"to": contract.address, "data": upgrade_call}, "latest"]
        )
        assert "error" in response, name  # no such function, and no fallback
    series = bytes(ape.project.TBillSeries.contract_type.runtime_bytecode.to_bytes())
    assert not {DELEGATECALL, CALLCODE, SELFDESTRUCT} & _opcodes(series)
    assert {m.name for m in system.manager.contract_type.mutable_methods} == {
        "acceptAdminTransfer",
        "beginAdminTransfer",
        "cancel",
        "cancelAdminTransfer",
        "consumeScheduledOp",
        "execute",
        "grantRole",
        "labelRole",
        "multicall",
        "renounceRole",
        "revokeRole",
        "schedule",
        "setGrantDelay",
        "setRoleAdmin",
        "setRoleGuardian",
        "setTargetAdminDelay",
        "setTargetClosed",
        "setTargetFunctionRole",
    }  # fmt: skip  (updateAuthority is pure: it always reverts, no contract ever moves)
    assert_reverts(
        system.manager.SovereignAuthorityFixed, system.manager.updateAuthority,
        system.reserve, mallory, by=system.holders.governor, target=system.reserve.address,
    )  # fmt: skip
