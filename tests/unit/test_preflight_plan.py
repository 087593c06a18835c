"""Plans of several steps are simulated in order before anything is sent
(``preflight.simulate_plan``): a later step sees what the earlier ones leave,
a scheduled operation is simulated at its execution time, and nothing is mined."""

from sovereign import governance
from sovereign.preflight import Call, simulate_plan
from sovereign.roles import Role

CASH = 10**6


def test_a_later_step_sees_the_earlier_steps_state(cash, central_bank, exchange, alice, chain):
    cash.mint(exchange, 100 * CASH, sender=central_bank)
    head = chain.blocks.head.number
    ok = [
        Call(cash, "approve", (alice, 40 * CASH), exchange),
        Call(cash, "transferFrom", (exchange, alice, 40 * CASH), alice),
    ]
    assert simulate_plan(ok) is None
    # Without the approval first, the same pull fails, and it is named as step 2.
    too_much = [ok[0], Call(cash, "transferFrom", (exchange, alice, 41 * CASH), alice)]
    index, revert = simulate_plan(too_much)
    assert (index, revert.name) == (1, "ERC20InsufficientAllowance")
    assert revert.inputs["needed"] == 41 * CASH
    assert chain.blocks.head.number == head  # nothing mined
    assert cash.allowance(exchange, alice) == 0


def test_a_scheduled_call_is_simulated_at_its_execution_time(manager, governor, alice, chain):
    data = manager.grantRole.encode_input(int(Role.COMPLIANCE), alice, 0)
    delay = governance.permission(manager, governor, manager, "grantRole").delay
    assert delay > 0
    schedule = Call(manager, "schedule", (manager.address, data, 0), governor)
    execute = Call(
        manager,
        "execute",
        (manager.address, data),
        governor,
        chain.blocks.head.timestamp + delay + 60,
    )
    assert simulate_plan([schedule, execute]) is None
    # Executing before the delay has passed is refused by the manager itself.
    early = Call(manager, "execute", (manager.address, data), governor)
    index, revert = simulate_plan([schedule, early])
    assert (index, revert.name) == (1, "AccessManagerNotReady")


def test_revert_data_in_every_shape_nodes_give_it():
    """Anvil gives hex text, web3 may give bytes, Hardhat a dict holding the data
    (issue 12's `TypeError` in decode_revert); all decode alike, junk to an empty revert."""
    from sovereign.preflight import decode_revert

    data = "0x068ca9d8" + "00" * 12 + "2c8ed11fd7a058096f2e5828799c68be88744e2f"
    shapes = (data, bytes.fromhex(data[2:]), {"data": data}, {"data": {"data": data}})
    for shape in shapes:
        revert = decode_revert(shape)
        assert revert.name == "AccessManagedUnauthorized"
        assert revert.inputs == {"caller": "0x2c8ED11fd7A058096F2e5828799c68BE88744E2F"}
    assert decode_revert({"message": "no data"}).name == "EmptyRevert"
    assert decode_revert("not hex").name == "EmptyRevert"
