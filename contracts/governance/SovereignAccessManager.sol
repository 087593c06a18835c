// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {Roles} from "./Roles.sol";

/// @title SovereignAccessManager
/// @notice Every permission of the system in one place: OpenZeppelin's AccessManager
/// (roles, per-function role mapping, execution delays, scheduling), with four
/// rules added for a sovereign issuer:
///  1. There is exactly one admin, always. `ADMIN_ROLE` cannot be granted, revoked
///     or renounced directly; it moves only by a two-step transfer (the current
///     admin proposes, the new admin accepts), so the admin cannot lock itself out
///     nor hand the system to a mistyped address.
///  2. A veto on everything delayed: any holder of the guardian role may cancel any
///     scheduled operation, the manager's own admin operations included (role
///     grants and revocations, function mappings, authority moves, delay setters,
///     the admin transfer). OpenZeppelin alone lets only the guardian of the target
///     function's role cancel, and `ADMIN_ROLE` can have no guardian. One
///     exception, so that a guardian cannot hold the system hostage (pause, then
///     cancel every unpause and its own replacement): a guardian cannot cancel its
///     own removal, which must be scheduled at least {GUARDIAN_REMOVAL_NOTICE}
///     ahead (another guardian can cancel it).
///  3. Delays that cannot be dropped: once the deployer has handed over, the admin
///     and every governor hold their roles with at least {MIN_EXECUTION_DELAY}, so
///     every governance act is public, and vetoable, for at least that long.
///  4. Separation of duties, both ways: the admin (or the pending admin) and the
///     governor may hold no other role (minter, burner, oracle reporter, compliance
///     officer, guardian, reserve manager, registrar, central bank, debt office,
///     vault manager); nor may the guardian, the veto, which could otherwise cancel
///     the removal of its own other powers; the minter may never be the oracle
///     reporter. A grant
///     scheduled and not yet executed counts as held. A conflicting grant is
///     refused when it is scheduled (and again when it would execute), naming both
///     roles.
///  5. Powers follow roles, not the other way round: only the system's roles
///     (`Roles`) exist; every role's admin is the admin; no function is ever opened
///     to the public; the manager's own functions stay the admin's; and a function
///     is delegated once: after its first mapping it may move only between the
///     admin and the governor, and only if it was mapped to one of them. So no key
///     takes a power (minting, say) by a remap instead of holding the role.
///  6. Every contract answers to this manager for ever: {updateAuthority} is
///     refused, and so is scheduling or executing a target's own `setAuthority`
///     through the manager (the path OpenZeppelin leaves to the admin). Moving a contract to another manager would hand all of its powers
///     to whoever runs that manager; like the contracts' code, their governance is
///     not upgradeable (a successor system is deployed beside this one).
/// @dev The deployer is the first admin, without a delay, so that it can wire the
/// system; from {acceptAdminTransfer} on, rule 3 holds.
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
    /// @dev `roleId` was to be held with `executionDelay` seconds, below the `minimum`.
    error SovereignDelayTooShort(uint64 roleId, uint32 executionDelay, uint32 minimum);
    /// @dev `roleId` is not one of the system's roles.
    error SovereignUnknownRole(uint64 roleId);
    /// @dev Role admins are fixed: the admin administers every role.
    error SovereignFixedRoleAdmin(uint64 roleId);
    /// @dev `selector` of `target`, held by `currentRole`, may not be mapped to `requestedRole`.
    error SovereignFunctionLocked(address target, bytes4 selector, uint64 currentRole, uint64 requestedRole);
    /// @dev Contracts never move to another manager (rule 6).
    error SovereignAuthorityFixed(address target);
    /// @dev A guardian's removal was scheduled for `when`, before the `earliest` the notice allows.
    error SovereignGuardianRemovalTooSoon(uint48 when, uint256 earliest);

    /// @notice The admin `from` proposed `to` as its successor, to hold the role with `executionDelay`.
    event AdminTransferStarted(address indexed from, address indexed to, uint32 executionDelay);
    /// @notice A pending admin transfer to `to` was withdrawn.
    event AdminTransferCancelled(address indexed to);
    /// @notice `to` accepted the admin role from `from`.
    event AdminTransferred(address indexed from, address indexed to, uint32 executionDelay);

    /// @notice One hour: the shortest time a guardian on call is given to see a
    /// scheduled governance act and cancel it.
    uint32 public constant MIN_EXECUTION_DELAY = 1 hours;
    /// @notice Seven days: the public notice of a guardian's removal, which that guardian
    /// cannot cancel; long enough for holders to see it coming and act.
    uint32 public constant GUARDIAN_REMOVAL_NOTICE = 7 days;

    /// @notice The current (single) admin.
    address public admin;
    /// @notice The proposed admin, or zero when no transfer is pending.
    address public pendingAdmin;
    /// @notice The execution delay the pending admin will hold the role with [seconds].
    uint32 public pendingAdminDelay;
    /// @dev Until when a scheduled grant of a role to an account is pending [unix seconds]:
    /// its execution time plus OpenZeppelin's expiration; cleared when cancelled.
    mapping(address account => mapping(uint64 roleId => uint48)) private _pendingGrantUntil;
    /// @dev Whether a function was ever mapped (rule 5: delegated once).
    mapping(address target => mapping(bytes4 selector => bool)) private _mapped;

    /// @param initialAdmin The deployer, who wires the system and then transfers the role.
    constructor(address initialAdmin) AccessManager(initialAdmin) {
        admin = initialAdmin;
    }

    // ================================================================ admin transfer

    /// @notice Propose `newAdmin` as the next admin, holding the role with `executionDelay`.
    /// @dev Caller: the admin (with its execution delay). Replaces any earlier proposal.
    /// Requirements: `newAdmin` is neither zero nor the admin, holds no role that
    /// conflicts with admin, and `executionDelay` is at least {MIN_EXECUTION_DELAY}.
    /// Emits {AdminTransferStarted}.
    function beginAdminTransfer(address newAdmin, uint32 executionDelay) external onlyAuthorized {
        _checkAdminCandidate(newAdmin, executionDelay);
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
        // The conflict rule runs in _grantRole (a role granted meanwhile is caught).
        _grantRole(ADMIN_ROLE, newAdmin, 0, delay);
        AccessManager._revokeRole(ADMIN_ROLE, previous);
        emit AdminTransferred(previous, newAdmin, delay);
    }

    // ================================================================ roles

    /// @inheritdoc AccessManager
    /// @dev Refuses `ADMIN_ROLE`, which moves only by {beginAdminTransfer}/{acceptAdminTransfer}.
    function grantRole(uint64 roleId, address account, uint32 executionDelay) public override {
        if (roleId == ADMIN_ROLE) revert SovereignAdminTransferRequired();
        super.grantRole(roleId, account, executionDelay);
    }

    /// @inheritdoc AccessManager
    /// @dev Runs the checks of the operation being scheduled first, so that a grant
    /// or an admin transfer that could never execute is refused now, not when its
    /// delay has run out.
    function schedule(address target, bytes calldata data, uint48 when)
        public
        override
        returns (bytes32 operationId, uint32 nonce)
    {
        _checkNotSetAuthority(target, data);
        address grantee;
        uint64 grantedRole;
        if (target == address(this) && data.length >= 4) {
            bytes4 selector = bytes4(data[:4]);
            if (selector == this.grantRole.selector) {
                uint32 executionDelay;
                (grantedRole, grantee, executionDelay) = abi.decode(data[4:], (uint64, address, uint32));
                if (grantedRole == ADMIN_ROLE) revert SovereignAdminTransferRequired();
                _checkGrant(grantedRole, grantee, executionDelay);
            } else if (selector == this.beginAdminTransfer.selector) {
                (address newAdmin, uint32 executionDelay) = abi.decode(data[4:], (address, uint32));
                _checkAdminCandidate(newAdmin, executionDelay);
            } else if (selector == this.revokeRole.selector) {
                (uint64 roleId,) = abi.decode(data[4:], (uint64, address));
                uint256 earliest = block.timestamp + GUARDIAN_REMOVAL_NOTICE;
                if (roleId == Roles.GUARDIAN && when < earliest) revert SovereignGuardianRemovalTooSoon(when, earliest);
            }
        }
        (operationId, nonce) = super.schedule(target, data, when);
        if (grantee != address(0)) {
            // Pending until it can no longer execute: its time plus the expiration.
            _pendingGrantUntil[grantee][grantedRole] = getSchedule(operationId) + expiration();
        }
    }

    /// @inheritdoc AccessManager
    /// @dev Refuses a target's `setAuthority` (rule 6).
    function execute(address target, bytes calldata data) public payable override returns (uint32) {
        _checkNotSetAuthority(target, data);
        return super.execute(target, data);
    }

    /// @inheritdoc AccessManager
    /// @dev A cancelled grant stops counting as held.
    function cancel(address caller, address target, bytes calldata data) public override returns (uint32 nonce) {
        nonce = super.cancel(caller, target, data);
        if (target == address(this) && data.length >= 4 && bytes4(data[:4]) == this.grantRole.selector) {
            (uint64 roleId, address account,) = abi.decode(data[4:], (uint64, address, uint32));
            delete _pendingGrantUntil[account][roleId];
        }
    }

    /// @dev Adds the separation-of-duties and minimum-delay rules to every grant.
    /// The constructor's grant to the deployer passes (it holds nothing yet and is
    /// exempt from the delay: rule 3 starts at the transfer).
    function _grantRole(uint64 roleId, address account, uint32 grantDelay, uint32 executionDelay)
        internal
        override
        returns (bool)
    {
        if (!(roleId == ADMIN_ROLE && admin == address(0))) _checkGrant(roleId, account, executionDelay);
        return super._grantRole(roleId, account, grantDelay, executionDelay);
    }

    /// @dev Covers both {revokeRole} and {renounceRole}: the admin can never be removed, only replaced.
    function _revokeRole(uint64 roleId, address account) internal override returns (bool) {
        if (roleId == ADMIN_ROLE) revert SovereignAdminLockout(account);
        return super._revokeRole(roleId, account);
    }

    /// @dev Rule 2: the guardian may cancel every scheduled operation but its own
    /// removal, besides whoever OpenZeppelin already allows (its scheduler, the
    /// admin, the guardian of the target function's role).
    function _canCancel(address caller, address target, bytes calldata data) internal view override returns (bool) {
        if (super._canCancel(caller, target, data)) return true;
        address sender = _msgSender();
        (bool isGuardian,) = hasRole(Roles.GUARDIAN, sender);
        if (!isGuardian) return false;
        if (target == address(this) && bytes4(data[:4]) == this.revokeRole.selector) {
            (uint64 roleId, address account) = abi.decode(data[4:], (uint64, address));
            if (roleId == Roles.GUARDIAN && account == sender) return false;
        }
        return true;
    }

    /// @inheritdoc AccessManager
    /// @dev Rule 6: always refused, whoever asks.
    function updateAuthority(address target, address) public pure override {
        revert SovereignAuthorityFixed(target);
    }

    /// @dev Rule 5: role admins are fixed (the admin's).
    function _setRoleAdmin(uint64 roleId, uint64) internal pure override {
        revert SovereignFixedRoleAdmin(roleId);
    }

    /// @dev Rule 5: only the system's roles, never the public, never the manager's own
    /// functions, and a function is delegated once (then only admin <-> governor).
    function _setTargetFunctionRole(address target, bytes4 selector, uint64 roleId) internal override {
        if (!_isKnown(roleId)) revert SovereignUnknownRole(roleId);
        uint64 current = getTargetFunctionRole(target, selector);
        bool mapped = _mapped[target][selector];
        if (target == address(this) || (mapped && !(_isGoverning(current) && _isGoverning(roleId)))) {
            revert SovereignFunctionLocked(target, selector, current, roleId);
        }
        _mapped[target][selector] = true;
        super._setTargetFunctionRole(target, selector, roleId);
    }

    // ================================================================ rules

    /// @dev Rule 6: no call to a target's `setAuthority` goes through the manager.
    function _checkNotSetAuthority(address target, bytes calldata data) private pure {
        if (data.length >= 4 && bytes4(data[:4]) == IAccessManaged.setAuthority.selector) {
            revert SovereignAuthorityFixed(target);
        }
    }

    /// @dev Rules 3 and 4 for a grant of `roleId` to `account`.
    function _checkGrant(uint64 roleId, address account, uint32 executionDelay) private view {
        if (!_isKnown(roleId)) revert SovereignUnknownRole(roleId);
        if (roleId == Roles.GOVERNOR && executionDelay < MIN_EXECUTION_DELAY) {
            revert SovereignDelayTooShort(roleId, executionDelay, MIN_EXECUTION_DELAY);
        }
        uint64 held = _conflictHeld(roleId, account);
        if (held != type(uint64).max) revert SovereignConflictingRoles(account, held, roleId);
    }

    /// @dev Rules 3 and 4 for a proposed admin.
    function _checkAdminCandidate(address newAdmin, uint32 executionDelay) private view {
        // Never the manager itself: it would be its own admin, for ever.
        if (newAdmin == address(0) || newAdmin == admin || newAdmin == address(this)) {
            revert SovereignInvalidAdmin(newAdmin);
        }
        if (executionDelay < MIN_EXECUTION_DELAY) {
            revert SovereignDelayTooShort(ADMIN_ROLE, executionDelay, MIN_EXECUTION_DELAY);
        }
        uint64 held = _conflictHeld(ADMIN_ROLE, newAdmin);
        if (held != type(uint64).max) revert SovereignConflictingRoles(newAdmin, held, ADMIN_ROLE);
    }

    /// @dev A role `account` holds (granted, or granted and not yet active) that may
    /// not be combined with `roleId`, or type(uint64).max for none. The admin role
    /// counts as held by the admin and by the pending admin.
    function _conflictHeld(uint64 roleId, address account) private view returns (uint64) {
        if (_isGoverning(roleId)) {
            for (uint64 role = Roles.MINTER; role <= Roles.LAST; ++role) {
                if (_holds(role, account)) return role;
            }
        } else if (_isOperating(roleId)) {
            if (account == admin || account == pendingAdmin) return ADMIN_ROLE;
            if (_holds(Roles.GOVERNOR, account)) return Roles.GOVERNOR;
            if (roleId == Roles.GUARDIAN) {
                for (uint64 role = Roles.MINTER; role <= Roles.LAST; ++role) {
                    if (role != Roles.GUARDIAN && _holds(role, account)) return role;
                }
            } else if (_holds(Roles.GUARDIAN, account)) {
                return Roles.GUARDIAN;
            }
            if (roleId == Roles.MINTER && _holds(Roles.ORACLE_REPORTER, account)) return Roles.ORACLE_REPORTER;
            if (roleId == Roles.ORACLE_REPORTER && _holds(Roles.MINTER, account)) return Roles.MINTER;
        }
        // Admin and governor are one duty and may be combined (the governor's account is the admin).
        return type(uint64).max;
    }

    /// @dev Granted (active or after a grant delay), or scheduled to be granted.
    function _holds(uint64 roleId, address account) private view returns (bool) {
        (uint48 since,,,) = getAccess(roleId, account);
        return since != 0 || _pendingGrantUntil[account][roleId] >= block.timestamp;
    }

    /// @dev The admin role and the roles of `Roles` (1 to LAST); not the public role.
    function _isKnown(uint64 roleId) private pure returns (bool) {
        return roleId <= Roles.LAST;
    }

    function _isGoverning(uint64 roleId) private pure returns (bool) {
        return roleId == ADMIN_ROLE || roleId == Roles.GOVERNOR;
    }

    /// @dev Every role but the admin's and the governor's (Roles 2 to LAST).
    function _isOperating(uint64 roleId) private pure returns (bool) {
        return roleId >= Roles.MINTER && roleId <= Roles.LAST;
    }
}
