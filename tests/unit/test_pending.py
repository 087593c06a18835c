"""sovereign.pending: the scheduled operations read back from the manager's events, in
words, with their times; executed, cancelled and superseded ones dropped."""

import pytest
from ape import chain

from sovereign import governance
from sovereign.calls import Describer
from sovereign.limits import EXPIRATION
from sovereign.pending import find, read_pending
from sovereign.roles import Role
from sovereign.units import WAD
from tests.utils.chain import travel
from tests.utils.constants import DAY

MAX = 2**256 - 1


@pytest.fixture(scope="session")
def labels(system, governor, guardian, alice):
    return {
        "governor": governor.address,
        "guardian": guardian.address,
        "alice": alice.address,
        "reserve": system.reserve.address,
    }


def _schedule(system, governor, contract, method, *args):
    """Schedule ``method(*args)`` as the governor; the OperationScheduled event."""
    receipt = governance.schedule(system.manager, contract, method, *args, sender=governor)
    return receipt.events.filter(system.manager.OperationScheduled)[0], receipt


def _new(system, labels, known):
    return [op for op in read_pending(system, labels) if op.operation_id not in known]


def test_lists_scheduled_operations__in_words__with_their_times(
    system, reserve, manager, bond_feed, governor, alice, labels
):
    known = {op.operation_id for op in read_pending(system, labels)}
    ratio, ratio_receipt = _schedule(
        system, governor, reserve, "setMinCollateralRatio", 105 * WAD // 100
    )
    _schedule(system, governor, manager, "grantRole", int(Role.MINTER), alice.address, 0)
    _schedule(system, governor, bond_feed, "setMaxDeviation", 500)
    _schedule(system, governor, reserve, "setRedemptionFee", 25)

    ops = _new(system, labels, known)
    assert [op.words for op in ops] == [
        "set the minimum collateral ratio of Reserve to 105.00%",
        f"grant minter to {alice.address} (alice)",
        "set the deviation bound of the SB30 feed to 500 bps (5.00%)",
        "set the redemption fee of Reserve to 25 bps (0.25%)",
    ]
    first = ops[0]
    assert first.function == "Reserve.setMinCollateralRatio"
    assert first.args == {"newRatioWad": 105 * WAD // 100}
    assert (first.caller, first.caller_label) == (governor.address, "governor")
    assert first.operation_id == "0x" + bytes(ratio.operationId).hex()
    assert first.nonce == 1 and first.target_name == "Reserve"
    # Executable after the governor's delay from the schedule's block; expires a week later.
    scheduled_at = chain.blocks[ratio_receipt.block_number].timestamp
    assert first.executable_at == int(ratio.schedule) == scheduled_at + system.config.governor_delay
    assert first.expires_at == first.executable_at + EXPIRATION
    assert first.state == "waiting" and not first.executable
    as_json = first.as_dict()
    assert as_json["scheduled_by"] == {"address": governor.address, "label": "governor"}
    assert as_json["executable_at_utc"].endswith(" UTC") and as_json["executable_now"] is False
    assert find(ops, first.operation_id[:12]) is first
    assert find(ops, "0x") is None  # too short to name one


def test_drops_executed_and_cancelled__marks_executable_and_expired(
    system, reserve, manager, governor, guardian, labels
):
    known = {op.operation_id for op in read_pending(system, labels)}
    _schedule(system, governor, reserve, "setMinCollateralRatio", 110 * WAD // 100)
    _schedule(system, governor, reserve, "setRedemptionFee", 10)
    _schedule(system, governor, reserve, "setMinterAllowance", guardian.address, 5 * WAD)
    assert len(_new(system, labels, known)) == 3

    travel(DAY + 1)
    governance.execute(manager, reserve, "setMinCollateralRatio", 110 * WAD // 100, sender=governor)
    fee = reserve.setRedemptionFee.encode_input(10)
    manager.cancel(governor.address, reserve.address, fee, sender=guardian)  # the veto

    (left,) = _new(system, labels, known)
    assert left.words == (
        f"set the mint allowance of {guardian.address} (guardian) at Reserve to 5.00 SSHL"
    )
    assert left.state == "executable" and left.executable and not left.expired

    travel(EXPIRATION)
    (stale,) = _new(system, labels, known)
    assert stale.state == "expired" and not stale.executable
    live = read_pending(system, labels, include_expired=False)
    assert not [op for op in live if op.operation_id not in known]


def test_a_rescheduled_operation_supersedes_its_expired_nonce(system, reserve, governor, labels):
    known = {op.operation_id for op in read_pending(system, labels)}
    _schedule(system, governor, reserve, "setRedemptionFee", 30)
    travel(DAY + EXPIRATION + 1)
    _schedule(system, governor, reserve, "setRedemptionFee", 30)
    (op,) = _new(system, labels, known)
    assert op.nonce == 2 and op.state == "waiting"


def test_words__every_governed_call(
    system, reserve, manager, bond, bond_feed, vault, coin, governor, alice, labels
):
    say = Describer(system, labels)

    def words(contract, method, *args):
        return say.describe(contract.address, getattr(contract, method).encode_input(*args)).words

    feed = f"the SB30 feed ({bond_feed.address})"
    assert words(reserve, "setCollateral", bond, bond_feed, DAY, 200, 5_000) == (
        f"reconfigure the collateral SB30 ({bond.address}) of Reserve: feed {feed}, "
        "heartbeat 86,400 s (1 day), haircut 200 bps (2.00%), "
        "concentration cap 5,000 bps (50.00%)"
    )
    assert words(reserve, "removeCollateral", bond) == (
        f"remove SB30 ({bond.address}) from the collateral of Reserve"
    )
    assert words(reserve, "setMinCollateralRatio", 1_052_500_000_000_000_000) == (
        "set the minimum collateral ratio of Reserve to 105.25%"
    )
    assert words(bond_feed, "setDeviationWindow", 3_600) == (
        "set the deviation window of the SB30 feed to 3,600 s (1 hour)"
    )
    assert words(bond_feed, "forceReport", 150_000_000) == (
        "force the price of the SB30 feed to 1.50 eSHL per SB30"
    )
    assert words(vault, "setDepositCap", 1_000 * 10**6) == (
        "set the deposit cap of TBillVault to 1,000.00 eSHL"
    )
    assert words(vault, "setDepositCap", MAX) == "remove the deposit cap of TBillVault (uncapped)"
    assert words(coin, "unpause", 3) == "unpause minting and redemption of SovereignStablecoin"
    assert words(manager, "revokeRole", int(Role.MINTER), alice.address) == (
        f"revoke minter from {alice.address} (alice)"
    )
    assert words(manager, "setGrantDelay", int(Role.MINTER), DAY) == (
        "set the grant delay of the minter role to 86,400 s (1 day)"
    )
    assert words(manager, "grantRole", int(Role.GOVERNOR), governor.address, 2 * DAY) == (
        f"set the execution delay of {governor.address} (governor) in the governor role to "
        "172,800 s (2 days) (it holds the role already)"
    )
    assert words(manager, "grantRole", int(Role.BURNER), alice.address, 0) == (
        f"grant burner to {alice.address} (alice)"
    )
    outside = say.describe(alice.address, bytes.fromhex("12345678"))
    assert outside.function is None
    assert outside.words == (
        f"call {alice.address} (alice) (function 0x12345678, outside the system)"
    )


def test_words__the_bond_registry__who_may_do_what(system, manager, governor, labels):
    """The bond registry's wiring, as the role matrix states it: the governor sets the
    maturity haircuts, through its delay (a scheduled operation, said in words); the debt
    office's issuance, auctions and calls take no delay."""
    from sovereign.roles import FUNCTION_ROLES

    registry = system.bond_registry
    assert FUNCTION_ROLES["BondRegistry"] == {
        "createSeries": Role.DEBT_OFFICE,
        "openAuction": Role.DEBT_OFFICE,
        "closeAuction": Role.DEBT_OFFICE,
        "callBond": Role.DEBT_OFFICE,
        "setMaturityHaircuts": Role.GOVERNOR,
    }
    debt_office = system.holders.debt_office
    for method, role in FUNCTION_ROLES["BondRegistry"].items():
        holder = governor if role is Role.GOVERNOR else debt_office
        perm = governance.permission(manager, holder, registry, method)
        delay = system.config.governor_delay if role is Role.GOVERNOR else 0
        assert (perm.immediate, perm.delay) == (delay == 0, delay), method
    known = {op.operation_id for op in read_pending(system, labels)}
    _schedule(system, governor, registry, "setMaturityHaircuts", [100, 500, 900, 1_500, 2_500])
    (op,) = _new(system, labels, known)
    assert op.function == "BondRegistry.setMaturityHaircuts"
    assert op.words == (
        "set the maturity haircuts of BondRegistry to up to 1 year 1.00%, up to 3 years 5.00%, "
        "up to 5 years 9.00%, up to 10 years 15.00%, beyond 10 years 25.00%"
    )
    assert op.executable_at - chain.blocks.head.timestamp <= system.config.governor_delay
