"""Who may change the desk's rules: each of its governance functions refuses every role
but its own (and the deployer and an outsider), and the AccessManager maps it to the
role sovereign.roles.FUNCTION_ROLES names, on the braked world (tests/unit/
test_access_manager.py checks every other contract's functions the same way)."""

from __future__ import annotations

import ape
import pytest

from sovereign import governance
from sovereign.preflight import simulate
from sovereign.roles import FUNCTION_ROLES
from tests.utils import dummy_args

CASES = [pytest.param(m, r, id=m) for m, r in FUNCTION_ROLES["RedemptionDesk"].items()]


@pytest.mark.parametrize("method,role", CASES)
def test_a_desk_rule__refuses_every_other_role(world, deployer, method, role):
    w = world
    outsider = w.p[3]  # a participant, holding no role
    desk = w.desk
    abi = next(m for m in desk.contract_type.mutable_methods if m.name == method)
    args = dummy_args(abi, outsider.address)
    by_role = w.system.holders.by_role()
    for who in [a for r, a in by_role.items() if r is not role] + [outsider, deployer]:
        revert = simulate(desk, method, *args, sender=who)
        assert revert is not None, f"{who.address} could call RedemptionDesk.{method}"
        assert (revert.name, revert.inputs) == (
            "AccessManagedUnauthorized",
            {"caller": who.address},
        )
    with ape.reverts(desk.AccessManagedUnauthorized, caller=outsider.address):
        getattr(desk, method)(*args, sender=outsider)


@pytest.mark.parametrize("method,role", CASES)
def test_a_desk_rule__wired_to_its_role(world, method, role):
    sel = governance.selector(world.desk, method)
    assert world.system.manager.getTargetFunctionRole(world.desk.address, sel) == int(role)
