"""``ape treasury params delay …``: the governance delays, changed through the admin's delay.

Two are settable and exposed, both through the admin's delay (the governor holds the admin
role):

- ``delay governor``: the governor's execution delay, the time every parameter change
  is public and vetoable (grantRole on the holder with a new execution delay; at least
  the manager's MIN_EXECUTION_DELAY, 1 hour). A longer delay applies at execution; a
  shorter one only (old - new) seconds later (OpenZeppelin's setback).
- ``delay grant ROLE``: a role's grant delay, the time a newly granted holder waits
  before the role works (setGrantDelay; OpenZeppelin applies every change at least
  minSetback(), 5 days, after execution).

Not exposed: the admin's own execution delay (the manager refuses grantRole on the admin
role; it changes only with an admin transfer, ``beginAdminTransfer(newAdmin, delay)``, to
another account), and a target's admin delay (setTargetAdminDelay: it only delays
setTargetFunctionRole and setTargetClosed, which the manager's rule 5 all but freezes, and
the admin's delay already covers them).
"""

from __future__ import annotations

import click

from sovereign import limits
from sovereign.cli.base import ADDRESS, treasury_command
from sovereign.cli.params_change import change, duration, within
from sovereign.inputs import InputError
from sovereign.pending_render import utc
from sovereign.roles import HOLDER_LABELS, Role

UINT32_MAX = 2**32 - 1

delay = click.Group("delay", help="Governance delays, changed through the admin's delay.")


@treasury_command(delay, "governor", role="governor")
@click.argument("seconds", type=int)
@click.option(
    "--holder",
    type=ADDRESS,
    help="the governor whose delay changes (default: the manifest's governor)",
)
def delay_governor(s, seconds, holder):
    """Set the governor's execution delay to SECONDS: how long every parameter change is
    public, and the guardian may cancel it, before it can run. At least 3,600 (1 hour).
    Scheduled through the admin's delay; a shorter delay takes effect only (old - new)
    seconds after execution."""
    who = s.address(holder or s.manifest["holders"]["governor"], "holder")
    within(
        seconds,
        limits.MIN_EXECUTION_DELAY,
        UINT32_MAX,
        "the governor's execution delay",
        duration,
        "SovereignAccessManager.MIN_EXECUTION_DELAY to 2^32 - 1 s",
    )
    manager = s.system.manager
    since, current, pending, effect = (int(v) for v in manager.getAccess(int(Role.GOVERNOR), who))
    if since == 0:
        raise InputError(f"holder: {who} does not hold the governor role")
    from ape import chain

    if effect > chain.blocks.head.timestamp:
        s.print(f"note: a change to {duration(pending)} takes effect at {utc(effect)}")
    if seconds < current:
        s.print(f"note: a shorter delay takes effect {duration(current - seconds)} after execution")
    return change(
        s,
        manager,
        "grantRole",
        (int(Role.GOVERNOR), who, seconds),
        param="delay-governor",
        what=f"the governor's execution delay ({who})",
        current=(current, duration(current)),
        new=(seconds, duration(seconds)),
    ) | {"holder": who}


@treasury_command(delay, "grant", role="governor")
@click.argument("role", type=click.Choice(HOLDER_LABELS))
@click.argument("seconds", type=int)
def delay_grant(s, role, seconds):
    """Set ROLE's grant delay to SECONDS: how long a newly granted holder waits before
    the role works. Scheduled through the admin's delay; OpenZeppelin applies any change
    at least 5 days (minSetback) after execution."""
    within(seconds, 0, UINT32_MAX, f"the {role} grant delay", duration, "uint32 seconds")
    role_id = int(next(r for r in Role if r.label == role))
    manager = s.system.manager
    current = int(manager.getRoleGrantDelay(role_id))
    setback = max(limits.MIN_SETBACK, current - seconds)
    s.print(f"note: the new grant delay takes effect {duration(setback)} after execution")
    return change(
        s,
        manager,
        "setGrantDelay",
        (role_id, seconds),
        param="delay-grant",
        what=f"the grant delay of the {role} role",
        current=(current, duration(current)),
        new=(seconds, duration(seconds)),
    ) | {"role": role}
