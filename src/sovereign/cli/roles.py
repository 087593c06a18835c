"""The role matrix, and role grants and revocations through the admin's delay."""

from __future__ import annotations

import click

from sovereign.cli.base import ADDRESS, treasury_command
from sovereign.roles import HOLDER_LABELS, Role

group = click.Group("roles", help="Who holds which role, and changes to it.")

ROLE = click.Choice(HOLDER_LABELS)


def register(cli: click.Group) -> None:
    cli.add_command(group)


def _role(label: str) -> Role:
    return next(r for r in Role if r.label == label)


@treasury_command(group, "show", write=False)
def show(s):
    """Every role: its holders (by label), its delay, and the functions it may call."""
    import json

    from sovereign.events import deployment_block
    from sovereign.rolematrix import read_role_matrix, render_role_matrix, role_matrix_json

    matrix = read_role_matrix(s.system, deployment_block(s.manifest))
    if not s.as_json:
        render_role_matrix(matrix, s.console)
    return json.loads(role_matrix_json(matrix))


@treasury_command(group, "grant", role="governor")
@click.argument("role", type=ROLE)
@click.argument("address", type=ADDRESS)
@click.option(
    "--delay",
    "execution_delay",
    default=0,
    type=click.IntRange(0, 2**32 - 1),
    help="the holder's own execution delay [s] (at least 3,600 for the governor)",
)
def grant(s, role, address, execution_delay):
    """Grant ROLE to ADDRESS through the admin's delay (the governor holds the admin
    role). A grant the manager would refuse at execution (a conflicting role, a delay
    too short) is refused before it is scheduled."""
    who = s.address(address, "address")
    r = _role(role)
    return s.op.send(
        s.system.manager,
        "grantRole",
        (int(r), who, execution_delay),
        s.signer(),
        f"granting {role} to {who}",
    ) | {"role": role, "account": who}


@treasury_command(group, "revoke", role="governor")
@click.argument("role", type=ROLE)
@click.argument("address", type=ADDRESS)
def revoke(s, role, address):
    """Revoke ROLE from ADDRESS through the admin's delay (a guardian's removal with
    the manager's 7-day public notice)."""
    who = s.address(address, "address")
    return s.op.send(
        s.system.manager,
        "revokeRole",
        (int(_role(role)), who),
        s.signer(),
        f"revoking {role} from {who}",
    ) | {"role": role, "account": who}
