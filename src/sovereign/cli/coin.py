"""The stablecoin's own flows: mint to a participant, redeem for cash, burn, and
transfers of the treasury's own coins."""

from __future__ import annotations

import click

from sovereign.cli.base import ADDRESS, AMOUNT, ID, treasury_command
from sovereign.operations import OperationRefused, instruction_id

commands = click.Group()


def register(cli: click.Group) -> None:
    for command in commands.commands.values():
        cli.add_command(command)


@treasury_command(commands, "mint", role="minter")
@click.argument("recipient", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
@click.option("--id", "ident", required=True, type=ID, help="instruction id, unique for ever")
def mint(s, recipient, amount, ident):
    """Mint AMOUNT stablecoin to the licensed participant RECIPIENT (an address or a
    manifest label), within the minter's allowance and the collateral ratio."""
    to = s.address(recipient, "recipient")
    units = s.coin(amount)
    return s.op.send(
        s.system.reserve,
        "mint",
        (to, units, instruction_id(ident)),
        s.signer(),
        f"minting {s.show_coin(units)} to {to} ({ident})",
    ) | {"amount": str(units), "id": ident}


@treasury_command(commands, "redeem", role=None)
@click.argument("amount", type=AMOUNT)
@click.option(
    "--id", "ident", required=True, type=ID, help="instruction id, unique per participant"
)
def redeem(s, amount, ident):
    """Redeem AMOUNT stablecoin for settlement cash at par, less the redemption fee. The
    participant itself signs: import its key first (ape accounts import NAME). With a
    redemption desk (the bank-run brake), it is paid at once when the outflow limits
    and the cash allow and no one is queued; otherwise it is queued, not refused
    (ape treasury redemptions show)."""
    units = s.coin(amount)
    if s.system.desk is not None:
        from sovereign.cli.redemptions import outcome, redeem_steps

        result = s.op.run(redeem_steps(s, units, ident, "redeem"), s.signer())
        return result | outcome(s, result) | {"amount": str(units), "id": ident}
    return s.op.send(
        s.system.reserve,
        "redeem",
        (units, instruction_id(ident)),
        s.signer(),
        f"redeeming {s.show_coin(units)} ({ident})",
    ) | {"amount": str(units), "id": ident}


@treasury_command(commands, "burn", role="burner")
@click.argument("amount", type=AMOUNT)
@click.option("--id", "ident", required=True, type=ID, help="instruction id, unique for ever")
def burn(s, amount, ident):
    """Burn AMOUNT of the treasury's own stablecoin (held by the burner)."""
    units = s.coin(amount)
    return s.op.send(
        s.system.reserve,
        "burn",
        (units, instruction_id(ident)),
        s.signer(),
        f"burning {s.show_coin(units)} ({ident})",
    ) | {"amount": str(units), "id": ident}


@treasury_command(commands, "transfer", role="burner")
@click.argument("recipient", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
def transfer(s, recipient, amount):
    """Transfer AMOUNT of the treasury's own stablecoin (the burner's balance, the coins
    `burn` would retire) to RECIPIENT."""
    to = s.address(recipient, "recipient")
    units = s.coin(amount)
    sender = s.signer()
    if to == sender.address:
        raise OperationRefused(f"{to} would transfer to itself")
    return s.op.send(
        s.system.stablecoin,
        "transfer",
        (to, units),
        sender,
        f"transferring {s.show_coin(units)} from {sender.address} to {to}",
    ) | {"amount": str(units)}
