"""A governance state machine: random sequences of everything the SovereignAccessManager
offers, tried by every role holder and an outsider, with time travel; and the single
cases of the audit issue as plain tests.

The machine (``GovernanceMachine``) starts every example from the deployed system
(tests/conftest.py ``system``: the governor's account is the admin, holding ADMIN_ROLE
and GOVERNOR with 1-day execution delays; every other holder its one role without a
delay) plus a second, foreign SovereignAccessManager that the governor's key deployed
and administers (as its initial admin, without a delay; the reserve's functions are
unmapped there, so they are that admin's): where a hostile authority move would take
the reserve.

What the contract changed, and so the model (the holes this machine found, now closed):
  a. separation of duties covers every role: the admin, the pending admin and a holder
     (or scheduled grantee) of GOVERNOR hold none of roles 2..11 (minter, burner,
     guardian, compliance, oracle reporter, reserve manager, registrar, central bank, debt
     office, vault manager), both ways; SovereignConflictingRoles names the first held
     role in increasing id order (heldRole 0: the admin or pending admin). Before, the
     reserve manager (and 8..11) was free, so the governor could take RESERVE_MANAGER
     without a delay and be handed Reserve.mint or beginAdminTransfer by a remap;
  b. a function is delegated once: setTargetFunctionRole refuses unknown roles (PUBLIC
     included: SovereignUnknownRole) first, then the manager's own functions and any
     function mapped before (deployment wiring included) unless it moves between ADMIN and
     GOVERNOR (SovereignFunctionLocked(target, selector, currentRole, requestedRole)); a
     never-mapped function may be mapped once, to any known role. Before, Reserve.mint
     could be remapped from MINTER to GUARDIAN or RESERVE_MANAGER, and
     manager.beginAdminTransfer to any role (the admin then moved without a schedule);
  c. beginAdminTransfer to the manager itself is refused (SovereignInvalidAdmin): it
     could become its own admin, a lock-out;
  d. updateAuthority always reverts SovereignAuthorityFixed(target), for everyone (it is
     pure): the reserve cannot be moved to the governor's foreign manager that way.
  e. the managed contracts' own AccessManaged.setAuthority, which OpenZeppelin's canCall
     gives to ADMIN_ROLE on every target, is refused by schedule and execute
     (SovereignAuthorityFixed): before, execute(reserve, setAuthority(foreign)), scheduled
     by the admin, moved the reserve after the admin's delay and the governor's key then
     minted at once under its own manager (found by this machine);
  f. the guardian, the veto, holds no other role either (SovereignConflictingRoles):
     before, a guardian granted MINTER minted at once and could cancel its own removal
     from that role (found by this machine).
Rules (a step each; an actor is any of the eleven role holders, the deployer, alice
(a fresh account, a candidate admin) or mallory (the outsider)):
  - one rule per family of governance acts, each a whole cycle: admin_grants,
    admin_revokes, admin_removes_a_guardian (for its 7-day notice; the guardian's veto
    of its own removal is refused, and the removal then stays live),
    admin_remaps_a_function, admin_moves_an_authority, admin_sets_a_grant_delay,
    (updateAuthority, or Reserve.setAuthority executed through the manager),
    admin_proposes_a_successor (and, optionally, the candidate accepts),
    admin_withdraws_or_accepts_through_the_manager and governor_sets_an_allowance: the
    admin (the governor for Reserve.setMinterAllowance) schedules the act; its execution
    is probed one second before it is ready (AccessManagerNotReady) and at its expiry
    (AccessManagerExpired); the clock moves to the second it is ready; then the guardian
    cancels it (and its execution is refused) or the scheduler executes it;
  - admin_schedules: the admin (or the governor) schedules any act and leaves it live;
  - anyone_schedules: any actor schedules any act, as soon as allowed, one second too
    soon, or later;
  - anyone_executes: any actor executes a scheduled act (its own or another's);
  - anyone_calls_directly: any actor calls the function itself, not through execute
    (acceptAdminTransfer and renounceRole included; for a delayed holder this consumes
    a ready schedule, or reverts);
  - anyone_cancels: any actor cancels a scheduled act;
  - guardian_cancels: the guardian cancels a live act; its execution is then refused
    (AccessManagerNotScheduled, or the caller's missing permission), at once and at its
    time;
  - travel_to_an_operation: to the second before / exactly at a scheduled act's time, to
    the last second before its 1-week expiry, or past it; wait: 1 s to 8 days;
  - anyone_mints: any actor calls Reserve.mint (1 coin to the licensed exchange).
Acts: grantRole / revokeRole (governor, minter, burner, guardian, compliance, oracle
reporter, reserve manager, registrar, ADMIN_ROLE, PUBLIC_ROLE; to role holders, alice,
mallory, the deployer; execution delays 0, 30 min, 1 h, 1 day); a guardian's removal (by
the admin for its 7-day notice; by anyone as soon as allowed, one second short of the
notice, or at it); setTargetFunctionRole (Reserve.mint and Reserve.setMinterAllowance
and Reserve.setRedemptionFee, mapped at deployment; the never-mapped Reserve.redeem; the
manager's own beginAdminTransfer and the locked Reserve.setAuthority; to PUBLIC, ADMIN,
governor, minter, burner, guardian or reserve manager); updateAuthority (the reserve or
the stablecoin, to the foreign manager, to this manager, or to an account without code:
always refused); Reserve.setAuthority (same candidates); setGrantDelay; the admin
transfer (beginAdminTransfer to alice, mallory, a role holder, the admin itself, zero,
the manager itself, the deployer or the registrar, delays 0 to 1 day;
cancelAdminTransfer; acceptAdminTransfer as an operation the admin schedules);
renounceRole; Reserve.setMinterAllowance.

Every call's outcome is predicted first by a Python model of the manager (OpenZeppelin
AccessManager 5.x with the Sovereign rules: roles and their delays, pending delay
changes, grant delays, scheduled grants that count as held, function roles and whether
each was ever mapped (read from the deployment's TargetFunctionRoleUpdated events: only
known roles, the manager's own functions never, a mapped function only between ADMIN and
GOVERNOR), authorities (updateAuthority refused; the reserve's setAuthority by its
authority only), schedules and nonces, the guardian-removal notice, the admin transfer, minter
allowances), exactly: success, or the custom error and all its arguments (e.g.
SovereignConflictingRoles(account, heldRole, requestedRole) when the conflicting grant
is *scheduled*, SovereignDelayTooShort, SovereignUnknownRole, SovereignFunctionLocked,
SovereignGuardianRemovalTooSoon, SovereignInvalidAdmin, SovereignAuthorityFixed,
AccessManagerUnauthorizedCall / ...Account /
...Cancel, NotScheduled / NotReady / Expired / AlreadyScheduled with the operation id).
The one loose prediction: a permitted mint within its allowance may still fail the
collateral ratio (ReserveCollateralRatioTooLow; the bond's price goes stale with time
travel). A call predicted to revert is only simulated (eth_call at the exact timestamp
the transaction would get), never sent, so it moves nothing.

Invariants, after every step, read from the chain:
  0. the chain equals the model: every (role, account) access (since, current delay,
     pending delay, effect), grant delays, the function roles, the authorities, admin,
     pending admin and its delay, every schedule and nonce, canCall of Reserve.mint and
     Reserve.setMinterAllowance for every account, every minter allowance;
  1. no account ever holds two conflicting roles: the admin, the pending admin or a
     holder of GOVERNOR (granted, even if not yet active) holds none of roles 2..11
     (every role is read, for every account); no minter is also the oracle reporter;
  2. every live scheduled operation (getSchedule != 0) can be cancelled by the
     guardian: an eth_call of cancel(caller, target, data) from every account holding
     the guardian role succeeds; the one exception the contract makes, a guardian's
     own removal, is refused to that guardian only (AccessManagerUnauthorizedCancel),
     and such a removal always runs at least GUARDIAN_REMOVAL_NOTICE (7 days) after it
     was scheduled (states without any guardian, which only a renouncement or a
     removal nobody vetoed can produce, are counted);
  3. no key gets the power to mint without a veto window: for every account, if the
     reserve's authority answers canCall(account, reserve, mint) with immediate = true,
     the account is not the admin, not the pending admin, holds neither ADMIN_ROLE nor
     GOVERNOR, and is not the guardian; and whenever an account becomes able to call
     Reserve.mint or Reserve.setMinterAllowance immediately, every change that got it
     there (the reserve's authority, the function's role, the account's grant and its
     delay) was made by an operation scheduled with a delay of at least 1 hour (the
     ghost records, per capability, when it appeared and the schedules behind it);
  4. there is one admin, and it can act: admin() holds ADMIN_ROLE, no other account
     does, the admin is never the AccessManager itself (which could then never call
     anything again: a lock-out), and whoever is admin was proposed by a
     beginAdminTransfer scheduled with a delay of at least 1 hour (ghost state);
and, checked at each call: every state-changing manager operation (grant, revoke,
function role, authority, grant delay, admin transfer) that succeeds for the admin or
a governor consumed a schedule of at least 1 hour; a direct call without one reverts
(AccessManagerNotScheduled / NotReady / Expired, predicted exactly).

Settings: the loaded profile (quick or deep), less hypothesis's explain phase and
example database (see test_governance_machine for why).
Speed: the steps talk JSON-RPC directly (tests/utils/audit.py ``rpc``/``transact``
from Anvil's unlocked accounts), the invariants read in two batched requests per step.
Isolation: the ``isolated()`` pattern of tests/utils/audit.py, split over the
example: a snapshot in ``__init__``, restored in ``teardown()`` (hypothesis calls it
when a step fails, too); ape's ``chain.isolate()`` would swallow assertion errors.
A JSON summary (examples, steps, rules fired, outcomes, invariant checks, capability
appearances) goes to reports/governance-<profile>.json (profile: SOVEREIGN_PROFILE).

The plain tests below: the guardian cancels a scheduled grantRole, revokeRole,
setTargetFunctionRole (Reserve.setRedemptionFee, GOVERNOR -> ADMIN), beginAdminTransfer
and setGrantDelay (to the last second; the control runs it); updateAuthority is refused
to everyone, directly and when executed (its schedule can still be cancelled);
conflicting grants and admin proposals are refused when scheduled, naming both roles
(and at execution when the conflict arose later); short delays are refused when
scheduled; the governor's direct calls need a schedule. Then the holes the machine
found, each as its minimal sequence, now asserting the exact refusal that closes it and
the invariant it broke (a case fails while a hole is open; see their docstrings):
test_no_governance_sequence_lets_the_governor_or_guardian_mint_immediately (6 cases),
test_admin_is_never_handed_to_the_manager_itself,
test_admin_moves_only_through_a_scheduled_proposal__even_after_a_function_remap (3).
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import ape
import pytest
from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address, to_hex
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from sovereign.limits import EXPIRATION, GUARDIAN_REMOVAL_NOTICE, MIN_EXECUTION_DELAY, MIN_SETBACK
from sovereign.preflight import decode_revert
from sovereign.roles import CONTRACT_ROLES as _CONTRACT_ROLES
from sovereign.roles import FUNCTION_ROLES, Role
from sovereign.units import text_to_bytes32
from tests.utils.audit import (
    assert_reverts,
    delayed,
    deploy,
    isolated,
    mine_at,
    read,
    revert_of,
    rpc,
    send,
    transact,
)
from tests.utils.constants import DAY, PROFILE, REPORTS, ZERO, ZERO_ID

ADMIN, PUBLIC = int(Role.ADMIN), int(Role.PUBLIC)
GOVERNOR, MINTER, BURNER = int(Role.GOVERNOR), int(Role.MINTER), int(Role.BURNER)
GUARDIAN, COMPLIANCE, REPORTER = int(Role.GUARDIAN), int(Role.COMPLIANCE), int(Role.ORACLE_REPORTER)
RESERVE_MANAGER, REGISTRAR = int(Role.RESERVE_MANAGER), int(Role.REGISTRAR)
LAST_ROLE = int(Role.PROGRAM_ISSUER)  # roles 0..LAST_ROLE exist (rule 5)
VAULT_MANAGER = int(Role.VAULT_MANAGER)
# Roles a deployment grants to contracts only (none of the machine's accounts).
CONTRACT_ROLES = {int(r) for r in _CONTRACT_ROLES}
# Every role but the admin's and the governor's (Roles 2..14), in the order of
# SovereignAccessManager._conflictHeld's loop (increasing id: the first held is named).
OPERATING = tuple(range(MINTER, LAST_ROLE + 1))
GOVERNING = (ADMIN, GOVERNOR)
ROLES_READ = GOVERNING + OPERATING
ROLE_NAMES = {int(r): r.name for r in Role}
COIN = 10**18

ACTORS = (
    "governor",
    "minter",
    "burner",
    "guardian",
    "compliance",
    "reporter",
    "reserve_manager",
    "registrar",
    "central_bank",
    "debt_office",
    "vault_manager",
    "commodity_office",
    "custodian",
    "mallory",
    "alice",
    "deployer",
)
ACCOUNTS = ACTORS + ("manager",)  # every account whose roles and powers are read
GRANTEES = (
    "mallory",
    "alice",
    "governor",
    "minter",
    "reporter",
    "guardian",
    "burner",
    "compliance",
    "reserve_manager",
    "registrar",
    "deployer",
)


def op_id(caller: str, target: str, data: bytes) -> bytes:
    """AccessManager.hashOperation."""
    return keccak(encode(["address", "address", "bytes"], [caller, target, bytes(data)]))


# ====================================================================== ABI


class Fn:
    """One function of a contract type: selector, encoding, decoding."""

    def __init__(self, item):
        self.name = item.name
        self.selector = keccak(text=item.selector)[:4]
        self.inputs = [i.canonical_type for i in item.inputs]
        self.outputs = [o.canonical_type for o in item.outputs]

    def encode(self, *args) -> bytes:
        return self.selector + encode(self.inputs, list(args))

    def args(self, data: bytes) -> tuple:
        return tuple(
            _clean(t, v) for t, v in zip(self.inputs, decode(self.inputs, data[4:]), strict=True)
        )

    def out(self, raw: bytes):
        values = tuple(
            _clean(t, v) for t, v in zip(self.outputs, decode(self.outputs, raw), strict=True)
        )
        return values[0] if len(values) == 1 else values


def _clean(kind: str, value):
    if kind == "address":
        return to_checksum_address(value)
    if kind == "address[]":
        return [to_checksum_address(v) for v in value]
    return value


def fast_decoder(fn: Fn):
    """``fn.out`` for outputs of static words only (uint, bool, address), without eth_abi."""
    kinds = fn.outputs
    if not all(k.startswith("uint") or k in ("bool", "address") for k in kinds):
        return fn.out

    def out(raw: bytes):
        values = []
        for i, kind in enumerate(kinds):
            word = int.from_bytes(raw[32 * i : 32 * i + 32], "big")
            if kind == "bool":
                values.append(bool(word))
            elif kind == "address":
                values.append(to_checksum_address(word.to_bytes(20, "big")))
            else:
                values.append(word)
        return values[0] if len(values) == 1 else tuple(values)

    return out


def functions(contract_type) -> dict[str, Fn]:
    out: dict[str, Fn] = {}
    for item in contract_type.abi:
        if item.type == "function" and item.name not in out:
            out[item.name] = Fn(item)
    return out


# ====================================================================== the model


class Rv(Exception):
    """A predicted revert: the custom error's name and arguments."""

    def __init__(self, name: str, *args):
        super().__init__(name, args)
        self.name, self.values = name, tuple(args)


@dataclass(frozen=True)
class Delay:
    """OpenZeppelin's Time.Delay: a value that may change to another at ``effect``."""

    before: int = 0
    after: int = 0
    effect: int = 0

    def full(self, now: int) -> tuple[int, int, int]:
        return (self.after, 0, 0) if self.effect <= now else (self.before, self.after, self.effect)

    def get(self, now: int) -> int:
        return self.full(now)[0]

    def updated(self, new: int, min_setback: int, now: int) -> Delay:
        value = self.get(now)
        setback = max(min_setback, value - new if value > new else 0)
        return Delay(value, new, now + setback)


@dataclass(frozen=True)
class Access:
    since: int
    delay: Delay
    origin: dict  # the act that made (or last changed) this grant


DEPLOY = {"how": "deploy"}


class Model:
    """What the SovereignAccessManager (and the reserve's access checks) will answer.

    Every method that changes state raises ``Rv`` for a revert; the machine runs each
    prediction on a ``clone()`` and keeps it only when the chain agrees."""

    def __init__(self, addr, sel, fns):
        self.A, self.S, self.F = addr, sel, fns
        self.access: dict[tuple[int, str], Access] = {}
        self.grant_delay: dict[int, Delay] = {}
        self.fn_role: dict[tuple[str, bytes], int] = {}
        self.fn_origin: dict[tuple[str, bytes], dict] = {}
        self.mapped: set[tuple[str, bytes]] = set()  # ever mapped (rule 5: delegated once)
        self.authority: dict[str, str] = {}
        self.auth_origin: dict[str, dict] = {}
        self.schedules: dict[bytes, tuple[int, int, int]] = {}  # id -> (timepoint, nonce, at)
        self.pending_grants: dict[tuple[str, int], int] = {}  # (account, role) -> pending until
        self.allowance: dict[str, int] = {}
        self.used_ids: set[bytes] = set()
        self.participants: set[str] = set()
        self.code: set[str] = set()
        self.admin = ZERO
        self.pending = ZERO
        self.pending_delay = 0
        self.pending_origin: dict = DEPLOY  # the act that proposed the pending admin
        self.admin_origin: dict = DEPLOY  # the act that proposed the current admin
        self.act: dict = DEPLOY
        self.ratio_unchecked = False

    def clone(self) -> Model:
        new = object.__new__(Model)
        new.__dict__.update(self.__dict__)
        for name in (
            "access",
            "grant_delay",
            "fn_role",
            "fn_origin",
            "authority",
            "auth_origin",
            "schedules",
            "allowance",
            "pending_grants",
        ):
            setattr(new, name, dict(getattr(self, name)))
        new.used_ids = set(self.used_ids)
        new.mapped = set(self.mapped)
        return new

    # ------------------------------------------------------------------ views

    def get_access(self, role: int, acct: str, now: int) -> tuple[int, int, int, int]:
        a = self.access.get((role, acct))
        return (0, 0, 0, 0) if a is None else (a.since, *a.delay.full(now))

    def has_role(self, role: int, acct: str, now: int) -> tuple[bool, int]:
        if role == PUBLIC:
            return True, 0
        a = self.access.get((role, acct))
        if a is None:
            return False, 0
        return 0 < a.since <= now, a.delay.get(now)

    def granted(self, role: int, acct: str) -> bool:
        a = self.access.get((role, acct))
        return a is not None and a.since != 0

    def holds(self, role: int, acct: str, now: int) -> bool:
        """The conflict rule's notion: granted (even if not yet active), or a grant
        scheduled that could still execute (until its time plus the expiration)."""
        return self.granted(role, acct) or self.pending_grants.get((acct, role), 0) >= now

    def grant_delay_of(self, role: int, now: int) -> int:
        return self.grant_delay.get(role, Delay()).get(now)

    def restrictions(self, data: bytes) -> tuple[bool, int, int]:
        """AccessManager._getAdminRestrictions. No target admin delay and no role admin
        other than ADMIN_ROLE is ever set here."""
        sel, S = data[:4], self.S
        if sel in S.admin_only or sel in S.admin_target:
            return True, ADMIN, 0
        if sel in (S.grantRole, S.revokeRole):
            return True, ADMIN, 0
        return False, self.fn_role.get((self.A.manager, sel), ADMIN), 0

    def can_call_self(self, caller: str, data: bytes, now: int) -> tuple[bool, int]:
        if len(data) < 4:
            return False, 0
        _, role, op_delay = self.restrictions(data)
        member, exec_delay = self.has_role(role, caller, now)
        if not member:
            return False, 0
        delay = max(op_delay, exec_delay)
        return delay == 0, delay

    def can_call(self, caller: str, target: str, sel: bytes, now: int) -> tuple[bool, int]:
        """The manager's canCall (never closed targets here)."""
        if caller == self.A.manager:
            return False, 0  # only during its own execute
        role = ADMIN if sel == self.S.setAuthority else self.fn_role.get((target, sel), ADMIN)
        member, delay = self.has_role(role, caller, now)
        return (delay == 0, delay) if member else (False, 0)

    def can_call_ext(self, caller: str, target: str, data: bytes, now: int) -> tuple[bool, int]:
        if target == self.A.manager:
            return self.can_call_self(caller, data, now)
        if len(data) < 4:
            return False, 0
        return self.can_call(caller, target, data[:4], now)

    def get_schedule(self, op: bytes, now: int) -> int:
        tp = self.schedules.get(op, (0, 0, 0))[0]
        return 0 if tp + EXPIRATION <= now else tp

    def nonce(self, op: bytes) -> int:
        return self.schedules.get(op, (0, 0, 0))[1]

    def rogue_can_call(self, acct: str) -> tuple[bool, int]:
        """The foreign manager's canCall for the reserve's functions: unmapped there, so its
        admin's (the governor's key, without a delay)."""
        return (True, 0) if acct == self.A.rogue_admin else (False, 0)

    def effective_can_call(self, acct: str, sel: bytes, now: int) -> tuple[bool, int]:
        """What the reserve's authority answers for ``acct`` calling ``sel`` on it."""
        if self.authority[self.A.reserve] == self.A.rogue:
            return self.rogue_can_call(acct)
        return self.can_call(acct, self.A.reserve, sel, now)

    def capability_origins(self, acct: str, sel: bytes, now: int) -> list[dict]:
        """The acts behind ``acct``'s immediate access to Reserve.``sel``."""
        reserve = self.A.reserve
        origins = [self.auth_origin.get(reserve, DEPLOY)]
        if self.authority[reserve] == self.A.rogue:
            return origins
        origins.append(self.fn_origin.get((reserve, sel), DEPLOY))
        role = self.fn_role.get((reserve, sel), ADMIN)
        if role != PUBLIC and (role, acct) in self.access:
            origins.append(self.access[(role, acct)].origin)
        return origins

    # ------------------------------------------------------------------ the rules

    def conflict_held(self, role: int, acct: str, now: int) -> int | None:
        if role in GOVERNING:  # the admin and the governor hold no other role (2..11)
            for held in OPERATING:
                if self.holds(held, acct, now):
                    return held
        elif role in OPERATING:
            if acct in (self.admin, self.pending):
                return ADMIN
            if self.holds(GOVERNOR, acct, now):
                return GOVERNOR
            if role == GUARDIAN:  # the veto holds no other role (2..11) either
                for held in OPERATING:
                    if held != GUARDIAN and self.holds(held, acct, now):
                        return held
            elif self.holds(GUARDIAN, acct, now):
                return GUARDIAN
            if role == MINTER and self.holds(REPORTER, acct, now):
                return REPORTER
            if role == REPORTER and self.holds(MINTER, acct, now):
                return MINTER
        return None

    def check_grant(self, role: int, acct: str, delay: int, now: int) -> None:
        if role > LAST_ROLE:
            raise Rv("SovereignUnknownRole", role)
        if role == GOVERNOR and delay < MIN_EXECUTION_DELAY:
            raise Rv("SovereignDelayTooShort", role, delay, MIN_EXECUTION_DELAY)
        held = self.conflict_held(role, acct, now)
        if held is not None:
            raise Rv("SovereignConflictingRoles", acct, held, role)

    def check_admin_candidate(self, new: str, delay: int, now: int) -> None:
        if new in (ZERO, self.admin, self.A.manager):  # never the manager itself
            raise Rv("SovereignInvalidAdmin", new)
        if delay < MIN_EXECUTION_DELAY:
            raise Rv("SovereignDelayTooShort", ADMIN, delay, MIN_EXECUTION_DELAY)
        held = self.conflict_held(ADMIN, new, now)
        if held is not None:
            raise Rv("SovereignConflictingRoles", new, held, ADMIN)

    def consume(self, op: bytes, now: int) -> None:
        tp, nonce, at = self.schedules.get(op, (0, 0, 0))
        if tp == 0:
            raise Rv("AccessManagerNotScheduled", op)
        if tp > now:
            raise Rv("AccessManagerNotReady", op)
        if tp + EXPIRATION <= now:
            raise Rv("AccessManagerExpired", op)
        self.schedules[op] = (0, nonce, at)
        self.act = {**self.act, "how": "scheduled", "delay": tp - at, "scheduled_at": at}

    def authorize(self, sender: str, data: bytes, now: int) -> None:
        """AccessManager._checkAuthorized (onlyAuthorized)."""
        if sender == self.A.manager:
            return  # inside execute(manager, data): the manager is executing this very call
        immediate, delay = self.can_call_self(sender, data, now)
        if immediate:
            return
        if delay == 0:
            raise Rv("AccessManagerUnauthorizedAccount", sender, self.restrictions(data)[1])
        self.consume(op_id(sender, self.A.manager, data), now)

    def grant(self, role: int, acct: str, grant_delay: int, exec_delay: int, now: int) -> None:
        if not (role == ADMIN and self.admin == ZERO):
            self.check_grant(role, acct, exec_delay, now)
        if role == PUBLIC:
            raise Rv("AccessManagerLockedRole", role)
        a = self.access.get((role, acct))
        if a is None or a.since == 0:
            self.access[(role, acct)] = Access(now + grant_delay, Delay(0, exec_delay, 0), self.act)
        else:  # no setback on a re-grant: a lower delay applies after the difference
            self.access[(role, acct)] = Access(
                a.since, a.delay.updated(exec_delay, 0, now), self.act
            )

    def revoke(self, role: int, acct: str) -> None:
        if role == ADMIN:
            raise Rv("SovereignAdminLockout", acct)
        if role == PUBLIC:
            raise Rv("AccessManagerLockedRole", role)
        self.access.pop((role, acct), None)

    # ------------------------------------------------------------------ entry points

    def schedule(self, caller: str, target: str, data: bytes, when: int, now: int) -> None:
        S, F = self.S, self.F
        if data[:4] == S.setAuthority:  # rule 6: never through the manager, for anyone
            raise Rv("SovereignAuthorityFixed", target)
        grantee, granted_role = ZERO, None
        if target == self.A.manager and len(data) >= 4:
            if data[:4] == S.grantRole:
                granted_role, grantee, delay = F.grantRole.args(data)
                if granted_role == ADMIN:
                    raise Rv("SovereignAdminTransferRequired")
                self.check_grant(granted_role, grantee, delay, now)
            elif data[:4] == S.beginAdminTransfer:
                self.check_admin_candidate(*F.beginAdminTransfer.args(data), now)
            elif data[:4] == S.revokeRole:
                role, _ = F.revokeRole.args(data)
                if role == GUARDIAN and when < now + GUARDIAN_REMOVAL_NOTICE:
                    raise Rv("SovereignGuardianRemovalTooSoon", when, now + GUARDIAN_REMOVAL_NOTICE)
        _, setback = self.can_call_ext(caller, target, data, now)
        min_when = now + setback
        if setback == 0 or 0 < when < min_when:
            raise Rv("AccessManagerUnauthorizedCall", caller, target, data[:4])
        op = op_id(caller, target, data)
        tp, nonce, _ = self.schedules.get(op, (0, 0, 0))
        if tp != 0 and tp + EXPIRATION > now:
            raise Rv("AccessManagerAlreadyScheduled", op)
        self.schedules[op] = (max(when, min_when), nonce + 1, now)
        if grantee != ZERO:  # a scheduled grant counts as held until it can no longer run
            self.pending_grants[(grantee, granted_role)] = max(when, min_when) + EXPIRATION

    def execute(self, caller: str, target: str, data: bytes, now: int) -> None:
        if data[:4] == self.S.setAuthority:  # rule 6, before any authorization
            raise Rv("SovereignAuthorityFixed", target)
        immediate, setback = self.can_call_ext(caller, target, data, now)
        if not immediate and setback == 0:
            raise Rv("AccessManagerUnauthorizedCall", caller, target, data[:4])
        op = op_id(caller, target, data)
        if setback != 0 or self.get_schedule(op, now) != 0:
            self.consume(op, now)
        self.call(self.A.manager, target, data, now)

    def cancel(self, sender: str, caller: str, target: str, data: bytes, now: int) -> None:
        op = op_id(caller, target, data)
        tp, nonce, at = self.schedules.get(op, (0, 0, 0))
        if tp == 0:
            raise Rv("AccessManagerNotScheduled", op)
        if not self.can_cancel(sender, caller, target, data, now):
            raise Rv("AccessManagerUnauthorizedCancel", sender, caller, target, data[:4])
        self.schedules[op] = (0, nonce, at)
        if target == self.A.manager and data[:4] == self.S.grantRole:
            role, account, _ = self.F.grantRole.args(data)
            self.pending_grants.pop((account, role), None)  # a cancelled grant stops counting

    def can_cancel(self, sender: str, caller: str, target: str, data: bytes, now: int) -> bool:
        if sender == caller:
            return True
        # The admin; the guardian of the target function's role (every role's guardian
        # is ADMIN_ROLE here, so the same check); then the Sovereign rule: a guardian,
        # except for its own removal.
        if self.has_role(ADMIN, sender, now)[0]:
            return True
        if not self.has_role(GUARDIAN, sender, now)[0]:
            return False
        return not self.own_removal(sender, target, data)

    def own_removal(self, guardian: str, target: str, data: bytes) -> bool:
        if target != self.A.manager or data[:4] != self.S.revokeRole:
            return False
        role, account = self.F.revokeRole.args(data)
        return role == GUARDIAN and account == guardian

    def call(self, sender: str, target: str, data: bytes, now: int) -> None:
        """``sender`` calls ``target`` with ``data`` (the manager itself inside execute)."""
        if target == self.A.manager:
            self.manager_function(sender, data, now)
        elif target == self.A.reserve:
            self.reserve_function(sender, data, now)
        else:
            raise AssertionError(f"no model of calls to {target}")

    def manager_function(self, sender: str, data: bytes, now: int) -> None:
        S, F, sel = self.S, self.F, data[:4]
        if sel == S.grantRole:
            role, acct, delay = F.grantRole.args(data)
            if role == ADMIN:
                raise Rv("SovereignAdminTransferRequired")
            self.authorize(sender, data, now)
            self.grant(role, acct, self.grant_delay_of(role, now), delay, now)
        elif sel == S.revokeRole:
            role, acct = F.revokeRole.args(data)
            self.authorize(sender, data, now)
            self.revoke(role, acct)
        elif sel == S.renounceRole:
            role, confirmation = F.renounceRole.args(data)
            if confirmation != sender:
                raise Rv("AccessManagerBadConfirmation")
            self.revoke(role, confirmation)
        elif sel == S.setTargetFunctionRole:
            target, selectors, role = F.setTargetFunctionRole.args(data)
            self.authorize(sender, data, now)
            for s in selectors:
                if role > LAST_ROLE:
                    raise Rv("SovereignUnknownRole", role)
                current = self.fn_role.get((target, s), ADMIN)
                # Delegated once: the manager's own functions never; a function mapped
                # before only between the admin and the governor.
                if target == self.A.manager or (
                    (target, s) in self.mapped and not (current in GOVERNING and role in GOVERNING)
                ):
                    raise Rv("SovereignFunctionLocked", target, s, current, role)
                if s == S.setAuthority:
                    raise Rv("AccessManagerLockedFunction", s)
                self.mapped.add((target, s))
                self.fn_role[(target, s)] = role
                self.fn_origin[(target, s)] = self.act
        elif sel == S.updateAuthority:  # rule 6: refused, whoever asks (a pure function)
            target, _ = F.updateAuthority.args(data)
            raise Rv("SovereignAuthorityFixed", target)
        elif sel == S.setGrantDelay:
            role, delay = F.setGrantDelay.args(data)
            self.authorize(sender, data, now)
            if role == PUBLIC:
                raise Rv("AccessManagerLockedRole", role)
            self.grant_delay[role] = self.grant_delay.get(role, Delay()).updated(
                delay, MIN_SETBACK, now
            )
        elif sel == S.beginAdminTransfer:
            new, delay = F.beginAdminTransfer.args(data)
            self.authorize(sender, data, now)
            self.check_admin_candidate(new, delay, now)
            self.pending, self.pending_delay, self.pending_origin = new, delay, self.act
        elif sel == S.cancelAdminTransfer:
            self.authorize(sender, data, now)
            self.pending, self.pending_delay = ZERO, 0
        elif sel == S.acceptAdminTransfer:
            new = self.pending
            if sender != new or new == ZERO:
                raise Rv("SovereignNotPendingAdmin", sender, new)
            previous, delay = self.admin, self.pending_delay
            self.admin, self.pending, self.pending_delay = new, ZERO, 0
            self.admin_origin = self.pending_origin
            self.grant(ADMIN, new, 0, delay, now)
            self.access.pop((ADMIN, previous), None)  # the base revoke: no lock-out check
        else:
            raise AssertionError(f"no model of manager function {sel.hex()}")

    def reserve_permission(self, sender: str, data: bytes, now: int) -> None:
        """AccessManaged.restricted on the reserve."""
        if self.authority[self.A.reserve] == self.A.rogue:
            if self.rogue_can_call(sender)[0]:
                return
            raise Rv("AccessManagedUnauthorized", sender)  # no delays there: refused
        if sender == self.A.manager:
            return  # through the manager's execute of this very call
        immediate, delay = self.can_call(sender, self.A.reserve, data[:4], now)
        if immediate:
            return
        if delay == 0:
            raise Rv("AccessManagedUnauthorized", sender)
        self.consume(op_id(sender, self.A.reserve, data), now)  # consumeScheduledOp

    def reserve_function(self, sender: str, data: bytes, now: int) -> None:
        S, F, sel = self.S, self.F, data[:4]
        if sel == S.setAuthority:  # AccessManaged.setAuthority: not restricted, its own check
            (new,) = F.setAuthority.args(data)
            if sender != self.authority[self.A.reserve]:
                raise Rv("AccessManagedUnauthorized", sender)
            if new not in self.code:
                raise Rv("AccessManagedInvalidAuthority", new)
            self.authority[self.A.reserve] = new
            self.auth_origin[self.A.reserve] = self.act
            return
        self.reserve_permission(sender, data, now)
        if sel == S.setMinterAllowance:
            minter, amount = F.setMinterAllowance.args(data)
            if minter == ZERO:
                raise Rv("ReserveInvalidAddress", minter)
            self.allowance[minter] = amount
        elif sel == S.mint:
            to, amount, instruction = F.mint.args(data)
            if amount == 0:
                raise Rv("ReserveZeroAmount")
            if instruction == ZERO_ID:
                raise Rv("ReserveInvalidInstructionId")
            if instruction in self.used_ids:
                raise Rv("ReserveInstructionAlreadyExecuted", instruction)
            if to not in self.participants:
                raise Rv("ReserveNotParticipant", to)
            allowance = self.allowance.get(sender, 0)
            if amount > allowance:
                raise Rv("ReserveMinterAllowanceExceeded", sender, amount, allowance)
            self.used_ids.add(instruction)
            self.allowance[sender] = allowance - amount
            self.ratio_unchecked = True  # the collateral ratio is the chain's to judge
        else:
            raise AssertionError(f"no model of reserve function {sel.hex()}")


# ====================================================================== strategies

# The first choice of each is what hypothesis's first (all-zero) example runs: a
# plausible governance act, not an error case.
GRANT_ROLES = (
    MINTER,
    GOVERNOR,
    GUARDIAN,
    BURNER,
    COMPLIANCE,
    REPORTER,
    RESERVE_MANAGER,
    REGISTRAR,
    ADMIN,
    PUBLIC,
)
EXEC_DELAYS = (0, MIN_EXECUTION_DELAY, DAY, 1_800)
FN_KEYS = (
    "Reserve.mint",  # mapped to MINTER at deployment: locked
    "Reserve.setMinterAllowance",  # mapped to GOVERNOR: may move to ADMIN and back
    "Reserve.setRedemptionFee",  # the same
    "Reserve.redeem",  # never mapped (public by its code): may be mapped once, to any role
    "manager.beginAdminTransfer",  # the manager's own: locked
    "Reserve.setAuthority",  # OpenZeppelin's AccessManagerLockedFunction
)
MAP_ROLES = (BURNER, PUBLIC, GUARDIAN, GOVERNOR, ADMIN, MINTER, RESERVE_MANAGER)
CANDIDATES = (
    "alice",
    "mallory",
    "minter",
    "guardian",
    "governor",
    "zero",
    "manager",
    "deployer",
    "registrar",
)

OPERATIONS = st.one_of(
    st.tuples(
        st.just("grantRole"),
        st.sampled_from(GRANT_ROLES),
        st.sampled_from(GRANTEES),
        st.sampled_from(EXEC_DELAYS),
    ),
    st.tuples(
        st.just("setTargetFunctionRole"), st.sampled_from(FN_KEYS), st.sampled_from(MAP_ROLES)
    ),
    st.tuples(
        st.just("beginAdminTransfer"), st.sampled_from(CANDIDATES), st.sampled_from(EXEC_DELAYS)
    ),
    st.tuples(
        st.just("updateAuthority"),
        st.sampled_from(("reserve", "stablecoin")),
        st.sampled_from(("rogue", "manager", "mallory")),
    ),
    st.tuples(st.just("setAuthority"), st.sampled_from(("rogue", "manager", "mallory"))),
    st.tuples(
        st.just("setMinterAllowance"),
        st.sampled_from(("minter", "mallory", "alice", "governor", "burner", "zero")),
        st.sampled_from((10**24, 0)),
    ),
    st.tuples(st.just("revokeRole"), st.sampled_from(GRANT_ROLES), st.sampled_from(GRANTEES)),
    st.tuples(
        st.just("setGrantDelay"),
        st.sampled_from((MINTER, GOVERNOR, GUARDIAN, PUBLIC)),
        st.sampled_from((DAY, MIN_EXECUTION_DELAY, 0)),
    ),
    st.just(("acceptAdminTransfer",)),
    st.just(("cancelAdminTransfer",)),
    st.tuples(
        st.just("renounceRole"), st.sampled_from(GRANT_ROLES), st.sampled_from(("self",) + GRANTEES)
    ),
)
ACTOR = st.sampled_from(ACTORS)
INDEX = st.integers(min_value=0, max_value=63)


@dataclass(frozen=True)
class Operation:
    kind: str
    target: str
    data: bytes
    desc: str


@dataclass
class Scheduled:
    caller: str
    op: Operation
    id: bytes
    timepoint: int
    scheduled_at: int


# ====================================================================== statistics


class Stats:
    def __init__(self, run_settings):
        self.settings = {
            "max_examples": run_settings.max_examples,
            "stateful_step_count": run_settings.stateful_step_count,
            "derandomize": run_settings.derandomize,
        }
        self.examples = 0
        self.steps = 0
        self.fired = Counter()
        self.outcomes: dict[str, Counter] = defaultdict(Counter)
        self.checks = Counter()
        self.executed = Counter()  # operations that changed state (executed or called directly)
        self.appearances: list[dict] = []
        self.appearance_kinds = Counter()
        self.started = time.perf_counter()

    def as_dict(self, failed: bool, error: str | None) -> dict:
        return {
            "machine": "GovernanceMachine",
            "profile": PROFILE,
            "settings": self.settings,
            "examples": self.examples,
            "steps": self.steps,
            "runtime_s": round(time.perf_counter() - self.started, 2),
            "failed": failed,
            "failure": error,
            "rules_fired": dict(sorted(self.fired.items())),
            "invariant_checks": dict(sorted(self.checks.items())),
            "state_changing_calls": dict(sorted(self.executed.items())),
            "call_outcomes": {k: dict(sorted(v.items())) for k, v in sorted(self.outcomes.items())},
            "capability_appearances": {
                "by_kind": dict(sorted(self.appearance_kinds.items())),
                "first": self.appearances[:40],
            },
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }


# ====================================================================== JSON-RPC


def head() -> tuple[int, int]:
    block = rpc("eth_getBlockByNumber", ["latest", False])["result"]
    return int(block["number"], 16), int(block["timestamp"], 16)


def simulate(sender: str, target: str, data: bytes, number: int, timestamp: int):
    """eth_call against the latest state as if mined in block ``number`` at ``timestamp``:
    None when it succeeds, else the decoded revert."""
    tx = {"from": sender, "to": target, "data": to_hex(data), "gas": hex(15_000_000)}
    response = rpc("eth_call", [tx, "latest", {}, {"number": hex(number), "time": hex(timestamp)}])
    if "error" not in response:
        return None
    return decode_revert(response["error"].get("data") or "0x")


def batch(calls: list[tuple]) -> list:
    """eth_calls at the latest block in one request: (to, data, from | None) each; returns
    ("ok", raw bytes) or ("revert", Revert) per call."""
    payload = []
    for i, (to, data, frm) in enumerate(calls):
        tx = {"to": to, "data": to_hex(data)}
        if frm is not None:
            tx["from"] = frm
        payload.append({"jsonrpc": "2.0", "id": i, "method": "eth_call", "params": [tx, "latest"]})
    if not payload:
        return []
    provider = ape.chain.provider.web3.provider
    raw = provider._make_request("batch", json.dumps(payload).encode())
    responses = sorted(json.loads(raw), key=lambda r: r["id"])
    out = []
    for r in responses:
        if "error" in r:
            out.append(("revert", decode_revert(r["error"].get("data") or "0x")))
        else:
            out.append(("ok", bytes.fromhex(r["result"][2:])))
    return out


# ====================================================================== the machine


@dataclass
class Ctx:
    who: dict  # name -> address
    names: dict  # address -> name
    A: SimpleNamespace
    S: SimpleNamespace
    F: SimpleNamespace  # manager + reserve functions
    model: Model
    caps: dict
    baseline: tuple
    reads: list | None = None  # chain_state's fixed calls, encoded once
    rogue_reads: list | None = None


class GovernanceMachine(RuleBasedStateMachine):
    """See the module docstring."""

    ctx: Ctx
    stats: Stats

    def __init__(self):
        super().__init__()
        self._snapshot = ape.chain.snapshot()  # restored in teardown()
        number, now = head()
        assert (number, now) == self.ctx.baseline, (
            f"example does not start from the baseline (isolation): {(number, now)} != "
            f"{self.ctx.baseline}"
        )
        self.stats.examples += 1
        self.who, self.names, self.A, self.S, self.F = (
            self.ctx.who,
            self.ctx.names,
            self.ctx.A,
            self.ctx.S,
            self.ctx.F,
        )
        self.model = self.ctx.model.clone()
        self.number, self.now = number, now
        self.scheduled: dict[bytes, Scheduled] = {}
        self.caps = dict(self.ctx.caps)
        self.moves = 0
        self._state_at = -1
        self._state = None
        self.mint_ids = 0
        self.rule_name = "init"

    def teardown(self):
        ape.chain.restore(self._snapshot)

    # ------------------------------------------------------------------ helpers

    def begin(self, name: str) -> None:
        self.rule_name = name
        self.moves += 1
        self.stats.steps += 1
        self.stats.fired[name] += 1

    def label(self, addr: str) -> str:
        return self.names.get(addr, addr)

    def operation(self, spec: tuple, sender: str | None = None) -> Operation:
        """The operation ``spec`` as calldata; "self" names ``sender``."""
        kind, *args = spec
        A, F, r = self.A, self.F, ROLE_NAMES
        who = dict(self.who, self=sender or self.who["governor"])
        if kind == "grantRole":
            role, grantee, delay = args
            return Operation(
                kind,
                A.manager,
                F.grantRole.encode(role, who[grantee], delay),
                f"grantRole({r[role]}, {grantee}, {delay})",
            )
        if kind == "revokeRole":
            role, grantee = args
            return Operation(
                kind,
                A.manager,
                F.revokeRole.encode(role, who[grantee]),
                f"revokeRole({r[role]}, {grantee})",
            )
        if kind == "setTargetFunctionRole":
            key, role = args
            target, sel = self.ctx.S.fn_keys[key]
            return Operation(
                kind,
                A.manager,
                F.setTargetFunctionRole.encode(target, [sel], role),
                f"setTargetFunctionRole({key}, {r[role]})",
            )
        if kind == "updateAuthority":
            target, new = args
            return Operation(
                kind,
                A.manager,
                F.updateAuthority.encode(who[target], who[new]),
                f"updateAuthority({target}, {new})",
            )
        if kind == "setAuthority":  # the reserve's own AccessManaged.setAuthority
            (new,) = args
            return Operation(
                kind, A.reserve, F.setAuthority.encode(who[new]), f"Reserve.setAuthority({new})"
            )
        if kind == "setGrantDelay":
            role, delay = args
            return Operation(
                kind,
                A.manager,
                F.setGrantDelay.encode(role, delay),
                f"setGrantDelay({r[role]}, {delay})",
            )
        if kind == "beginAdminTransfer":
            new, delay = args
            return Operation(
                kind,
                A.manager,
                F.beginAdminTransfer.encode(who[new], delay),
                f"beginAdminTransfer({new}, {delay})",
            )
        if kind in ("cancelAdminTransfer", "acceptAdminTransfer"):
            return Operation(kind, A.manager, getattr(F, kind).encode(), f"{kind}()")
        if kind == "renounceRole":
            role, account = args
            return Operation(
                kind,
                A.manager,
                F.renounceRole.encode(role, who[account]),
                f"renounceRole({r[role]}, {account})",
            )
        if kind == "setMinterAllowance":
            minter, amount = args
            return Operation(
                kind,
                A.reserve,
                F.setMinterAllowance.encode(who[minter], amount),
                f"Reserve.setMinterAllowance({minter}, {amount})",
            )
        raise AssertionError(kind)

    def attempt(self, sender: str, target: str, data: bytes, predict, what: str, kind: str):
        """Predict the call on a copy of the model, simulate it at the next second, send it
        when it passes; returns (ok, model after, revert)."""
        t = self.now + 1
        model = self.model.clone()
        model.act = {
            "how": "direct",
            "by": self.label(sender),
            "call": what,
            "step": self.moves,
            "at": t,
        }
        model.ratio_unchecked = False
        try:
            predict(model, t)
            expected = None
        except Rv as rv:
            expected = (rv.name, rv.values)
        got = simulate(sender, target, data, self.number + 1, t)
        label = "ok" if got is None else got.name
        self.stats.outcomes[f"{self.rule_name}/{kind}"][label] += 1
        context = f"{self.label(sender)}: {what} at {t}"
        if expected is None:
            if (
                got is not None
                and got.name == "ReserveCollateralRatioTooLow"
                and model.ratio_unchecked
            ):
                return False, model, got
            assert (
                got is None
            ), f"{context}: predicted success, the chain reverts {got.name}{got.inputs}"
        else:
            assert (
                got is not None
            ), f"{context}: predicted {expected[0]}{expected[1]}, the chain succeeds"
            actual = (got.name, tuple(got.inputs.values()))
            assert actual == expected, f"{context}: predicted {expected}, got {actual}"
            return False, model, got
        rpc("evm_setNextBlockTimestamp", [t])
        receipt = transact({"from": sender, "to": target, "data": to_hex(data)})
        assert receipt["status"] == "0x1", f"{context}: passed its simulation but reverted on-chain"
        self.number, self.now = int(receipt["blockNumber"], 16), t
        self.model = model
        return True, model, None

    def probe(self, sender: str, target: str, data: bytes, predict, what: str, at: int) -> None:
        """Simulate only (nothing is sent) at timestamp ``at``, against the prediction."""
        model = self.model.clone()
        model.act = {"how": "probe"}
        try:
            predict(model, at)
            expected = None
        except Rv as rv:
            expected = (rv.name, rv.values)
        got = simulate(sender, target, data, self.number + 1, at)
        self.stats.checks["probes"] += 1
        if expected is None and got is not None and got.name == "ReserveCollateralRatioTooLow":
            return
        assert (None if got is None else (got.name, tuple(got.inputs.values()))) == expected, (
            f"probe {self.label(sender)}: {what} at {at}: predicted {expected}, got "
            f"{None if got is None else (got.name, got.inputs)}"
        )

    def travel_to(self, timestamp: int) -> bool:
        """Mine an empty block at ``timestamp`` (the next transaction sees one second more)."""
        if timestamp <= self.now:
            return False
        mine_at(timestamp)
        self.number, self.now = self.number + 1, timestamp
        return True

    def delayed_holder(self, model: Model, sender: str) -> bool:
        """The admin, or an account holding GOVERNOR (the roles held with a delay)."""
        return (
            sender == model.admin or model.granted(GOVERNOR, sender) or model.granted(ADMIN, sender)
        )

    def check_needed_schedule(
        self, before: Model, after: Model, sender: str, op: Operation
    ) -> None:
        """A state-changing manager operation that succeeded for the admin or a governor
        consumed a schedule of at least MIN_EXECUTION_DELAY."""
        if op.target != self.A.manager or op.kind in ("acceptAdminTransfer", "renounceRole"):
            return
        if not self.delayed_holder(before, sender):
            return
        self.stats.checks["admin_calls_needing_a_schedule"] += 1
        assert after.act.get("how") == "scheduled" and after.act["delay"] >= MIN_EXECUTION_DELAY, (
            f"{self.label(sender)} (admin or governor) changed the manager without a schedule of "
            f">= {MIN_EXECUTION_DELAY} s: {op.desc} ({after.act})"
        )

    # ---- the four entry points, predicted

    def do_schedule(self, sender: str, op: Operation, when: int = 0):
        data = self.F.schedule.encode(op.target, op.data, when)
        ok, model, _ = self.attempt(
            sender,
            self.A.manager,
            data,
            lambda m, t: m.schedule(sender, op.target, op.data, when, t),
            f"schedule {op.desc}",
            f"schedule {op.kind}",
        )
        if ok:
            oid = op_id(sender, op.target, op.data)
            self.scheduled[oid] = Scheduled(sender, op, oid, *model.schedules[oid][::2])
        return ok

    def do_execute(self, sender: str, op: Operation):
        data = self.F.execute.encode(op.target, op.data)
        before = self.model
        ok, model, _ = self.attempt(
            sender,
            self.A.manager,
            data,
            lambda m, t: m.execute(sender, op.target, op.data, t),
            f"execute {op.desc}",
            f"execute {op.kind}",
        )
        if ok:
            self.check_needed_schedule(before, model, sender, op)
            self.stats.executed[f"execute {op.desc}"] += 1
        return ok

    def do_direct(self, sender: str, op: Operation):
        before = self.model
        ok, model, _ = self.attempt(
            sender,
            op.target,
            op.data,
            lambda m, t: m.call(sender, op.target, op.data, t),
            f"direct {op.desc}",
            f"direct {op.kind}",
        )
        if ok:
            self.check_needed_schedule(before, model, sender, op)
            self.stats.executed[f"{self.label(sender)}: {op.desc}"] += 1
        elif self.delayed_holder(before, sender) and op.target == self.A.manager:
            self.stats.checks["admin_direct_calls_refused"] += 1
        return ok

    def do_cancel(self, sender: str, rec: Scheduled):
        data = self.F.cancel.encode(rec.caller, rec.op.target, rec.op.data)
        ok, _, _ = self.attempt(
            sender,
            self.A.manager,
            data,
            lambda m, t: m.cancel(sender, rec.caller, rec.op.target, rec.op.data, t),
            f"cancel {rec.op.desc} of {self.label(rec.caller)}",
            f"cancel {rec.op.kind}",
        )
        return ok

    def probe_execute(self, rec: Scheduled, at: int, what: str) -> None:
        data = self.F.execute.encode(rec.op.target, rec.op.data)
        self.probe(
            rec.caller,
            self.A.manager,
            data,
            lambda m, t: m.execute(rec.caller, rec.op.target, rec.op.data, t),
            f"execute {rec.op.desc} ({what})",
            at,
        )

    def guardian_removal(self, op: Operation) -> bool:
        return op.kind == "revokeRole" and self.F.revokeRole.args(op.data)[0] == GUARDIAN

    def live(self) -> list[Scheduled]:
        return [r for r in self.scheduled.values() if self.model.get_schedule(r.id, self.now)]

    def pick(self, records: list, index: int):
        return records[index % len(records)]

    def actor(self, name: str) -> str:
        return self.who[name]

    def admin_actor(self) -> str:
        """The admin's account, when it is one that can send (not the manager itself)."""
        admin = self.model.admin
        return admin if self.names.get(admin) in ACTORS else self.who["governor"]

    # ------------------------------------------------------------------ rules

    def admin_sender(self, op: Operation) -> str:
        return self.who["governor"] if op.kind == "setMinterAllowance" else self.admin_actor()

    def govern(self, spec: tuple, veto: bool, accept: bool = False) -> None:
        """The admin (the governor for Reserve.setMinterAllowance) schedules ``spec``, the
        clock runs to the second it is ready (probed one second early and at its expiry),
        then the guardian vetoes it or the scheduler executes it; an admin transfer so
        executed is accepted by the candidate when ``accept``."""
        sender = self.admin_sender(self.operation(spec))
        op = self.operation(spec, sender)
        # A guardian's removal is scheduled for the earliest its public notice allows.
        when = self.now + 1 + GUARDIAN_REMOVAL_NOTICE if self.guardian_removal(op) else 0
        if not self.do_schedule(sender, op, when):
            return
        rec = self.scheduled[op_id(sender, op.target, op.data)]
        self.probe_execute(rec, rec.timepoint - 1, "one second early")
        self.probe_execute(rec, rec.timepoint + EXPIRATION, "expired")
        self.travel_to(rec.timepoint - 1)  # the next transaction runs at the timepoint
        if veto:
            if self.do_cancel(self.who["guardian"], rec):
                self.probe_execute(rec, self.now, "cancelled")
            return
        if self.do_execute(sender, op) and accept and self.model.pending != ZERO:
            candidate = self.model.pending
            if self.names.get(candidate) in ACTORS:
                self.do_direct(candidate, self.operation(("acceptAdminTransfer",)))

    # One rule per family of governance acts, each a whole cycle (see ``govern``), so that
    # every family gets its share of the steps.

    @rule(
        role=st.sampled_from(GRANT_ROLES),
        grantee=st.sampled_from(GRANTEES),
        delay=st.sampled_from(EXEC_DELAYS),
        veto=st.booleans(),
    )
    def admin_grants(self, role, grantee, delay, veto):
        self.begin("admin_grants")
        self.govern(("grantRole", role, grantee, delay), veto)

    @rule(guardian=st.sampled_from(("guardian", "alice", "mallory")), veto=st.booleans())
    def admin_removes_a_guardian(self, guardian, veto):
        """revokeRole(GUARDIAN, ...) for its 7-day notice; the guardian's veto of its own
        removal is refused (it then stays live for the invariants to see)."""
        self.begin("admin_removes_a_guardian")
        self.govern(("revokeRole", GUARDIAN, guardian), veto)

    @rule(role=st.sampled_from(GRANT_ROLES), grantee=st.sampled_from(GRANTEES), veto=st.booleans())
    def admin_revokes(self, role, grantee, veto):
        self.begin("admin_revokes")
        self.govern(("revokeRole", role, grantee), veto)

    @rule(function=st.sampled_from(FN_KEYS), role=st.sampled_from(MAP_ROLES), veto=st.booleans())
    def admin_remaps_a_function(self, function, role, veto):
        self.begin("admin_remaps_a_function")
        self.govern(("setTargetFunctionRole", function, role), veto)

    @rule(
        managed=st.sampled_from(("reserve", "stablecoin")),
        new=st.sampled_from(("rogue", "manager", "mallory")),
        veto=st.booleans(),
        path=st.sampled_from(("updateAuthority", "setAuthority")),
    )
    def admin_moves_an_authority(self, managed, new, veto, path):
        """updateAuthority (refused: rule 6), or the managed contract's own setAuthority
        executed through the manager (OpenZeppelin's canCall leaves it to the admin)."""
        self.begin("admin_moves_an_authority")
        if path == "setAuthority":
            self.govern(("setAuthority", new), veto)  # the reserve: the only one modelled
        else:
            self.govern(("updateAuthority", managed, new), veto)

    @rule(
        role=st.sampled_from((MINTER, GOVERNOR, GUARDIAN, PUBLIC)),
        delay=st.sampled_from((DAY, MIN_EXECUTION_DELAY, 0)),
        veto=st.booleans(),
    )
    def admin_sets_a_grant_delay(self, role, delay, veto):
        self.begin("admin_sets_a_grant_delay")
        self.govern(("setGrantDelay", role, delay), veto)

    @rule(
        candidate=st.sampled_from(CANDIDATES),
        delay=st.sampled_from(EXEC_DELAYS),
        veto=st.booleans(),
        accept=st.booleans(),
    )
    def admin_proposes_a_successor(self, candidate, delay, veto, accept):
        self.begin("admin_proposes_a_successor")
        self.govern(("beginAdminTransfer", candidate, delay), veto, accept)

    @rule(withdraw=st.booleans(), veto=st.booleans())
    def admin_withdraws_or_accepts_through_the_manager(self, withdraw, veto):
        """cancelAdminTransfer, or acceptAdminTransfer executed by the manager itself."""
        self.begin("admin_withdraws_or_accepts_through_the_manager")
        self.govern(("cancelAdminTransfer",) if withdraw else ("acceptAdminTransfer",), veto)

    @rule(
        minter=st.sampled_from(("minter", "mallory", "alice", "governor", "burner", "zero")),
        amount=st.sampled_from((10**24, 0)),
        veto=st.booleans(),
    )
    def governor_sets_an_allowance(self, minter, amount, veto):
        self.begin("governor_sets_an_allowance")
        self.govern(("setMinterAllowance", minter, amount), veto)

    @rule(spec=OPERATIONS)
    def admin_schedules(self, spec):
        """The admin (or governor) schedules and leaves the operation live."""
        self.begin("admin_schedules")
        sender = self.admin_sender(self.operation(spec))
        op = self.operation(spec, sender)
        self.do_schedule(
            sender, op, self.now + 1 + GUARDIAN_REMOVAL_NOTICE if self.guardian_removal(op) else 0
        )

    @rule(
        actor=ACTOR,
        spec=OPERATIONS,
        when=st.sampled_from(("asap", "too-soon", "later", "notice", "notice-early")),
    )
    def anyone_schedules(self, actor, spec, when):
        self.begin("anyone_schedules")
        sender = self.actor(actor)
        op = self.operation(spec, sender)
        t = self.now + 1
        _, setback = self.model.can_call_ext(sender, op.target, op.data, t)
        at = {
            "asap": 0,
            "too-soon": t + setback - 1,
            "later": t + setback + 3_600,
            "notice": t + GUARDIAN_REMOVAL_NOTICE,  # exactly a guardian removal's earliest time
            "notice-early": t + GUARDIAN_REMOVAL_NOTICE - 1,
        }[when]
        self.do_schedule(sender, op, max(at, 0))

    @rule(index=INDEX, executor=st.one_of(st.none(), ACTOR))
    def anyone_executes(self, index, executor):
        self.begin("anyone_executes")
        if not self.scheduled:
            return  # (no precondition: a constant set of rules shrinks far better)
        rec = self.pick(list(self.scheduled.values()), index)
        self.do_execute(rec.caller if executor is None else self.actor(executor), rec.op)

    @rule(actor=ACTOR, spec=OPERATIONS)
    def anyone_calls_directly(self, actor, spec):
        self.begin("anyone_calls_directly")
        self.do_direct(self.actor(actor), self.operation(spec, self.actor(actor)))

    @rule(actor=ACTOR, index=INDEX)
    def anyone_cancels(self, actor, index):
        self.begin("anyone_cancels")
        if not self.scheduled:
            return
        self.do_cancel(self.actor(actor), self.pick(list(self.scheduled.values()), index))

    @rule(index=INDEX)
    def guardian_cancels(self, index):
        """Invariant 2 acted out: the guardian cancels; the operation can then not run."""
        self.begin("guardian_cancels")
        if not self.live():
            return
        rec = self.pick(self.live(), index)
        if self.do_cancel(self.who["guardian"], rec):
            assert self.model.get_schedule(rec.id, self.now) == 0
            self.probe_execute(rec, self.now, "cancelled")
            self.probe_execute(rec, max(self.now, rec.timepoint), "cancelled, at its time")

    @rule(index=INDEX, where=st.sampled_from(("before", "at", "last-valid", "expired")))
    def travel_to_an_operation(self, index, where):
        """So that the next transaction runs at the chosen second of an operation's life."""
        self.begin("travel_to_an_operation")
        if not self.scheduled:
            return
        rec = self.pick(list(self.scheduled.values()), index)
        tx_at = {
            "before": rec.timepoint - 1,
            "at": rec.timepoint,
            "last-valid": rec.timepoint + EXPIRATION - 1,
            "expired": rec.timepoint + EXPIRATION,
        }[where]
        if not self.travel_to(tx_at - 1):
            self.stats.checks["travel_into_the_past_skipped"] += 1

    @rule(
        seconds=st.sampled_from(
            (1, MIN_EXECUTION_DELAY - 1, MIN_EXECUTION_DELAY, DAY - 1, DAY, MIN_SETBACK, 8 * DAY)
        )
    )
    def wait(self, seconds):
        self.begin("wait")
        self.travel_to(self.now + seconds)

    @rule(actor=ACTOR)
    def anyone_mints(self, actor):
        """Anyone tries Reserve.mint: only an immediate permission and an allowance pass."""
        self.begin("anyone_mints")
        sender = self.actor(actor)
        self.mint_ids += 1
        data = self.F.mint.encode(
            self.who["exchange"], COIN, text_to_bytes32(f"GOV-{self.mint_ids}")
        )
        self.attempt(
            sender,
            self.A.reserve,
            data,
            lambda m, t: m.call(sender, self.A.reserve, data, t),
            "Reserve.mint(exchange, 1 coin)",
            "Reserve.mint",
        )

    # ------------------------------------------------------------------ invariants

    def chain_state(self) -> dict:
        """The chain, read once per step (two batched requests)."""
        if self._state_at == self.moves:
            return self._state
        A, F = self.A, self.F
        if self.ctx.reads is None:  # the calldata that never changes, encoded once
            reads = []

            def add(key, to, fn, *args):
                reads.append((key, to, fn.encode(*args), None, fast_decoder(fn)))

            for role in ROLES_READ:
                for name in ACCOUNTS:
                    add(("access", role, name), A.manager, F.getAccess, role, self.who[name])
            for role in (MINTER, GOVERNOR, GUARDIAN):
                add(("grant_delay", role), A.manager, F.getRoleGrantDelay, role)
            for key, (target, sel) in self.S.fn_keys.items():
                add(("fn", key), A.manager, F.getTargetFunctionRole, target, sel)
            add(("authority", "reserve"), A.reserve, F.authority)
            add(("authority", "stablecoin"), A.coin, F.authority)
            add(("admin",), A.manager, F.admin)
            add(("pending",), A.manager, F.pendingAdmin)
            add(("pending_delay",), A.manager, F.pendingAdminDelay)
            for name in ACCOUNTS:
                for fn in ("mint", "setMinterAllowance"):
                    sel = getattr(self.S, fn)
                    add(
                        ("can", "manager", name, fn),
                        A.manager,
                        F.canCall,
                        self.who[name],
                        A.reserve,
                        sel,
                    )
                add(("allowance", name), A.reserve, F.minterAllowance, self.who[name])
            rogue = []
            for name in ACCOUNTS:
                for fn in ("mint", "setMinterAllowance"):
                    sel = getattr(self.S, fn)
                    data = F.canCall.encode(self.who[name], A.reserve, sel)
                    rogue.append(
                        (("can", "rogue", name, fn), A.rogue, data, None, fast_decoder(F.canCall))
                    )
            self.ctx.reads, self.ctx.rogue_reads = reads, rogue
        reads = list(self.ctx.reads)
        if self.model.authority[A.reserve] == A.rogue:  # its answers matter only then
            reads += self.ctx.rogue_reads
        schedule_out, nonce_out = fast_decoder(F.getSchedule), fast_decoder(F.getNonce)
        for oid in self.scheduled:
            reads.append(
                (("schedule", oid), A.manager, F.getSchedule.encode(oid), None, schedule_out)
            )
            reads.append((("nonce", oid), A.manager, F.getNonce.encode(oid), None, nonce_out))
        keys = [(key, out) for key, _, _, _, out in reads]
        calls = [(to, data, frm) for _, to, data, frm, _ in reads]
        number, now = head()
        s = {}
        for (key, out), (status, value) in zip(keys, batch(calls), strict=True):
            assert status == "ok", f"reading {key} reverted: {value}"
            s[key] = out(value)
        s["head"] = (number, now)
        # Invariant 2's calls: every live operation, cancelled (simulated) by every guardian.
        guardians = [
            n for n in ACCOUNTS if 0 < s[("access", GUARDIAN, n)][0] <= now and n != "manager"
        ]
        live = [self.scheduled[oid] for oid in self.scheduled if s[("schedule", oid)] != 0]
        vetoes = [(rec, g) for rec in live for g in guardians]
        results = batch(
            [
                (A.manager, F.cancel.encode(rec.caller, rec.op.target, rec.op.data), self.who[g])
                for rec, g in vetoes
            ]
        )
        s["vetoes"] = [(rec, g, r) for (rec, g), r in zip(vetoes, results, strict=True)]
        s["guardians"], s["live"] = guardians, live
        self._state, self._state_at = s, self.moves
        return s

    @invariant()
    def chain_equals_the_model(self):
        s, m = self.chain_state(), self.model
        now = self.now
        assert s["head"] == (self.number, now), f"head {s['head']} != {(self.number, now)}"
        for role in ROLES_READ:
            for name in ACCOUNTS:
                got, want = s[("access", role, name)], m.get_access(role, self.who[name], now)
                assert got == want, f"getAccess({ROLE_NAMES[role]}, {name}) = {got}, model {want}"
        for role in (MINTER, GOVERNOR, GUARDIAN):
            assert s[("grant_delay", role)] == m.grant_delay_of(role, now), f"grant delay {role}"
        for key, (target, sel) in self.S.fn_keys.items():
            assert s[("fn", key)] == m.fn_role.get((target, sel), ADMIN), f"function role {key}"
        assert s[("authority", "reserve")] == m.authority[self.A.reserve]
        assert s[("authority", "stablecoin")] == m.authority[self.A.coin]
        assert (s[("admin",)], s[("pending",)], s[("pending_delay",)]) == (
            m.admin,
            m.pending,
            m.pending_delay,
        ), "admin / pending admin / delay"
        for oid, rec in self.scheduled.items():
            assert s[("schedule", oid)] == m.get_schedule(oid, now), f"getSchedule {rec.op.desc}"
            assert s[("nonce", oid)] == m.nonce(oid), f"getNonce {rec.op.desc}"
        for name in ACCOUNTS:
            addr = self.who[name]
            for fn in ("mint", "setMinterAllowance"):
                sel = getattr(self.S, fn)
                got = tuple(s[("can", "manager", name, fn)])
                assert got == m.can_call(addr, self.A.reserve, sel, now), f"canCall {name} {fn}"
                if ("can", "rogue", name, fn) in s:
                    assert tuple(s[("can", "rogue", name, fn)]) == m.rogue_can_call(addr)
            assert s[("allowance", name)] == m.allowance.get(addr, 0), f"allowance {name}"
        self.stats.checks["model_comparisons"] += 1

    @invariant()
    def no_account_holds_conflicting_roles(self):
        s = self.chain_state()
        admin, pending = s[("admin",)], s[("pending",)]
        for name in ACCOUNTS:
            addr = self.who[name]
            held = {r for r in ROLES_READ if s[("access", r, name)][0] != 0}
            governing = addr in (admin, pending) or ADMIN in held or GOVERNOR in held
            operating = held & set(OPERATING)
            assert not (governing and operating), (
                f"{name} is admin/pending admin/governor and holds "
                f"{sorted(ROLE_NAMES[r] for r in operating)}"
            )
            assert not {MINTER, REPORTER} <= held, f"{name} is both minter and oracle reporter"
            self.stats.checks["accounts_checked_for_conflicts"] += 1

    @invariant()
    def guardian_can_cancel_every_live_operation(self):
        s = self.chain_state()
        for rec, guardian, (status, value) in s["vetoes"]:
            addr = self.who[guardian]
            own = self.model.own_removal(addr, rec.op.target, rec.op.data)
            if own and addr != rec.caller and addr != s[("admin",)]:
                # The one exception: a guardian's own removal, which it cannot veto (another
                # guardian can), and which was given the full public notice.
                assert (
                    status == "revert" and value.name == "AccessManagerUnauthorizedCancel"
                ), f"{guardian} cancels its own removal: {status} {value}"
                assert rec.timepoint - rec.scheduled_at >= GUARDIAN_REMOVAL_NOTICE, (
                    f"{rec.op.desc} of {guardian} runs {rec.timepoint - rec.scheduled_at} s after "
                    f"it was scheduled, less than the {GUARDIAN_REMOVAL_NOTICE} s notice"
                )
                self.stats.checks["own_removals_not_vetoable_by_that_guardian"] += 1
                continue
            assert status == "ok", (
                f"the guardian ({guardian}) cannot cancel {rec.op.desc} scheduled by "
                f"{self.label(rec.caller)}: {value.name}{value.inputs}"
            )
            self.stats.checks["guardian_cancel_calls"] += 1
        if s["live"] and not s["guardians"]:
            self.stats.checks["steps_with_live_operations_and_no_guardian"] += 1

    @invariant()
    def no_key_mints_without_a_veto_window(self):
        s, m = self.chain_state(), self.model
        admin, pending = s[("admin",)], s[("pending",)]
        by_rogue = s[("authority", "reserve")] == self.A.rogue
        for name in ACCOUNTS:
            addr = self.who[name]
            for fn in ("mint", "setMinterAllowance"):
                answer = s.get(("can", "rogue" if by_rogue else "manager", name, fn))
                assert answer is not None, "the reserve's authority differs from the model's"
                immediate = bool(answer[0])
                self.stats.checks["capabilities_checked"] += 1
                if fn == "mint" and immediate:
                    held = {
                        r for r in (ADMIN, GOVERNOR, GUARDIAN) if s[("access", r, name)][0] != 0
                    }
                    being = {admin: "the admin", pending: "the pending admin"}.get(addr, "")
                    authority = "the governor's foreign manager" if by_rogue else "the manager"
                    assert addr not in (admin, pending) and not held, (
                        f"{name} can call Reserve.mint immediately while being {being}"
                        f"{sorted(ROLE_NAMES[r] for r in held)} (authority: {authority}; "
                        f"origins: {m.capability_origins(addr, self.S.mint, self.now)})"
                    )
                key = (name, fn)
                if immediate and not self.caps[key]:
                    origins = m.capability_origins(addr, getattr(self.S, fn), self.now)
                    changed = [o for o in origins if o.get("how") != "deploy"]
                    assert changed, f"{name} got {fn} with nothing changed: {origins}"
                    for o in changed:
                        assert o.get("how") == "scheduled" and o["delay"] >= MIN_EXECUTION_DELAY, (
                            f"{name} can call Reserve.{fn} immediately through {o} (not a "
                            f"schedule of >= {MIN_EXECUTION_DELAY} s); all origins {origins}"
                        )
                    self.stats.appearance_kinds[
                        f"{fn}: " + " + ".join(o["call"].split("(")[0] for o in changed)
                    ] += 1
                    self.stats.appearances.append(
                        {
                            "account": name,
                            "function": fn,
                            "at": self.now,
                            "step": self.moves,
                            "through": [
                                {
                                    k: o[k]
                                    for k in ("call", "by", "delay", "scheduled_at", "at")
                                    if k in o
                                }
                                for o in changed
                            ],
                        }
                    )
                self.caps[key] = immediate

    @invariant()
    def one_admin_that_can_act(self):
        s = self.chain_state()
        admin = s[("admin",)]
        holders = [n for n in ACCOUNTS if s[("access", ADMIN, n)][0] != 0]
        assert holders == [self.label(admin)], f"ADMIN_ROLE holders {holders}, admin() {admin}"
        assert admin != self.A.manager, (
            "the AccessManager is its own admin: nobody can ever grant, revoke, remap or move "
            "the admin again (lock-out)"
        )
        origin = self.model.admin_origin
        assert origin.get("how") == "deploy" or (
            origin.get("how") == "scheduled" and origin["delay"] >= MIN_EXECUTION_DELAY
        ), f"{self.label(admin)} became admin by a proposal not scheduled for >= 1 h: {origin}"
        self.stats.checks["admin_checks"] += 1


# ====================================================================== the machine's test


def _write_summary(stats: Stats, failed: bool, error: str | None) -> Path:
    REPORTS.mkdir(exist_ok=True)
    path = REPORTS / f"governance-{PROFILE}.json"
    path.write_text(json.dumps(stats.as_dict(failed, error), indent=2, sort_keys=True) + "\n")
    return path


def _selectors(system, F) -> SimpleNamespace:
    manager, reserve = system.manager.address, system.reserve.address
    names = {
        n: getattr(F, n).selector
        for n in (
            "grantRole",
            "revokeRole",
            "renounceRole",
            "setTargetFunctionRole",
            "updateAuthority",
            "setGrantDelay",
            "beginAdminTransfer",
            "cancelAdminTransfer",
            "acceptAdminTransfer",
            "mint",
            "setMinterAllowance",
            "setRedemptionFee",
            "redeem",
            "setAuthority",
        )
    }
    sel = SimpleNamespace(**names)
    sel.admin_only = {
        getattr(F, n).selector
        for n in (
            "labelRole",
            "setRoleAdmin",
            "setRoleGuardian",
            "setGrantDelay",
            "setTargetAdminDelay",
        )
    }
    sel.admin_target = {
        getattr(F, n).selector
        for n in ("updateAuthority", "setTargetClosed", "setTargetFunctionRole")
    }
    sel.fn_keys = {
        "Reserve.mint": (reserve, sel.mint),
        "Reserve.setMinterAllowance": (reserve, sel.setMinterAllowance),
        "Reserve.setRedemptionFee": (reserve, sel.setRedemptionFee),
        "Reserve.redeem": (reserve, sel.redeem),
        "manager.beginAdminTransfer": (manager, sel.beginAdminTransfer),
        "Reserve.setAuthority": (reserve, sel.setAuthority),
    }
    return sel


def _machine_context(project, system, config, **accounts) -> Ctx:
    """The machine's context: the foreign manager, addresses, selectors, and the model of
    the deployed state (checked against what deploy_system is meant to leave)."""
    governor, minter = accounts["governor"], accounts["minter"]
    # The foreign manager a hostile updateAuthority would hand the reserve to: deployed
    # with the governor's key as its initial admin (no delay, nothing mapped).
    rogue = deploy(project.SovereignAccessManager, governor.address)
    fns = functions(project.SovereignAccessManager.contract_type)
    for name, fn in functions(project.Reserve.contract_type).items():
        fns.setdefault(name, fn)
    F = SimpleNamespace(**fns)

    who = {n: a.address for n, a in accounts.items()}
    who.update(
        manager=system.manager.address,
        reserve=system.reserve.address,
        stablecoin=system.stablecoin.address,
        rogue=rogue.address,
        zero=ZERO,
    )
    names = {addr: n for n, addr in who.items()}
    A = SimpleNamespace(
        manager=who["manager"],
        reserve=who["reserve"],
        coin=who["stablecoin"],
        rogue=who["rogue"],
        rogue_admin=governor.address,
    )
    S = _selectors(system, F)

    # The model starts from the deployed state, which is first checked against deploy_system.
    model = Model(A, S, F)
    model.code = {A.manager, A.reserve, A.coin, A.rogue}
    model.participants = {who["exchange"]}
    model.admin = read(system.manager.admin)
    assert model.admin == governor.address and read(system.manager.pendingAdmin) == ZERO
    holders = {int(r): getattr(a, "address", a) for r, a in system.holders.by_role().items()}
    assert set(holders) == set(ROLES_READ) - {ADMIN} - CONTRACT_ROLES
    holders[ADMIN] = governor.address
    for role in ROLES_READ:
        for name in ACCOUNTS:
            since, current, pending, effect = read(system.manager.getAccess, role, who[name])
            if who[name] == holders.get(role):
                want = {ADMIN: config.admin_delay, GOVERNOR: config.governor_delay}.get(role, 0)
                assert since != 0 and current == want, f"{name} {ROLE_NAMES[role]}: {current}"
                assert effect == 0
                model.access[(role, who[name])] = Access(since, Delay(0, current, 0), DEPLOY)
            else:
                assert since == 0, f"{name} holds {ROLE_NAMES[role]} after deploy"
    for role in (MINTER, GOVERNOR, GUARDIAN):
        assert read(system.manager.getRoleGrantDelay, role) == 0
    for target, sel in S.fn_keys.values():
        model.fn_role[(target, sel)] = read(system.manager.getTargetFunctionRole, target, sel)
    # Which functions were ever mapped (the private _mapped of rule 5): the deployment's
    # TargetFunctionRoleUpdated events.
    topic = to_hex(keccak(text="TargetFunctionRoleUpdated(address,bytes4,uint64)"))
    logs = rpc(
        "eth_getLogs",
        [{"address": A.manager, "fromBlock": "0x0", "toBlock": "latest", "topics": [topic]}],
    )["result"]
    model.mapped = {
        (to_checksum_address("0x" + lg["topics"][1][-40:]), bytes.fromhex(lg["data"][2:10]))
        for lg in logs
    }
    wired = {
        key
        for key in S.fn_keys
        if key.split(".")[0] == "Reserve" and key.split(".")[1] in FUNCTION_ROLES["Reserve"]
    }
    assert {k for k, ts in S.fn_keys.items() if ts in model.mapped} == wired
    assert model.fn_role[(A.reserve, S.mint)] == int(FUNCTION_ROLES["Reserve"]["mint"])
    assert model.fn_role[(A.reserve, S.setMinterAllowance)] == int(
        FUNCTION_ROLES["Reserve"]["setMinterAllowance"]
    )
    assert model.fn_role[(A.manager, S.beginAdminTransfer)] == ADMIN
    model.authority = {A.reserve: A.manager, A.coin: A.manager}
    assert read(system.reserve.authority) == A.manager == read(system.stablecoin.authority)
    for name in ACCOUNTS:
        model.allowance[who[name]] = read(system.reserve.minterAllowance, who[name])
    assert model.allowance[minter.address] > 0

    number, now = head()
    caps = {}
    for name in ACCOUNTS:
        for fn in ("mint", "setMinterAllowance"):
            got = read(system.manager.canCall, who[name], A.reserve, getattr(S, fn))
            assert got == model.can_call(who[name], A.reserve, getattr(S, fn), now)
            caps[(name, fn)] = bool(got[0])
    assert [n for (n, fn), c in caps.items() if c] == ["minter"]  # only the minter, only mint
    return Ctx(who, names, A, S, F, model, caps, (number, now))


MACHINE_ACCOUNTS = (
    "governor",
    "minter",
    "burner",
    "guardian",
    "compliance",
    "reporter",
    "reserve_manager",
    "registrar",
    "central_bank",
    "debt_office",
    "vault_manager",
    "commodity_office",
    "custodian",
    "mallory",
    "alice",
    "deployer",
    "exchange",
)


def test_governance_machine(project, system, config, request):
    """GovernanceMachine (see the module docstring)."""
    accounts = {n: request.getfixturevalue(n) for n in MACHINE_ACCOUNTS}
    ctx = _machine_context(project, system, config, **accounts)

    # The loaded profile (quick or deep) as is, with two exceptions. No explain phase: it
    # traces every Python line (ape, web3) of every shrinking run, and one deep failure
    # took over five minutes to shrink without reaching the minimal sequence. No example
    # database: examples stored by earlier versions of this machine replay as other
    # programs and kept hypothesis from deleting steps (8 steps instead of the 1 that
    # fails); a fresh search finds and shrinks the holes in under two minutes.
    run_settings = settings(
        settings.default,
        phases=[p for p in settings.default.phases if p is not Phase.explain],
        database=None,
    )
    stats = Stats(run_settings)
    GovernanceMachine.ctx, GovernanceMachine.stats = ctx, stats
    failed, error = True, None
    try:
        run_state_machine_as_test(GovernanceMachine, settings=run_settings)
        failed = False
    except BaseException as exc:
        error = f"{type(exc).__name__}: {str(exc)[:2000]}"
        raise
    finally:
        path = _write_summary(stats, failed, error)
        print(f"\nGovernanceMachine: {stats.examples} examples, {stats.steps} steps -> {path}")
    assert head() == ctx.baseline, "the last example was not rolled back"


# ====================================================================== the single cases


def function_selector(contract, method: str) -> bytes:
    abi = next(m for m in contract.contract_type.mutable_methods if m.name == method)
    return keccak(text=abi.selector)[:4]


def _timestamp(receipt: dict) -> int:
    block = rpc("eth_getBlockByNumber", [receipt["blockNumber"], False])["result"]
    return int(block["timestamp"], 16)


def _send_at(timestamp: int, method, *args, sender) -> dict:
    """``send`` mined at exactly ``timestamp``."""
    rpc("evm_setNextBlockTimestamp", [timestamp])
    return send(method, *args, sender=sender)


@pytest.fixture
def foreign_manager(project, governor):
    """Another SovereignAccessManager, deployed with the governor's key as its initial
    admin (no delay; nothing mapped, so every function is that admin's): where a hostile
    updateAuthority would point."""
    return deploy(project.SovereignAccessManager, governor.address)


def _admin_operation(name: str, system, alice, minter, foreign_manager):
    """(calldata on the manager, a view of what it changes) of each admin operation."""
    manager, reserve = system.manager, system.reserve
    fee = function_selector(reserve, "setRedemptionFee")
    return {
        "grantRole": (
            manager.grantRole.encode_input(MINTER, alice, 0),
            lambda: read(manager.getAccess, MINTER, alice)[0] != 0,
        ),
        "revokeRole": (
            manager.revokeRole.encode_input(MINTER, minter),
            lambda: read(manager.getAccess, MINTER, minter)[0] == 0,
        ),
        # A governor function handed to the admin (a move rule 5 allows: GOVERNOR -> ADMIN).
        "setTargetFunctionRole": (
            manager.setTargetFunctionRole.encode_input(reserve, [fee], ADMIN),
            lambda: read(manager.getTargetFunctionRole, reserve, fee) == ADMIN,
        ),
        "updateAuthority": (
            manager.updateAuthority.encode_input(reserve, foreign_manager),
            lambda: read(reserve.authority) == foreign_manager.address,
        ),
        "beginAdminTransfer": (
            manager.beginAdminTransfer.encode_input(alice, DAY),
            lambda: read(manager.pendingAdmin) == alice.address,
        ),
        "setGrantDelay": (
            manager.setGrantDelay.encode_input(MINTER, DAY),
            lambda: read(manager.getRoleGrantDelay, MINTER) == DAY,  # after the 5-day setback
        ),
    }[name]


# The admin operations that can run (updateAuthority never does: rule 6, its own test).
ADMIN_OPERATIONS = (
    "grantRole",
    "revokeRole",
    "setTargetFunctionRole",
    "beginAdminTransfer",
    "setGrantDelay",
)


@pytest.mark.parametrize("operation", ADMIN_OPERATIONS)
def test_guardian_cancels_a_scheduled_admin_operation(
    system, governor, guardian, minter, mallory, alice, foreign_manager, operation
):
    """The guardian, holding no admin role, cancels the governor's scheduled admin
    operation up to its last second; it can then not run, by execute nor directly. Left
    alone (the control), the same operation runs at its time and changes the state.
    Nobody else but the scheduler may cancel (an outsider, the minter)."""
    manager = system.manager
    data, changed = _admin_operation(operation, system, alice, minter, foreign_manager)
    selector = bytes(data[:4])
    assert read(manager.hasRole, ADMIN, guardian)[0] is False
    assert changed() is False
    scheduled_at = _timestamp(send(manager.schedule, manager, data, 0, sender=governor))
    op = read(manager.hashOperation, governor, manager, data)
    when = scheduled_at + DAY
    assert read(manager.getSchedule, op) == when and read(manager.getNonce, op) == 1
    for outsider in (mallory, minter):
        assert_reverts(
            "AccessManagerUnauthorizedCancel",
            manager.cancel,
            governor,
            manager,
            data,
            by=outsider,
            msgsender=outsider.address,
            caller=governor.address,
            target=manager.address,
            selector=selector,
        )

    with isolated():  # the control: not cancelled, it runs at its time
        mine_at(when - 1)
        assert_reverts(
            "AccessManagerNotReady", manager.execute, manager, data, by=governor, operationId=op
        )
        _send_at(when, manager.execute, manager, data, sender=governor)
        mine_at(when + 5 * DAY)  # past setGrantDelay's minimum setback
        assert changed() is True

    receipt = _send_at(when - 1, manager.cancel, governor, manager, data, sender=guardian)
    cancelled = keccak(text="OperationCanceled(bytes32,uint32)")
    logs = [lg for lg in receipt["logs"] if bytes.fromhex(lg["topics"][0][2:]) == cancelled]
    assert len(logs) == 1 and bytes.fromhex(logs[0]["topics"][1][2:]) == op
    assert read(manager.getSchedule, op) == 0 and read(manager.getNonce, op) == 1
    mine_at(when)
    assert_reverts(
        "AccessManagerNotScheduled", manager.execute, manager, data, by=governor, operationId=op
    )
    direct = getattr(manager, operation)
    assert_reverts(
        "AccessManagerNotScheduled",
        direct,
        *direct.decode_input(data)[1].values(),
        by=governor,
        operationId=op,
    )
    mine_at(when + 5 * DAY)
    assert changed() is False


def test_update_authority_is_refused_for_everyone(
    system, governor, guardian, mallory, deployer, foreign_manager
):
    """Rule 6: updateAuthority reverts SovereignAuthorityFixed(target) for every caller,
    called directly (the admin without a schedule too: the refusal comes first) or
    executed by the manager after its schedule ran out (scheduling it is not refused: the
    manager's schedule only inspects grants, admin proposals and revocations); a guardian
    can still cancel such a schedule. The foreign manager refuses it to its own admin too.
    No contract ever moves."""
    manager, reserve, coin = system.manager, system.reserve, system.stablecoin
    for target in (reserve, coin):
        for who in (governor, guardian, mallory, deployer):
            assert_reverts(
                "SovereignAuthorityFixed",
                manager.updateAuthority,
                target,
                foreign_manager,
                by=who,
                target=target.address,
            )
    assert_reverts(
        "SovereignAuthorityFixed",
        foreign_manager.updateAuthority,
        reserve,
        foreign_manager,
        by=governor,
        target=reserve.address,
    )
    data = manager.updateAuthority.encode_input(reserve, foreign_manager)
    op = read(manager.hashOperation, governor, manager, data)
    scheduled_at = _timestamp(send(manager.schedule, manager, data, 0, sender=governor))
    assert read(manager.getSchedule, op) == scheduled_at + DAY
    with isolated():  # a guardian's veto still works
        send(manager.cancel, governor, manager, data, sender=guardian)
        assert read(manager.getSchedule, op) == 0
    mine_at(scheduled_at + DAY)
    assert_reverts(
        "SovereignAuthorityFixed",
        manager.execute,
        manager,
        data,
        by=governor,
        target=reserve.address,
    )
    assert read(manager.getSchedule, op) == scheduled_at + DAY  # nothing consumed
    assert read(reserve.authority) == manager.address == read(coin.authority)


CONFLICTS = [
    # (id, set-up, function, args (fixture names or ints), account, held role, requested role)
    (
        "governor-role-to-the-minter",
        None,
        "grantRole",
        (GOVERNOR, "minter", DAY),
        "minter",
        MINTER,
        GOVERNOR,
    ),
    (
        "governor-role-to-the-guardian",
        None,
        "grantRole",
        (GOVERNOR, "guardian", DAY),
        "guardian",
        GUARDIAN,
        GOVERNOR,
    ),
    (
        "governor-role-to-compliance",
        None,
        "grantRole",
        (GOVERNOR, "compliance", DAY),
        "compliance",
        COMPLIANCE,
        GOVERNOR,
    ),
    (
        "minter-role-to-the-governor",
        None,
        "grantRole",
        (MINTER, "governor", 0),
        "governor",
        ADMIN,
        MINTER,
    ),
    (
        "burner-role-to-the-governor",
        None,
        "grantRole",
        (BURNER, "governor", 0),
        "governor",
        ADMIN,
        BURNER,
    ),
    (
        "guardian-role-to-the-governor",
        None,
        "grantRole",
        (GUARDIAN, "governor", 0),
        "governor",
        ADMIN,
        GUARDIAN,
    ),
    (
        "compliance-role-to-the-governor",
        None,
        "grantRole",
        (COMPLIANCE, "governor", 0),
        "governor",
        ADMIN,
        COMPLIANCE,
    ),
    (
        "reporter-role-to-the-governor",
        None,
        "grantRole",
        (REPORTER, "governor", 0),
        "governor",
        ADMIN,
        REPORTER,
    ),
    (
        "reporter-role-to-the-minter",
        None,
        "grantRole",
        (REPORTER, "minter", 0),
        "minter",
        MINTER,
        REPORTER,
    ),
    (
        "minter-role-to-the-reporter",
        None,
        "grantRole",
        (MINTER, "reporter", 0),
        "reporter",
        REPORTER,
        MINTER,
    ),
    (
        "reserve-manager-role-to-the-governor",
        None,
        "grantRole",
        (RESERVE_MANAGER, "governor", 0),
        "governor",
        ADMIN,
        RESERVE_MANAGER,
    ),
    (
        "governor-role-to-the-registrar",
        None,
        "grantRole",
        (GOVERNOR, "registrar", DAY),
        "registrar",
        REGISTRAR,
        GOVERNOR,
    ),
    (
        "admin-to-the-vault-manager",
        None,
        "beginAdminTransfer",
        ("vault_manager", DAY),
        "vault_manager",
        VAULT_MANAGER,
        ADMIN,
    ),
    ("admin-to-the-minter", None, "beginAdminTransfer", ("minter", DAY), "minter", MINTER, ADMIN),
    (
        "admin-to-the-guardian",
        None,
        "beginAdminTransfer",
        ("guardian", DAY),
        "guardian",
        GUARDIAN,
        ADMIN,
    ),
    (
        "minter-role-to-the-pending-admin",
        "alice-pending-admin",
        "grantRole",
        (MINTER, "alice", 0),
        "alice",
        ADMIN,
        MINTER,
    ),
    (
        "guardian-role-to-a-second-governor",
        "alice-governor",
        "grantRole",
        (GUARDIAN, "alice", 0),
        "alice",
        GOVERNOR,
        GUARDIAN,
    ),
    (
        "minter-role-to-a-governor-not-yet-active",
        "alice-governor-pending",
        "grantRole",
        (MINTER, "alice", 0),
        "alice",
        GOVERNOR,
        MINTER,
    ),
]


def _conflict_setup(kind, manager, governor, alice):
    if kind == "alice-pending-admin":
        delayed(manager, manager, "beginAdminTransfer", alice, DAY, sender=governor)
        assert read(manager.pendingAdmin) == alice.address
    elif kind in ("alice-governor", "alice-governor-pending"):
        if kind == "alice-governor-pending":  # GOVERNOR grants take effect a week later
            delayed(manager, manager, "setGrantDelay", GOVERNOR, 7 * DAY, sender=governor)
            mine_at(ape.chain.pending_timestamp + 5 * DAY)
        delayed(manager, manager, "grantRole", GOVERNOR, alice, DAY, sender=governor)
        member = read(manager.hasRole, GOVERNOR, alice)[0]
        assert member is (kind == "alice-governor")  # granted; active or not yet


@pytest.mark.parametrize(
    "setup,function,args,account,held,requested", [pytest.param(*c[1:], id=c[0]) for c in CONFLICTS]
)
def test_conflicting_grant_refused_when_scheduled(
    system, accounts, governor, alice, setup, function, args, account, held, requested, request
):
    """Separation of duties, both ways: the schedule itself reverts with
    SovereignConflictingRoles(account, heldRole, requestedRole) (heldRole 0: the admin or
    pending admin), so nothing is ever scheduled; an outsider's schedule of the same
    grant is refused with the same error (the rule is checked before the caller)."""
    manager = system.manager
    _conflict_setup(setup, manager, governor, alice)
    resolved = [request.getfixturevalue(a).address if isinstance(a, str) else a for a in args]
    data = getattr(manager, function).encode_input(*resolved)
    account_address = request.getfixturevalue(account).address
    for scheduler in (governor, request.getfixturevalue("mallory")):
        assert_reverts(
            "SovereignConflictingRoles",
            manager.schedule,
            manager,
            data,
            0,
            by=scheduler,
            account=account_address,
            heldRole=held,
            requestedRole=requested,
        )
    # The same operation with no conflict is schedulable (the control): for an outsider.
    fresh = accounts[16].address
    other = [fresh if a == account_address else a for a in resolved]
    assert read(manager.getAccess, GOVERNOR, fresh)[0] == 0
    assert_reverts(
        "AccessManagerUnauthorizedCall",
        manager.schedule,
        manager,
        getattr(manager, function).encode_input(*other),
        0,
        by=request.getfixturevalue("mallory"),
    )
    schedule = getattr(manager, function).encode_input(*other)
    assert read(manager.schedule, manager, schedule, 0, by=governor)[1] == 1


def test_scheduled_grant_counts_as_held__and_a_later_conflict_is_refused_at_execution(
    system, governor, guardian, alice
):
    """A MINTER grant to alice, scheduled and not executed, counts as held: proposing
    alice as admin is refused when scheduled (SovereignConflictingRoles(alice, MINTER, 0));
    once the guardian cancels the grant it no longer counts. The other order: the proposal
    scheduled first, the grant scheduled while alice is not yet pending admin, then the
    proposal's execution is refused, naming the pending grant, and the grant runs."""
    manager = system.manager
    grant = manager.grantRole.encode_input(MINTER, alice, 0)
    begin = manager.beginAdminTransfer.encode_input(alice, DAY)
    send(manager.schedule, manager, grant, 0, sender=governor)
    assert_reverts(
        "SovereignConflictingRoles",
        manager.schedule,
        manager,
        begin,
        0,
        by=governor,
        account=alice.address,
        heldRole=MINTER,
        requestedRole=ADMIN,
    )
    send(manager.cancel, governor, manager, grant, sender=guardian)
    assert read(manager.schedule, manager, begin, 0, by=governor)[1] == 1
    with isolated():  # the other order
        send(manager.schedule, manager, begin, 0, sender=governor)
        send(manager.schedule, manager, grant, 0, sender=governor)
        mine_at(ape.chain.pending_timestamp + DAY)
        assert_reverts(
            "SovereignConflictingRoles",
            manager.execute,
            manager,
            begin,
            by=governor,
            account=alice.address,
            heldRole=MINTER,
            requestedRole=ADMIN,
        )
        send(manager.execute, manager, grant, sender=governor)
        assert read(manager.getAccess, MINTER, alice)[0] != 0
        assert read(manager.pendingAdmin) == ZERO


@pytest.mark.parametrize(
    "function,args,role",
    [
        pytest.param(
            "grantRole", (GOVERNOR, "alice", MIN_EXECUTION_DELAY - 1), GOVERNOR, id="governor-grant"
        ),
        pytest.param(
            "beginAdminTransfer", ("alice", MIN_EXECUTION_DELAY - 1), ADMIN, id="admin-transfer"
        ),
    ],
)
def test_delay_below_one_hour_refused_when_scheduled(
    system, governor, function, args, role, request
):
    """SovereignDelayTooShort(roleId, executionDelay, 3600) from the schedule itself."""
    manager = system.manager
    resolved = [request.getfixturevalue(a).address if isinstance(a, str) else a for a in args]
    data = getattr(manager, function).encode_input(*resolved)
    assert_reverts(
        "SovereignDelayTooShort",
        manager.schedule,
        manager,
        data,
        0,
        by=governor,
        roleId=role,
        executionDelay=MIN_EXECUTION_DELAY - 1,
        minimum=MIN_EXECUTION_DELAY,
    )
    ok = getattr(manager, function).encode_input(
        *[MIN_EXECUTION_DELAY if a == MIN_EXECUTION_DELAY - 1 else a for a in resolved]
    )
    assert read(manager.schedule, manager, ok, 0, by=governor)[1] == 1


@pytest.mark.parametrize(
    "operation", ADMIN_OPERATIONS + ("cancelAdminTransfer", "setMinterAllowance")
)
def test_governor_direct_call_without_a_schedule_reverts(
    system, governor, alice, minter, foreign_manager, operation
):
    """Every state-changing call of the admin/governor needs its schedule: called directly
    it reverts AccessManagerNotScheduled(hashOperation(governor, target, data))."""
    manager, reserve = system.manager, system.reserve
    if operation == "cancelAdminTransfer":
        target, data = manager, manager.cancelAdminTransfer.encode_input()
    elif operation == "setMinterAllowance":
        target, data = reserve, reserve.setMinterAllowance.encode_input(alice, 10**24)
    else:
        target, data = (
            manager,
            _admin_operation(operation, system, alice, minter, foreign_manager)[0],
        )
    method = getattr(target, operation)
    args = list(method.decode_input(data)[1].values())
    op = read(manager.hashOperation, governor, target, data)
    assert_reverts("AccessManagerNotScheduled", method, *args, by=governor, operationId=op)


# ====================================================================== holes found (closed)


def _error(revert) -> tuple:
    """(name, inputs) of a decoded revert, bytes inputs as plain bytes."""
    values = tuple(
        bytes(v) if isinstance(v, bytes | bytearray) else v for v in revert.inputs.values()
    )
    return (revert.name, values)


def _govern(manager, contract, method: str, *args, sender) -> tuple:
    """Schedule ``contract.method(*args)``, wait its delay and execute it: ("ok",), or
    ("scheduled" | "executed", error name, error inputs) for the refusal that stopped it."""
    data = getattr(contract, method).encode_input(*args)
    refused = revert_of(manager.schedule, contract, data, 0, by=sender)
    if refused is not None:
        return ("scheduled", *_error(refused))
    send(manager.schedule, contract, data, 0, sender=sender)
    op = read(manager.hashOperation, sender, contract, data)
    mine_at(read(manager.getSchedule, op))
    refused = revert_of(manager.execute, contract, data, by=sender)
    if refused is not None:
        return ("executed", *_error(refused))
    send(manager.execute, contract, data, sender=sender)
    return ("ok",)


def _immediate(system, who, selector: bytes) -> bool:
    """What the reserve's authority (whichever manager it is now) answers for ``who``."""
    authority = ape.project.SovereignAccessManager.at(read(system.reserve.authority))
    return bool(read(authority.canCall, who, system.reserve, selector)[0])


def _mint_outcome(system, who, exchange) -> str:
    """Would ``who`` mint 1 coin to the exchange right now? "mints" or the revert's name."""
    revert = revert_of(system.reserve.mint, exchange, COIN, text_to_bytes32("HOLE-MINT"), by=who)
    return "mints" if revert is None else revert.name


# Each: the governance acts of the sequence (contract, method, args, the outcome now),
# in order. In args and outcomes a name is an account or contract ("governor",
# "reserve", ...), "contract.function" a selector, a list of those a selector list. An
# outcome is ("ok",), ("scheduled" | "executed", error, inputs) for the refusal the act
# meets now, or "refused" (any refusal: a hole still open, its fix not yet known).
MINT_SEQUENCES = {
    # updateAuthority(reserve, M), M a manager the governor's key deployed and administers
    # (without a delay): there it would set its own allowance and mint. Closed by rule 6.
    "reserve-moved-to-a-manager-of-the-governor": [
        (
            "manager",
            "updateAuthority",
            ("reserve", "foreign"),
            ("executed", "SovereignAuthorityFixed", ("reserve",)),
        ),
        ("reserve", "setMinterAllowance", ("governor", 10**24), ("ok",)),
    ],
    # Reserve.mint opened to the public, then an allowance for the governor. PUBLIC is no
    # role of the system (rule 5).
    "mint-mapped-to-public": [
        (
            "manager",
            "setTargetFunctionRole",
            ("reserve", ["reserve.mint"], PUBLIC),
            ("executed", "SovereignUnknownRole", (PUBLIC,)),
        ),
        ("reserve", "setMinterAllowance", ("governor", 10**24), ("ok",)),
    ],
    # Reserve.mint mapped back to the governor's own role (delegated once: locked).
    "mint-mapped-to-the-governor-role": [
        (
            "manager",
            "setTargetFunctionRole",
            ("reserve", ["reserve.mint"], GOVERNOR),
            ("executed", "SovereignFunctionLocked", ("reserve", "reserve.mint", MINTER, GOVERNOR)),
        ),
        ("reserve", "setMinterAllowance", ("governor", 10**24), ("ok",)),
    ],
    # Reserve.mint mapped to the guardian's role, and an allowance for the guardian.
    # Closed by rule 5 (a mapped function moves only between the admin and the governor).
    "mint-mapped-to-the-guardian-role": [
        (
            "manager",
            "setTargetFunctionRole",
            ("reserve", ["reserve.mint"], GUARDIAN),
            ("executed", "SovereignFunctionLocked", ("reserve", "reserve.mint", MINTER, GUARDIAN)),
        ),
        ("reserve", "setMinterAllowance", ("guardian", 10**24), ("ok",)),
    ],
    # A role the admin could hold before (reserve manager), granted to the governor without
    # a delay, and Reserve.mint mapped to it. Closed twice: the admin holds no other role
    # (rule 4), and the mapping is locked (rule 5).
    "mint-mapped-to-a-role-the-admin-may-hold": [
        (
            "manager",
            "grantRole",
            (RESERVE_MANAGER, "governor", 0),
            ("scheduled", "SovereignConflictingRoles", ("governor", ADMIN, RESERVE_MANAGER)),
        ),
        (
            "manager",
            "setTargetFunctionRole",
            ("reserve", ["reserve.mint"], RESERVE_MANAGER),
            (
                "executed",
                "SovereignFunctionLocked",
                ("reserve", "reserve.mint", MINTER, RESERVE_MANAGER),
            ),
        ),
        ("reserve", "setMinterAllowance", ("governor", 10**24), ("ok",)),
    ],
    # OPEN: the reserve's own AccessManaged.setAuthority, executed through the manager.
    # OpenZeppelin's canCall gives setAuthority to ADMIN_ROLE (with its delay) on every
    # target, so the admin schedules execute(reserve, setAuthority(M)), and after its
    # delay the manager itself (the reserve's authority) moves the reserve to M, the
    # governor's own manager: rule 6 holds only for updateAuthority. Then, under M, the
    # governor sets its allowance and mints with no delay.
    "reserve-moved-by-its-own-setAuthority": [
        ("reserve", "setAuthority", ("foreign",), "refused"),
        ("reserve", "setMinterAllowance", ("governor", 10**24), ("ok",)),
    ],
}


def _resolver(names: dict):
    def resolve(value):
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, tuple):
            return tuple(resolve(v) for v in value)
        if isinstance(value, str) and "." in value:
            contract, fn = value.split(".")
            return function_selector(names[contract], fn)
        if isinstance(value, str) and value in names:
            return getattr(names[value], "address", names[value])
        return value

    return resolve


@pytest.mark.parametrize("sequence", list(MINT_SEQUENCES))
def test_no_governance_sequence_lets_the_governor_or_guardian_mint_immediately(
    system, governor, guardian, mallory, exchange, foreign_manager, sequence
):
    """Invariant 3 of the machine on the sequences it explored: each act is scheduled by
    the governor and executed after its 1-day delay (the guardian could cancel each, and
    does not); each meets the outcome listed (the refusal that now closes the hole);
    afterwards neither the governor's key nor the guardian's may call Reserve.mint
    immediately (README: the governor "cannot mint")."""
    manager, reserve = system.manager, system.reserve
    names = {
        "manager": manager,
        "reserve": reserve,
        "governor": governor,
        "guardian": guardian,
        "foreign": foreign_manager,
    }
    resolve = _resolver(names)
    outcomes, unexpected = [], []
    for contract, method, args, expected in MINT_SEQUENCES[sequence]:
        values = [resolve(a) for a in args]
        if read(reserve.authority) != manager.address and contract == "reserve":
            send(getattr(reserve, method), *values, sender=governor)  # the foreign manager's rules
            outcome = ("ok",)  # called directly: the governor is the foreign manager's admin
        else:
            outcome = _govern(manager, names[contract], method, *values, sender=governor)
        outcomes.append(f"{method}{tuple(args)}: {outcome}")
        if (
            expected == "refused"
            and outcome[0] == "ok"
            or (expected != "refused" and outcome != resolve(expected))
        ):
            unexpected.append(f"{method}{tuple(args)}: {outcome}, expected {expected}")
    system.feeds["SB30"].report(10**8, sender=system.holders.oracle_reporter)  # a fresh price
    mint = function_selector(reserve, "mint")
    for holder, label in ((governor, "governor (admin)"), (guardian, "guardian")):
        assert not _immediate(system, holder, mint), (
            f"{sequence}: the {label} calls Reserve.mint with no delay (a mint of 1 coin now: "
            f"{_mint_outcome(system, holder, exchange)}); steps: {outcomes}"
        )
    assert not unexpected, f"{sequence}: {unexpected}"
    assert read(reserve.authority) == manager.address


def test_admin_is_never_handed_to_the_manager_itself(system, governor, alice):
    """Rule 1 ("the admin cannot lock itself out"): the admin proposed the AccessManager's
    own address as its successor (it holds no role, so the conflict rule let it pass),
    then scheduled acceptAdminTransfer as an operation on the manager, which executed runs
    with the manager as msg.sender, i.e. the pending admin: the manager became its own
    admin and nobody could ever schedule or call an admin function again. Closed: the
    proposal is refused when scheduled (SovereignInvalidAdmin(manager)), so the accept
    finds no pending admin (SovereignNotPendingAdmin(manager, 0))."""
    manager = system.manager
    steps = [
        _govern(manager, manager, "beginAdminTransfer", manager, DAY, sender=governor),
        _govern(manager, manager, "acceptAdminTransfer", sender=governor),
    ]
    assert steps == [
        ("scheduled", "SovereignInvalidAdmin", (manager.address,)),
        ("executed", "SovereignNotPendingAdmin", (manager.address, ZERO)),
    ], steps
    grant = manager.grantRole.encode_input(MINTER, alice, 0)
    assert revert_of(manager.schedule, manager, grant, 0, by=governor) is None
    assert read(manager.admin) == governor.address
    assert read(manager.pendingAdmin) == ZERO


@pytest.mark.parametrize(
    "role", [PUBLIC, BURNER, RESERVE_MANAGER], ids=["public", "burner", "reserve-manager"]
)
def test_admin_moves_only_through_a_scheduled_proposal__even_after_a_function_remap(
    system, governor, burner, mallory, role
):
    """Rule 3 ("every governance act is public, and vetoable, for at least 1 hour") for
    the admin role itself: beginAdminTransfer is not one of OpenZeppelin's admin-restricted
    selectors, so setTargetFunctionRole(manager, [beginAdminTransfer], role) (itself
    scheduled) handed it to that role, without a delay; a holder of the role (the burner;
    for RESERVE_MANAGER, the governor granted it without a delay) then proposed mallory
    without any schedule and mallory accepted at once. Closed: the remap is refused when
    executed (PUBLIC: SovereignUnknownRole; otherwise SovereignFunctionLocked(manager,
    beginAdminTransfer, ADMIN, role): the manager's own functions stay the admin's), the
    grant of RESERVE_MANAGER to the governor is refused when scheduled
    (SovereignConflictingRoles(governor, 0, 7)), and the direct proposal is refused."""
    manager = system.manager
    begin = function_selector(manager, "beginAdminTransfer")
    steps, expected = [], []
    proposer = burner
    if role == RESERVE_MANAGER:
        steps.append(
            _govern(manager, manager, "grantRole", RESERVE_MANAGER, governor, 0, sender=governor)
        )
        expected.append(
            ("scheduled", "SovereignConflictingRoles", (governor.address, ADMIN, RESERVE_MANAGER))
        )
        proposer = governor
    steps.append(
        _govern(manager, manager, "setTargetFunctionRole", manager, [begin], role, sender=governor)
    )
    expected.append(
        ("executed", "SovereignUnknownRole", (PUBLIC,))
        if role == PUBLIC
        else ("executed", "SovereignFunctionLocked", (manager.address, begin, ADMIN, role))
    )
    assert steps == expected, steps
    assert read(manager.getTargetFunctionRole, manager, begin) == ADMIN
    if role == PUBLIC:
        proposer = mallory
    direct = revert_of(manager.beginAdminTransfer, mallory, MIN_EXECUTION_DELAY, by=proposer)
    assert direct is not None, "beginAdminTransfer(mallory) passed without a schedule"
    if proposer == governor:  # the admin, with its delay: it needs a schedule
        data = manager.beginAdminTransfer.encode_input(mallory, MIN_EXECUTION_DELAY)
        op = read(manager.hashOperation, governor, manager, data)
        assert _error(direct) == ("AccessManagerNotScheduled", (op,))
    else:
        assert _error(direct) == ("AccessManagerUnauthorizedAccount", (proposer.address, ADMIN))
    assert read(manager.admin) == governor.address
