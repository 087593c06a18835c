"""A plan whose step reverts when sent, after its simulation passed (the chain moved in
between): one line saying why and how far it got, never a traceback. Nothing sent yet is
a refusal (exit 4); a later step stops the plan part-way (exit 7), the mined steps stay.

The chain is moved inside the confirmation: after the preflight, before the first send.
"""

import pytest
from rich.console import Console

from sovereign.cli.base import Exit, _classify
from sovereign.operations import OperationRefused, Operator, PartialBatch, Step
from tests.utils.constants import CASH


@pytest.fixture
def funded(cash, central_bank, alice):
    cash.mint(alice, 10 * CASH, sender=central_bank)
    return alice


def _paying(cash, bob, *amounts):
    return [Step(cash, "transfer", (bob.address, a * CASH), f"paying bob {a}") for a in amounts]


def _operator(system, moved):
    def confirm(prompt):
        moved()
        return True

    return Operator(system, {}, Console(quiet=True), confirm=confirm)


def test_second_step_reverts_when_sent__stopped_part_way_exit_7(system, cash, funded, bob):
    steps = _paying(cash, bob, 1, 5)
    op = _operator(system, lambda: cash.transfer(bob, 8 * CASH, sender=funded))
    with pytest.raises(PartialBatch) as err:
        op.run(steps, funded)
    line = str(err.value)
    assert "\n" not in line and _classify(err.value) is Exit.PARTIAL
    assert line.startswith("step 2 of 2, paying bob 5, failed when sent: ")
    assert "steps 1 to 1 were mined (0x" in line and "give the command again" in line
    assert cash.balanceOf(bob) == 9 * CASH and cash.balanceOf(funded) == 1 * CASH


def test_first_step_reverts_when_sent__refused_nothing_sent_exit_4(system, cash, funded, bob):
    steps = _paying(cash, bob, 5, 1)
    op = _operator(system, lambda: cash.transfer(bob, 8 * CASH, sender=funded))
    with pytest.raises(OperationRefused) as err:
        op.run(steps, funded)
    line = str(err.value)
    assert _classify(err.value) is Exit.REFUSED
    assert line.startswith("paying bob 5 failed when sent: ") and line.endswith("nothing was sent")
    assert cash.balanceOf(bob) == 8 * CASH  # only the move made inside the confirmation
