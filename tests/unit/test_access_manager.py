"""SovereignAccessManager and the permission wiring: every privileged function
refuses every role that must not call it; one admin, moved only in two steps;
delays on grants and parameters, none on pausing; minter and reporter apart."""

import ape
import pytest

from sovereign import governance
from sovereign.preflight import simulate
from sovereign.roles import ADMIN_FUNCTIONS, FUNCTION_ROLES, Role
from tests.utils import dummy_args
from tests.utils.constants import DAY


def _targets(system):
    return {
        "SettlementCash": system.cash,
        "SovereignStablecoin": system.stablecoin,
        "ReportedPriceFeed": system.feeds["SB30"],
        "Reserve": system.reserve,
        "TBillRegistry": system.registry,
        "TBillVault": system.vault,
        "BondRegistry": system.bond_registry,
        "CommodityToken": system.commodity.commodities["SGLD"].token,
        "ReserveAttestations": system.commodity.attestations,
        "ProgramCeilings": system.commodity.ceilings,
    }


# The session's system has no redemption desk (tests/conftest.py's config): the desk's
# functions are checked on a braked world, tests/redemption/test_desk_roles.py.
ELSEWHERE = {"RedemptionDesk"}


def _cases():
    for contract, functions in FUNCTION_ROLES.items():
        if contract in ELSEWHERE:
            continue
        for method, role in functions.items():
            yield pytest.param(contract, method, role, id=f"{contract}.{method}")


@pytest.mark.parametrize("contract,method,role", list(_cases()))
def test_privileged_function__refuses_every_other_role(
    system, accounts, mallory, deployer, contract, method, role
):
    target = _targets(system)[contract]
    by_role = system.holders.by_role()
    abi = next(m for m in target.contract_type.mutable_methods if m.name == method)
    outsiders = [a for r, a in by_role.items() if r is not role] + [mallory, deployer]
    args = dummy_args(abi, mallory.address)
    # Simulated calls (eth_call from each caller): the same check as a sent
    # transaction, at a fraction of the cost over 34 functions x 12 callers.
    for who in outsiders:
        revert = simulate(target, method, *args, sender=who)
        assert revert is not None, f"{who.address} could call {contract}.{method}"
        assert (revert.name, revert.inputs) == (
            "AccessManagedUnauthorized",
            {"caller": who.address},
        )
    # ...and one real transaction, to show the simulation tells the truth.
    with ape.reverts(target.AccessManagedUnauthorized, caller=mallory.address):
        getattr(target, method)(*args, sender=mallory)


@pytest.mark.parametrize("contract,method,role", list(_cases()))
def test_wiring_on_chain_matches_roles_table(system, contract, method, role):
    target = _targets(system)[contract]
    sel = governance.selector(target, method)
    assert system.manager.getTargetFunctionRole(target.address, sel) == int(role)


def test_admin_functions__refuse_everyone_but_the_governor(
    system, manager, coin, mallory, minter, guardian
):
    for who in (mallory, minter, guardian, system.holders.registrar):
        with ape.reverts(coin.AccessManagedUnauthorized, caller=who.address):
            coin.setReserve(mallory, sender=who)
        with ape.reverts(manager.AccessManagerUnauthorizedAccount):
            manager.grantRole(int(Role.MINTER), who, 0, sender=who)
        with ape.reverts(manager.AccessManagerUnauthorizedAccount):
            manager.beginAdminTransfer(who, 0, sender=who)
    assert set(ADMIN_FUNCTIONS["SovereignStablecoin"]) == {"setReserve"}


# ------------------------------------------------------ admin: one, two-step, no lockout


def test_after_deploy__governor_is_sole_admin_with_delay(system, manager, governor, deployer):
    assert manager.admin() == governor.address
    assert manager.hasRole(0, governor) == (True, DAY)
    assert manager.hasRole(0, deployer)[0] is False
    assert manager.hasRole(int(Role.GOVERNOR), deployer)[0] is False
    assert manager.pendingAdmin() == "0x0000000000000000000000000000000000000000"


def test_admin_role__cannot_be_granted_directly(system, manager, governor, alice):
    with ape.reverts(manager.SovereignAdminTransferRequired):
        governance.manager_call(manager, "grantRole", 0, alice, 0, sender=governor, travel=True)


def test_admin__cannot_renounce_or_be_revoked(system, manager, governor):
    with ape.reverts(manager.SovereignAdminLockout, account=governor.address):
        manager.renounceRole(0, governor, sender=governor)
    with ape.reverts(manager.SovereignAdminLockout, account=governor.address):
        governance.manager_call(manager, "revokeRole", 0, governor, sender=governor, travel=True)


def test_admin_transfer__two_steps(system, manager, governor, alice, mallory):
    governance.manager_call(
        manager, "beginAdminTransfer", alice, 3_600, sender=governor, travel=True
    )
    assert manager.pendingAdmin() == alice.address
    assert manager.admin() == governor.address  # nothing moved yet
    with ape.reverts(
        manager.SovereignNotPendingAdmin, caller=mallory.address, pendingAdmin=alice.address
    ):
        manager.acceptAdminTransfer(sender=mallory)
    receipt = manager.acceptAdminTransfer(sender=alice)
    assert manager.admin() == alice.address
    assert manager.hasRole(0, alice) == (True, 3_600)
    assert manager.hasRole(0, governor)[0] is False
    assert receipt.events.filter(manager.AdminTransferred) == [
        manager.AdminTransferred(governor, alice, 3_600)
    ]


def test_admin_transfer__to_self_or_zero__reverts(system, manager, governor):
    for target in (governor.address, "0x0000000000000000000000000000000000000000"):
        with ape.reverts(manager.SovereignInvalidAdmin, proposed=target):
            governance.manager_call(
                manager, "beginAdminTransfer", target, 0, sender=governor, travel=True
            )


def test_admin_transfer__cancel(system, manager, governor, alice):
    governance.manager_call(
        manager, "beginAdminTransfer", alice, 3_600, sender=governor, travel=True
    )
    governance.manager_call(manager, "cancelAdminTransfer", sender=governor, travel=True)
    with ape.reverts(manager.SovereignNotPendingAdmin):
        manager.acceptAdminTransfer(sender=alice)


# ------------------------------------------------------------------ delays


def test_admin_transfer__delay_below_the_minimum__refused_when_scheduled(
    system, manager, governor, alice
):
    data = manager.beginAdminTransfer.encode_input(alice, 3_599)
    with ape.reverts(manager.SovereignDelayTooShort, roleId=0, executionDelay=3_599, minimum=3_600):
        manager.schedule(manager, data, 0, sender=governor)


def test_governor_grant__delay_below_the_minimum__refused_when_scheduled(
    system, manager, governor, alice
):
    data = manager.grantRole.encode_input(int(Role.GOVERNOR), alice, 0)
    with ape.reverts(
        manager.SovereignDelayTooShort,
        roleId=int(Role.GOVERNOR),
        executionDelay=0,
        minimum=manager.MIN_EXECUTION_DELAY(),
    ):
        manager.schedule(manager, data, 0, sender=governor)


def test_role_grant__needs_the_admin_delay(system, manager, governor, alice):
    with ape.reverts(manager.AccessManagerNotScheduled):
        manager.grantRole(int(Role.BURNER), alice, 0, sender=governor)
    data = manager.grantRole.encode_input(int(Role.BURNER), alice, 0)
    manager.schedule(manager, data, 0, sender=governor)
    with ape.reverts(manager.AccessManagerNotReady):
        manager.execute(manager, data, sender=governor)
    ape.chain.pending_timestamp += DAY
    manager.execute(manager, data, sender=governor)
    assert manager.hasRole(int(Role.BURNER), alice)[0]


def test_parameter_change__needs_the_governor_delay(system, reserve, governor):
    with ape.reverts(system.manager.AccessManagerNotScheduled):
        reserve.setRedemptionFee(10, sender=governor)
    with pytest.raises(governance.NotPermitted, match="86400 s delay"):
        governance.call(system.manager, reserve, "setRedemptionFee", 10, sender=governor)


def test_guardian_can_cancel_a_scheduled_governor_operation(
    system, manager, reserve, governor, guardian
):
    data = reserve.setRedemptionFee.encode_input(100)
    manager.schedule(reserve, data, 0, sender=governor)
    manager.cancel(governor, reserve, data, sender=guardian)
    ape.chain.pending_timestamp += DAY
    with ape.reverts(manager.AccessManagerNotScheduled):
        manager.execute(reserve, data, sender=governor)


def test_pause__has_no_delay(system, coin, guardian):
    assert governance.permission(system.manager, guardian, coin, "pause").immediate


# ------------------------------------------------------------------ separation of duties


def test_minter_cannot_also_be_oracle_reporter(system, manager, governor, minter, reporter):
    with ape.reverts(
        manager.SovereignConflictingRoles,
        account=minter.address,
        heldRole=int(Role.MINTER),
        requestedRole=int(Role.ORACLE_REPORTER),
    ):
        governance.manager_call(
            manager, "grantRole", int(Role.ORACLE_REPORTER), minter, 0, sender=governor, travel=True
        )
    with ape.reverts(manager.SovereignConflictingRoles, account=reporter.address):
        governance.manager_call(
            manager, "grantRole", int(Role.MINTER), reporter, 0, sender=governor, travel=True
        )


def test_role_matrix__table_and_json(system):
    from sovereign.rolematrix import read_role_matrix

    matrix = read_role_matrix(system)
    rows = {row["role"]: row for row in matrix}
    assert rows["minter"]["holders"] == [
        {"account": system.holders.minter.address, "execution_delay": 0}
    ]
    assert rows["governor"]["holders"][0]["execution_delay"] == DAY
    assert "Reserve.mint" in rows["minter"]["functions"]
    assert "SovereignStablecoin.pause" in rows["guardian"]["functions"]
    assert rows["admin"]["holders"] == [
        {"account": system.holders.governor.address, "execution_delay": DAY}
    ]


# ------------------------------------------------------------------ powers follow roles


def _schedule_and_run(manager, governor, data, when=0):
    """Schedule a manager operation as the governor (admin) and execute it when due."""
    receipt = manager.schedule(manager, data, when, sender=governor)
    due = receipt.events.filter(manager.OperationScheduled)[0].schedule
    ape.chain.pending_timestamp = max(due, ape.chain.pending_timestamp)
    return manager.execute(manager, data, sender=governor)


def test_guardian_cannot_cancel_its_own_removal__which_needs_a_week_of_notice(
    system, manager, coin, governor, guardian, alice
):
    """The review's hostage case: a guardian pauses, then cancels every unpause and its own
    replacement. Now its removal must be scheduled a week ahead and it cannot cancel that
    (it still cancels everything else, the unpause included); then the governor unpauses."""
    coin.pause(7, sender=guardian)
    unpause = coin.unpause.encode_input(7)
    manager.schedule(coin, unpause, 0, sender=governor)
    manager.cancel(governor, coin, unpause, sender=guardian)
    removal = manager.revokeRole.encode_input(int(Role.GUARDIAN), guardian)
    now = ape.chain.pending_timestamp
    notice = manager.GUARDIAN_REMOVAL_NOTICE()
    assert notice == 7 * DAY
    with ape.reverts(manager.SovereignGuardianRemovalTooSoon):
        manager.schedule(manager, removal, 0, sender=governor)
    manager.schedule(manager, removal, now + notice + 60, sender=governor)
    with ape.reverts(manager.AccessManagerUnauthorizedCancel):
        manager.cancel(governor, manager, removal, sender=guardian)
    ape.chain.pending_timestamp = now + notice + 60
    manager.execute(manager, removal, sender=governor)
    assert not manager.hasRole(int(Role.GUARDIAN), guardian)[0]
    governance.call(manager, coin, "unpause", 7, sender=governor, travel=True)
    assert coin.pausedFlags() == 0


def test_another_guardian_can_cancel_a_guardians_removal(
    system, manager, governor, guardian, alice
):
    _schedule_and_run(
        manager, governor, manager.grantRole.encode_input(int(Role.GUARDIAN), alice, 0)
    )
    removal = manager.revokeRole.encode_input(int(Role.GUARDIAN), guardian)
    manager.schedule(manager, removal, ape.chain.pending_timestamp + 8 * DAY, sender=governor)
    manager.cancel(governor, manager, removal, sender=alice)


def test_only_the_systems_roles_exist(system, manager, reserve, governor):
    """The review's path around separation of duties: a custom role 42 granted to the governor
    with no delay, then mint mapped to it. Unknown roles are refused, the grant when scheduled."""
    with ape.reverts(manager.SovereignUnknownRole, roleId=42):
        manager.schedule(
            manager, manager.grantRole.encode_input(42, governor, 0), 0, sender=governor
        )
    remap = manager.setTargetFunctionRole.encode_input(reserve, [b"\x01\x02\x03\x04"], 42)
    with ape.reverts(manager.SovereignUnknownRole, roleId=42):
        _schedule_and_run(manager, governor, remap)


def test_role_admins_are_fixed(system, manager, governor):
    data = manager.setRoleAdmin.encode_input(int(Role.GUARDIAN), int(Role.MINTER))
    with ape.reverts(manager.SovereignFixedRoleAdmin, roleId=int(Role.GUARDIAN)):
        _schedule_and_run(manager, governor, data)


@pytest.mark.parametrize("to_role", [Role.GOVERNOR, Role.ADMIN, Role.PUBLIC])
def test_an_operating_function_is_never_mapped_back_to_the_governor_or_the_public(
    system, manager, reserve, governor, to_role
):
    """The review's remap path: Reserve.mint mapped to the governor (or opened to all)."""
    mint = governance.selector(reserve, "mint")
    data = manager.setTargetFunctionRole.encode_input(reserve, [mint], int(to_role))
    error = (
        manager.SovereignUnknownRole if to_role is Role.PUBLIC else manager.SovereignFunctionLocked
    )
    with ape.reverts(error):
        _schedule_and_run(manager, governor, data)
    assert manager.getTargetFunctionRole(reserve, mint) == int(Role.MINTER)


def test_a_scheduled_grant_counts_as_held(system, manager, governor, guardian, alice):
    """Two grants that conflict only with each other: the second is refused when it is
    scheduled, not at execution; once the first is cancelled, it may be scheduled."""
    first = manager.grantRole.encode_input(int(Role.GOVERNOR), alice, DAY)
    manager.schedule(manager, first, 0, sender=governor)
    second = manager.grantRole.encode_input(int(Role.MINTER), alice, 0)
    with ape.reverts(
        manager.SovereignConflictingRoles,
        account=alice.address,
        heldRole=int(Role.GOVERNOR),
        requestedRole=int(Role.MINTER),
    ):
        manager.schedule(manager, second, 0, sender=governor)
    manager.cancel(governor, manager, first, sender=guardian)
    manager.schedule(manager, second, 0, sender=governor)


def test_a_function_is_delegated_once(system, manager, reserve, governor):
    """The governance machine's holes: mint remapped to the guardian or to a role the admin
    may hold; a governor function moved to the admin and then to an operating role; the
    manager's own beginAdminTransfer remapped to the burner. All refused."""
    mint = governance.selector(reserve, "mint")
    fee = governance.selector(reserve, "setRedemptionFee")
    own = governance.selector(manager, "beginAdminTransfer")
    for target, sel, current, to in (
        (reserve, mint, Role.MINTER, Role.GUARDIAN),
        (reserve, mint, Role.MINTER, Role.RESERVE_MANAGER),
        (manager, own, Role.ADMIN, Role.BURNER),
    ):
        data = manager.setTargetFunctionRole.encode_input(target, [sel], int(to))
        with ape.reverts(
            manager.SovereignFunctionLocked,
            target=target.address,
            currentRole=int(current),
            requestedRole=int(to),
        ):
            _schedule_and_run(manager, governor, data)
    _schedule_and_run(  # a governance function may move between governor and admin...
        manager, governor, manager.setTargetFunctionRole.encode_input(reserve, [fee], 0)
    )
    assert manager.getTargetFunctionRole(reserve, fee) == 0
    data = manager.setTargetFunctionRole.encode_input(reserve, [fee], int(Role.MINTER))
    with ape.reverts(manager.SovereignFunctionLocked, currentRole=0):  # ...and nowhere else
        _schedule_and_run(manager, governor, data)


def test_the_governing_key_holds_no_other_role_and_no_contract_changes_manager(
    system, manager, reserve, governor, mallory
):
    data = manager.grantRole.encode_input(int(Role.RESERVE_MANAGER), governor, 0)
    with ape.reverts(
        manager.SovereignConflictingRoles, heldRole=0, requestedRole=int(Role.RESERVE_MANAGER)
    ):
        manager.schedule(manager, data, 0, sender=governor)
    data = manager.beginAdminTransfer.encode_input(manager, DAY)
    with ape.reverts(manager.SovereignInvalidAdmin, proposed=manager.address):
        manager.schedule(manager, data, 0, sender=governor)
    with ape.reverts(manager.SovereignAuthorityFixed, target=reserve.address):
        manager.updateAuthority(reserve, mallory, sender=governor)


def test_the_guardian_holds_no_other_role(system, manager, governor, guardian, minter):
    """Found by the governance machine: a guardian granted MINTER minted at once and could
    cancel its own removal from that role. The veto holds no other role, both ways."""
    for role, account, held in (
        (Role.MINTER, guardian, Role.GUARDIAN),
        (Role.GUARDIAN, minter, Role.MINTER),
    ):
        data = manager.grantRole.encode_input(int(role), account, 0)
        with ape.reverts(
            manager.SovereignConflictingRoles,
            account=account.address,
            heldRole=int(held),
            requestedRole=int(role),
        ):
            manager.schedule(manager, data, 0, sender=governor)


def test_set_authority_never_goes_through_the_manager(system, manager, reserve, governor, mallory):
    """Found by the governance machine: the admin scheduled execute(reserve,
    reserve.setAuthority(its own manager)), which OpenZeppelin allows the admin."""
    data = reserve.setAuthority.encode_input(mallory)
    with ape.reverts(manager.SovereignAuthorityFixed, target=reserve.address):
        manager.schedule(reserve, data, 0, sender=governor)
    with ape.reverts(manager.SovereignAuthorityFixed, target=reserve.address):
        manager.execute(reserve, data, sender=governor)
