"""SovereignStablecoin: supply only through the reserve, AML freeze and seizure,
granular pauses, EIP-2612 permit."""

import ape
import pytest

from sovereign.pauses import Pause
from sovereign.permit import sign_permit
from sovereign.units import WAD
from tests.utils import ref


@pytest.fixture
def holders_funded(minted, coin, exchange, alice, bob):
    """alice and bob hold 1,000 SSHL each, bought from the exchange."""
    coin.transfer(alice, 1_000 * WAD, sender=exchange)
    coin.transfer(bob, 1_000 * WAD, sender=exchange)
    return minted


@pytest.fixture
def frozen_alice(holders_funded, coin, compliance, alice):
    coin.freeze(alice, ref("AML-2026-001"), sender=compliance)
    return alice


def test_metadata(coin):
    assert coin.decimals() == 18
    assert coin.symbol() == "SSHL"


# ------------------------------------------------------------------ supply only through the reserve


@pytest.mark.parametrize(
    "method,args",
    [
        ("mint", lambda who: (who, 1)),
        ("burnForRedemption", lambda who: (who, 1)),
        ("burnFromTreasury", lambda who: (who, 1)),
    ],
)
def test_supply_functions__anyone_but_reserve__revert(
    system, coin, governor, minter, mallory, method, args
):
    # The governor, the minter and an outsider here; every account and the manager
    # in tests/audit/test_attacks.py (mint bypassing the ratio).
    for who in (governor, minter, mallory):
        with ape.reverts(coin.StablecoinNotReserve, caller=who.address):
            getattr(coin, method)(*args(who), sender=who)


def test_set_reserve__only_once(system, gov, coin, reserve):
    assert coin.reserve() == reserve.address
    with ape.reverts(coin.StablecoinReserveAlreadySet, reserve=reserve.address):
        gov(coin, "setReserve", reserve)


# ------------------------------------------------------------------ freeze


def test_freeze__emits_case_reference(holders_funded, coin, compliance, alice):
    receipt = coin.freeze(alice, ref("AML-2026-001"), sender=compliance)
    assert coin.frozen(alice)
    assert receipt.events == [coin.AccountFrozen(alice, ref("AML-2026-001"))]
    with ape.reverts(coin.StablecoinAccountFrozen, account=alice.address):
        coin.freeze(alice, ref("AML-2026-001"), sender=compliance)


def test_freeze__zero_address_or_reserve__reverts(system, coin, reserve, compliance):
    for target in ("0x0000000000000000000000000000000000000000", reserve.address):
        with ape.reverts(coin.StablecoinCannotFreeze, account=target):
            coin.freeze(target, ref("X"), sender=compliance)


def test_frozen__cannot_send(frozen_alice, coin, bob):
    with ape.reverts(coin.StablecoinAccountFrozen, account=frozen_alice.address):
        coin.transfer(bob, 1, sender=frozen_alice)


def test_frozen__cannot_receive(frozen_alice, coin, bob):
    with ape.reverts(coin.StablecoinAccountFrozen, account=frozen_alice.address):
        coin.transfer(frozen_alice, 1, sender=bob)


def test_frozen__cannot_approve_or_be_approved(frozen_alice, coin, bob):
    with ape.reverts(coin.StablecoinAccountFrozen, account=frozen_alice.address):
        coin.approve(bob, 1, sender=frozen_alice)
    with ape.reverts(coin.StablecoinAccountFrozen, account=frozen_alice.address):
        coin.approve(frozen_alice, 1, sender=bob)


def test_frozen__cannot_be_spent_from_by_approved_spender(
    holders_funded, coin, compliance, alice, bob
):
    coin.approve(bob, 2**256 - 1, sender=alice)  # infinite: skips the allowance update
    coin.freeze(alice, ref("AML-1"), sender=compliance)
    with ape.reverts(coin.StablecoinAccountFrozen, account=alice.address):
        coin.transferFrom(alice, bob, 1, sender=bob)


def test_frozen_spender__cannot_spend_infinite_allowance(
    holders_funded, coin, compliance, alice, bob, mallory
):
    coin.approve(bob, 2**256 - 1, sender=alice)
    coin.freeze(bob, ref("AML-2"), sender=compliance)
    with ape.reverts(coin.StablecoinAccountFrozen, account=bob.address):
        coin.transferFrom(alice, mallory, 1, sender=bob)


def test_frozen__cannot_permit(frozen_alice, coin, bob):
    deadline = ape.chain.pending_timestamp + 3_600
    v, r, s = sign_permit(coin, frozen_alice, bob.address, 5, deadline)
    with ape.reverts(coin.StablecoinAccountFrozen, account=frozen_alice.address):
        coin.permit(frozen_alice, bob, 5, deadline, v, r, s, sender=bob)


def test_frozen__cannot_redeem(minted, coin, reserve, compliance, exchange):
    coin.freeze(exchange, ref("AML-3"), sender=compliance)
    with ape.reverts(coin.StablecoinAccountFrozen, account=exchange.address):
        reserve.redeem(WAD, ref("R-1"), sender=exchange)


def test_unfreeze__restores_and_emits(frozen_alice, coin, compliance, bob):
    receipt = coin.unfreeze(frozen_alice, ref("AML-2026-001"), sender=compliance)
    assert receipt.events == [coin.AccountUnfrozen(frozen_alice, ref("AML-2026-001"))]
    coin.transfer(bob, 1, sender=frozen_alice)
    with ape.reverts(coin.StablecoinAccountNotFrozen, account=bob.address):
        coin.unfreeze(bob, ref("X"), sender=compliance)


# ------------------------------------------------------------------ seizure


def test_seize__moves_frozen_balance_with_case_reference(frozen_alice, coin, compliance, bob):
    receipt = coin.seize(frozen_alice, bob, 400 * WAD, ref("COURT-77"), sender=compliance)
    assert coin.balanceOf(frozen_alice) == 600 * WAD
    assert coin.balanceOf(bob) == 1_400 * WAD
    assert receipt.events.filter(coin.Seized) == [
        coin.Seized(frozen_alice, bob, 400 * WAD, ref("COURT-77"))
    ]


def test_seize__free_account__reverts(holders_funded, coin, compliance, alice, bob):
    with ape.reverts(coin.StablecoinAccountNotFrozen, account=alice.address):
        coin.seize(alice, bob, 1, ref("COURT-1"), sender=compliance)


def test_seize__to_frozen_zero_or_nothing__reverts(frozen_alice, coin, compliance, bob):
    coin.freeze(bob, ref("AML-9"), sender=compliance)
    with ape.reverts(coin.StablecoinAccountFrozen, account=bob.address):
        coin.seize(frozen_alice, bob, 1, ref("COURT-1"), sender=compliance)
    zero = "0x0000000000000000000000000000000000000000"
    with ape.reverts(coin.StablecoinInvalidSeizure):
        coin.seize(frozen_alice, zero, 1, ref("COURT-1"), sender=compliance)
    with ape.reverts(coin.StablecoinInvalidSeizure):
        coin.seize(frozen_alice, compliance, 0, ref("COURT-1"), sender=compliance)


def test_seize__works_while_transfers_paused(frozen_alice, coin, compliance, guardian, bob):
    coin.pause(Pause.TRANSFER, sender=guardian)
    coin.seize(frozen_alice, bob, WAD, ref("COURT-2"), sender=compliance)
    assert coin.balanceOf(bob) == 1_001 * WAD


# ------------------------------------------------------------------ pauses


def _try_paths(coin, reserve, minter, exchange, alice, bob):
    """Attempt mint, redeem and transfer; return which succeeded."""
    done = {}
    for name, action in (
        ("mint", lambda: reserve.mint(exchange, WAD, ref("P-MINT"), sender=minter)),
        ("redeem", lambda: reserve.redeem(WAD, ref("P-REDEEM"), sender=exchange)),
        ("transfer", lambda: coin.transfer(bob, WAD, sender=alice)),
    ):
        try:
            action()
            done[name] = True
        except ape.exceptions.ContractLogicError as err:
            assert type(err).__name__ == "StablecoinPaused", err
            done[name] = False
    return done


@pytest.mark.parametrize(
    "flag,blocked",
    [
        (Pause.MINT, "mint"),
        (Pause.REDEEM, "redeem"),
        (Pause.TRANSFER, "transfer"),
    ],
)
def test_each_pause_blocks_its_path_and_only_its_path(
    holders_funded, coin, reserve, guardian, minter, exchange, alice, bob, flag, blocked
):
    supply, bob_balance = coin.totalSupply(), coin.balanceOf(bob)
    receipt = coin.pause(flag, sender=guardian)
    assert receipt.events == [coin.Paused(flag, guardian)]
    done = _try_paths(coin, reserve, minter, exchange, alice, bob)
    assert done == {name: name != blocked for name in ("mint", "redeem", "transfer")}
    expected_supply = (
        supply + (WAD if blocked != "mint" else 0) - (WAD if blocked != "redeem" else 0)
    )
    assert coin.totalSupply() == expected_supply
    assert coin.balanceOf(bob) == bob_balance + (0 if blocked == "transfer" else WAD)


def test_transfer_pause__blocks_transfer_from(holders_funded, coin, guardian, alice, bob):
    coin.approve(bob, WAD, sender=alice)
    coin.pause(Pause.TRANSFER, sender=guardian)
    with ape.reverts(coin.StablecoinPaused, flag=Pause.TRANSFER):
        coin.transferFrom(alice, bob, WAD, sender=bob)


def test_guardian_cannot_unpause__governor_can_after_delay(system, gov, coin, guardian):
    coin.pause(Pause.MINT | Pause.TRANSFER, sender=guardian)
    with ape.reverts(coin.AccessManagedUnauthorized, caller=guardian.address):
        coin.unpause(Pause.MINT, sender=guardian)
    receipt = gov(coin, "unpause", Pause.MINT)
    assert coin.pausedFlags() == Pause.TRANSFER
    assert receipt.events.filter(coin.Unpaused)[0].flags == Pause.MINT


@pytest.mark.parametrize("flags", [0, 8, 255])
def test_pause__invalid_flags__reverts(system, coin, guardian, flags):
    with ape.reverts(coin.StablecoinInvalidPauseFlags, flags=flags):
        coin.pause(flags, sender=guardian)


# ------------------------------------------------------------------ permit (EIP-2612)


def test_permit__sets_allowance_and_nonce(holders_funded, coin, alice, bob):
    deadline = ape.chain.pending_timestamp + 3_600
    v, r, s = sign_permit(coin, alice, bob.address, 7 * WAD, deadline)
    coin.permit(alice, bob, 7 * WAD, deadline, v, r, s, sender=bob)
    assert coin.allowance(alice, bob) == 7 * WAD
    assert coin.nonces(alice) == 1
    with ape.reverts(coin.ERC2612InvalidSigner):
        coin.permit(alice, bob, 7 * WAD, deadline, v, r, s, sender=bob)  # replay


def test_permit__expired_or_other_chain__reverts(holders_funded, coin, alice, bob):
    past = ape.chain.pending_timestamp - 1
    v, r, s = sign_permit(coin, alice, bob.address, 1, past)
    with ape.reverts(coin.ERC2612ExpiredSignature, deadline=past):
        coin.permit(alice, bob, 1, past, v, r, s, sender=bob)
    deadline = ape.chain.pending_timestamp + 3_600
    v, r, s = sign_permit(coin, alice, bob.address, 1, deadline, chain_id=ape.chain.chain_id + 1)
    with ape.reverts(coin.ERC2612InvalidSigner):
        coin.permit(alice, bob, 1, deadline, v, r, s, sender=bob)
