// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
import {Roles} from "./Roles.sol";

/// @title SovereignAccessManager
/// @notice Every permission of the system in one place: OpenZeppelin's AccessManager
/// (roles, per-function role mapping, execution delays, scheduling), with three
/// rules added for a sovereign issuer:
///  1. There is exactly one admin, always. `ADMIN_ROLE` cannot be granted, revoked
///     or renounced directly; it moves only by a two-step transfer (the current
///     admin proposes, the new admin accepts), so the admin cannot lock itself out
///     nor hand the system to a mistyped address.
///  2. Separation of duties: no account may hold both the minter and the oracle
///     reporter role, so no single operator can move a price and mint against it.
///  3. Nothing else changes: delays, schedules and guardians are OpenZeppelin's.
/// @dev The admin should hold its role with an execution delay (set at transfer),
/// which makes every role grant and target change a scheduled, public operation.
contract SovereignAccessManager is AccessManager {
    /// @dev `ADMIN_ROLE` was asked to be granted directly; use {beginAdminTransfer}.
    error SovereignAdminTransferRequired();
    /// @dev `ADMIN_ROLE` was asked to be revoked or renounced, which would lock the system.
    error SovereignAdminLockout(address account);
    /// @dev The caller of {acceptAdminTransfer} is not the pending admin.
    error SovereignNotPendingAdmin(address caller, address pendingAdmin);
    /// @dev The proposed admin is the zero address or the current admin.
    error SovereignInvalidAdmin(address proposed);
    /// @dev `account` holds `heldRole`, which may not be combined with `requestedRole`.
    error SovereignConflictingRoles(address account, uint64 heldRole, uint64 requestedRole);

    /// @notice The admin `from` proposed `to` as its successor, to hold the role with `executionDelay`.
    event AdminTransferStarted(address indexed from, address indexed to, uint32 executionDelay);
    /// @notice A pending admin transfer to `to` was withdrawn.
    event AdminTransferCancelled(address indexed to);
    /// @notice `to` accepted the admin role from `from`.
    event AdminTransferred(address indexed from, address indexed to, uint32 executionDelay);

    /// @notice The current (single) admin.
    address public admin;
    /// @notice The proposed admin, or zero when no transfer is pending.
    address public pendingAdmin;
    /// @notice The execution delay the pending admin will hold the role with [seconds].
    uint32 public pendingAdminDelay;

    /// @param initialAdmin The deployer, who wires the system and then transfers the role.
    constructor(address initialAdmin) AccessManager(initialAdmin) {
        admin = initialAdmin;
    }

    /// @notice Propose `newAdmin` as the next admin, holding the role with `executionDelay`.
    /// @dev Caller: the admin (with its execution delay). Replaces any earlier proposal.
    /// Emits {AdminTransferStarted}. Reverts for the zero address or the current admin.
    function beginAdminTransfer(address newAdmin, uint32 executionDelay) external onlyAuthorized {
        if (newAdmin == address(0) || newAdmin == admin) revert SovereignInvalidAdmin(newAdmin);
        pendingAdmin = newAdmin;
        pendingAdminDelay = executionDelay;
        emit AdminTransferStarted(admin, newAdmin, executionDelay);
    }

    /// @notice Withdraw the pending admin transfer.
    /// @dev Caller: the admin. Emits {AdminTransferCancelled}.
    function cancelAdminTransfer() external onlyAuthorized {
        address pending = pendingAdmin;
        delete pendingAdmin;
        delete pendingAdminDelay;
        emit AdminTransferCancelled(pending);
    }

    /// @notice Accept the admin role proposed to the caller; the previous admin loses it.
    /// @dev Caller: the pending admin. Emits {RoleGranted}, {RoleRevoked} and {AdminTransferred}.
    function acceptAdminTransfer() external {
        address newAdmin = pendingAdmin;
        if (msg.sender != newAdmin || newAdmin == address(0)) {
            revert SovereignNotPendingAdmin(msg.sender, newAdmin);
        }
        address previous = admin;
        uint32 delay = pendingAdminDelay;
        admin = newAdmin;
        delete pendingAdmin;
        delete pendingAdminDelay;
        // Base-contract calls on purpose: these are the only paths that move ADMIN_ROLE.
        AccessManager._grantRole(ADMIN_ROLE, newAdmin, 0, delay);
        AccessManager._revokeRole(ADMIN_ROLE, previous);
        emit AdminTransferred(previous, newAdmin, delay);
    }

    /// @inheritdoc AccessManager
    /// @dev Refuses `ADMIN_ROLE`, which moves only by {beginAdminTransfer}/{acceptAdminTransfer}.
    function grantRole(uint64 roleId, address account, uint32 executionDelay) public override {
        if (roleId == ADMIN_ROLE) revert SovereignAdminTransferRequired();
        super.grantRole(roleId, account, executionDelay);
    }

    /// @dev Adds the separation-of-duties rule to every grant (constructor included).
    function _grantRole(uint64 roleId, address account, uint32 grantDelay, uint32 executionDelay)
        internal
        override
        returns (bool)
    {
        uint64 conflicting = _conflictingRole(roleId);
        if (conflicting != 0) {
            // `since != 0` also covers a grant that is scheduled but not yet active.
            (uint48 since,,,) = getAccess(conflicting, account);
            if (since != 0) revert SovereignConflictingRoles(account, conflicting, roleId);
        }
        return super._grantRole(roleId, account, grantDelay, executionDelay);
    }

    /// @dev Covers both {revokeRole} and {renounceRole}: the admin can never be removed, only replaced.
    function _revokeRole(uint64 roleId, address account) internal override returns (bool) {
        if (roleId == ADMIN_ROLE) revert SovereignAdminLockout(account);
        return super._revokeRole(roleId, account);
    }

    /// @dev The role that may not be held together with `roleId`, or 0 for none.
    function _conflictingRole(uint64 roleId) private pure returns (uint64) {
        if (roleId == Roles.MINTER) return Roles.ORACLE_REPORTER;
        if (roleId == Roles.ORACLE_REPORTER) return Roles.MINTER;
        return 0;
    }
}
