"""The role matrix: role, holders (with execution delays), functions, delays.

Read from chain, not from configuration: holders come from the manager's
RoleGranted events, confirmed against ``getAccess``; functions from
``getTargetFunctionRole`` for every restricted function of every contract.
"""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from sovereign import events
from sovereign.governance import selector
from sovereign.roles import ADMIN_FUNCTIONS, FUNCTION_ROLES, Role


def _role_name(role_id: int) -> str:
    try:
        return Role(role_id).label
    except ValueError:
        return f"role-{role_id}"


def read_role_matrix(system, from_block: int = 0) -> list[dict]:
    """The matrix, holders from the ``RoleGranted`` events since ``from_block``: the
    deployment block (``sovereign.events.deployment_block(manifest)``)."""
    manager = system.manager
    candidates: set[tuple[int, str]] = set()
    for log in events.scan(manager.RoleGranted, from_block):
        candidates.add((int(log.roleId), log.account))

    functions: dict[int, list[str]] = {}
    targets = system.contracts()
    for name, methods in FUNCTION_ROLES.items():
        instances = [
            c
            for key, c in targets.items()
            if key == name or (name == "ReportedPriceFeed" and key.startswith("feed:"))
        ]
        for instance in instances:
            for method in methods:
                role = int(
                    manager.getTargetFunctionRole(instance.address, selector(instance, method))
                )
                entry = f"{name}.{method}"
                if entry not in functions.setdefault(role, []):
                    functions[role].append(entry)
    for name, methods in ADMIN_FUNCTIONS.items():
        functions.setdefault(0, []).extend(f"{name}.{m}" for m in methods)

    matrix = []
    for role in Role:
        if role is Role.PUBLIC:
            continue
        holders = []
        for role_id, account in sorted(candidates):
            if role_id != int(role):
                continue
            since, current_delay, _pending, _effect = manager.getAccess(role_id, account)
            if int(since) != 0:
                holders.append({"account": account, "execution_delay": int(current_delay)})
        matrix.append(
            {
                "role": role.label,
                "role_id": int(role),
                "holders": holders,
                "functions": functions.get(int(role), []),
                "grant_delay": int(manager.getRoleGrantDelay(int(role))),
            }
        )
    return matrix


def role_matrix_json(matrix: list[dict]) -> str:
    return json.dumps(matrix, indent=2)


def render_role_matrix(matrix: list[dict], console: Console | None = None) -> None:
    table = Table(title="Role matrix (read from chain)")
    for col in ("role", "holders", "functions", "execution delay"):
        table.add_column(col)
    for row in matrix:
        holders = "\n".join(h["account"] for h in row["holders"]) or "-"
        delays = "\n".join(f"{h['execution_delay']:,} s" for h in row["holders"]) or "-"
        table.add_row(row["role"], holders, "\n".join(row["functions"]) or "-", delays)
    (console or Console()).print(table)
