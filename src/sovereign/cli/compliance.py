"""AML freezes and court-ordered seizures: the compliance officer."""

from __future__ import annotations

import click

from sovereign import events
from sovereign.cli.base import ADDRESS, AMOUNT, ID, treasury_command
from sovereign.operations import OperationRefused, instruction_id

group = click.Group("compliance", help="AML freezes and court-ordered seizures.")


def register(cli: click.Group) -> None:
    cli.add_command(group)


CASE = click.option("--case", "case", required=True, type=ID, help="AML case reference")


@treasury_command(group, "freeze", role="compliance")
@click.argument("address", type=ADDRESS)
@CASE
def freeze(s, address, case):
    """Freeze ADDRESS: it can neither send nor receive the stablecoin."""
    who = s.address(address, "address")
    return s.op.send(
        s.system.stablecoin,
        "freeze",
        (who, instruction_id(case)),
        s.signer(),
        f"freezing {who} ({case})",
    )


@treasury_command(group, "unfreeze", role="compliance")
@click.argument("address", type=ADDRESS)
@CASE
def unfreeze(s, address, case):
    """Unfreeze ADDRESS."""
    who = s.address(address, "address")
    return s.op.send(
        s.system.stablecoin,
        "unfreeze",
        (who, instruction_id(case)),
        s.signer(),
        f"unfreezing {who} ({case})",
    )


@treasury_command(group, "seize", role="compliance")
@click.argument("source", type=ADDRESS)
@click.argument("destination", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
@click.option("--case", "case", required=True, type=ID, help="court order reference")
def seize(s, source, destination, amount, case):
    """Move AMOUNT from the frozen SOURCE to DESTINATION under a court order. A court
    order is executed once: a second seizure with the same reference is refused."""
    src, dst = s.address(source, "source"), s.address(destination, "destination")
    units = s.coin(amount)
    coin = s.system.stablecoin
    earlier = list(
        events.scan(
            coin.Seized,
            events.deployment_block(s.manifest),
            s.chain_head + 1,
            search_topics={"caseRef": instruction_id(case)},
        )
    )
    if earlier:
        raise OperationRefused(
            f"court order {case} was already executed in {earlier[0].transaction_hash} "
            f"(block {earlier[0].block_number}): a seizure is not repeated"
        )
    return s.op.send(
        coin,
        "seize",
        (src, dst, units, instruction_id(case)),
        s.signer(),
        f"seizing {s.show_coin(units)} from {src} to {dst} ({case})",
    ) | {"amount": str(units)}
