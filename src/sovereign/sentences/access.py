"""Governance: OpenZeppelin's AccessManaged and AccessManager, and SovereignAccessManager."""

from __future__ import annotations

from sovereign.sentences._fmt import ZERO_ADDRESS, Entry, Fmt


def _not_pending(i: dict, f: Fmt) -> str:
    if str(i["pendingAdmin"]).lower() == ZERO_ADDRESS:
        return (
            f"no admin transfer is pending, so {f.addr(i['caller'])} cannot accept one: "
            "the admin proposes its successor first (beginAdminTransfer)"
        )
    return (
        f"{f.addr(i['caller'])} is not the pending admin {f.addr(i['pendingAdmin'])}: "
        "only the proposed admin accepts the transfer"
    )


SENTENCES: dict[str, Entry] = {
    # ---------------------------------------------------------------- AccessManaged
    "AccessManagedInvalidAuthority": lambda i, f: (
        f"{f.addr(i['authority'])} cannot be this contract's authority: it is not a deployed "
        "AccessManager"
    ),
    "AccessManagedRequiredDelay": lambda i, f: (
        f"{f.addr(i['caller'])} holds the role for this function with an execution delay of "
        f"{f.duration(i['delay'])}: the call must be scheduled on the AccessManager and executed "
        "once the delay has passed (run the same command again after it)"
    ),
    "AccessManagedUnauthorized": lambda i, f: (
        f"{f.addr(i['caller'])} lacks the role for this function: send it from the account that "
        "holds the role (ape treasury roles show)"
    ),
    # ---------------------------------------------------------------- AccessManager
    "AccessManagerAlreadyScheduled": lambda i, f: (
        f"operation {f.ident(i['operationId'])} is already scheduled: execute it once its delay "
        "has passed, or a guardian cancels it before it is scheduled again"
    ),
    "AccessManagerBadConfirmation": lambda i, f: (
        "renouncing a role must name the caller itself as the account (the confirmation)"
    ),
    "AccessManagerExpired": lambda i, f: (
        f"operation {f.ident(i['operationId'])} expired: it was not executed within the "
        "expiration period after its delay; schedule it again (run the same command again)"
    ),
    "AccessManagerInvalidInitialAdmin": lambda i, f: (
        f"the AccessManager's initial admin cannot be {f.addr(i['initialAdmin'])}"
    ),
    "AccessManagerLockedFunction": lambda i, f: (
        f"{f.fn(i['selector'])} cannot be assigned to a role: it is a contract's setAuthority, "
        "which no role may call (in this system no contract ever changes manager)"
    ),
    "AccessManagerLockedRole": lambda i, f: (
        f"{f.role(i['roleId'])} is locked: its label, admin, guardian and grant delay cannot "
        "be changed, nor can it be granted or revoked this way"
    ),
    "AccessManagerNotReady": lambda i, f: (
        f"operation {f.ident(i['operationId'])} is scheduled but its delay has not passed yet: "
        "run the same command again once it has (the manager's getSchedule gives the time)"
    ),
    "AccessManagerNotScheduled": lambda i, f: (
        f"operation {f.ident(i['operationId'])} is not scheduled (never, or already executed or "
        "cancelled): schedule it first (the first run of a delayed command schedules it)"
    ),
    "AccessManagerUnauthorizedAccount": lambda i, f: (
        f"{f.addr(i['msgsender'])} does not hold {f.role(i['roleId'])} this call needs: send it "
        "from the account that holds it"
    ),
    "AccessManagerUnauthorizedCall": lambda i, f: (
        f"{f.addr(i['caller'])} may not call {f.fn(i['selector'])} on {f.addr(i['target'])}: "
        "it lacks the role, or it scheduled the call earlier than its execution delay allows, "
        "or the call needs no schedule"
    ),
    "AccessManagerUnauthorizedCancel": lambda i, f: (
        f"{f.addr(i['msgsender'])} may not cancel the call to {f.fn(i['selector'])} on "
        f"{f.addr(i['target'])} scheduled by {f.addr(i['caller'])}: only its scheduler, the "
        "admin or a guardian may (and a guardian not its own removal)"
    ),
    "AccessManagerUnauthorizedConsume": lambda i, f: (
        f"{f.addr(i['target'])} may not consume a scheduled operation: only the target of the "
        "operation being executed may"
    ),
    # ---------------------------------------------------------------- SovereignAccessManager
    "SovereignAdminLockout": lambda i, f: (
        f"the admin role of {f.addr(i['account'])} cannot be revoked or renounced: it moves only "
        "by an admin transfer (beginAdminTransfer, then acceptAdminTransfer by the successor)"
    ),
    "SovereignAdminTransferRequired": lambda i, f: (
        "the admin role cannot be granted directly: the admin proposes its successor "
        "(beginAdminTransfer) and the successor accepts (acceptAdminTransfer)"
    ),
    "SovereignAuthorityFixed": lambda i, f: (
        f"{f.addr(i['target'])} answers to this AccessManager for ever: its authority cannot be "
        "changed (a successor system is deployed beside this one instead)"
    ),
    "SovereignConflictingRoles": lambda i, f: (
        f"{f.addr(i['account'])} holds {f.role(i['heldRole'])} (granted or scheduled), which may "
        f"not be combined with {f.role(i['requestedRole'])}: revoke it (or cancel its scheduled "
        "grant) first, or choose another account"
    ),
    "SovereignDelayTooShort": lambda i, f: (
        f"{f.role(i['roleId'])} must be held with an execution delay of at least "
        f"{f.duration(i['minimum'])}, {f.duration(i['executionDelay'])} asked: give a longer delay"
    ),
    "SovereignFixedRoleAdmin": lambda i, f: (
        f"the admin of {f.role(i['roleId'])} cannot be changed: the admin administers every role"
    ),
    "SovereignFunctionLocked": lambda i, f: (
        f"{f.fn(i['selector'])} on {f.addr(i['target'])} is held by {f.role(i['currentRole'])} "
        f"and may not be moved to {f.role(i['requestedRole'])}: a function is delegated once "
        "(then only between the admin and the governor), and the manager's own functions stay "
        "the admin's"
    ),
    "SovereignGuardianRemovalTooSoon": lambda i, f: (
        f"a guardian's removal must be scheduled for {f.when(i['earliest'])} or later (seven "
        f"days' public notice), not {f.when(i['when'])}: schedule it again with a later time"
    ),
    "SovereignInvalidAdmin": lambda i, f: (
        f"{f.addr(i['proposed'])} cannot be the next admin: it is the zero address, the current "
        "admin or the AccessManager itself"
    ),
    "SovereignNotPendingAdmin": _not_pending,
    "SovereignUnknownRole": lambda i, f: (
        f"{f.role(i['roleId'])} is not one of the system's roles (admin and roles 1 to 11; the "
        "public role is never used)"
    ),
}
