"""Settlement cash: the central bank issues it and retires its own."""

from __future__ import annotations

import click

from sovereign.cli.base import ADDRESS, AMOUNT, treasury_command
from sovereign.operations import OperationRefused

group = click.Group(
    "cash", help="Settlement cash (the CBDC stand-in): the central bank issues and retires it."
)


def register(cli: click.Group) -> None:
    cli.add_command(group)


def speak_in(s, symbol: str, decimals: int) -> None:
    """Revert sentences of this command in the token it moves (ERC-20 errors are
    otherwise worded in the stablecoin): ``holds 5.00 eSHL, 9.00 eSHL needed``."""
    from sovereign.cli.words import units

    try:
        from sovereign.sentences import Token, sentence
    except ImportError:  # the sentence table is being written: the plain sentence
        return
    s.op.describe = lambda revert: sentence(
        revert.name, revert.inputs, units(s, Token(symbol, decimals))
    )


def settlement_cash(s):
    """The deployment's SettlementCash, which this toolkit can issue and retire."""
    if s.system.cash is None:
        raise OperationRefused(
            "this deployment names no SettlementCash: its cash is an existing token, issued "
            "and retired outside this toolkit"
        )
    speak_in(s, s.cash_symbol, s.cash_decimals)
    return s.system.cash


@treasury_command(group, "issue", role="central-bank")
@click.argument("recipient", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
def issue(s, recipient, amount):
    """Issue AMOUNT new settlement cash to RECIPIENT (an address or a manifest label, e.g.
    reserve): SettlementCash.mint, signed by the central bank."""
    cash = settlement_cash(s)
    to = s.address(recipient, "recipient")
    units = s.cash(amount)
    result = s.op.send(
        cash, "mint", (to, units), s.signer(), f"issuing {s.show_cash(units)} to {to}"
    )
    balance = int(cash.balanceOf(to))
    if result.get("status") == "sent":
        s.print(f"{to} now holds {s.show_cash(balance)}")
    return result | {
        "recipient": to,
        "amount": str(units),
        "amount_shown": s.show_cash(units),
        "recipient_balance": str(balance),
        "total_supply": str(int(cash.totalSupply())),
    }


@treasury_command(group, "burn", role="central-bank")
@click.argument("amount", type=AMOUNT)
def burn(s, amount):
    """Retire AMOUNT of the central bank's own settlement cash (SettlementCash.burn of the
    signer's balance), signed by the central bank."""
    cash = settlement_cash(s)
    units = s.cash(amount)
    sender = s.signer()
    result = s.op.send(
        cash,
        "burn",
        (units,),
        sender,
        f"retiring {s.show_cash(units)} of the central bank's own cash ({sender.address})",
    )
    balance = int(cash.balanceOf(sender.address))
    if result.get("status") == "sent":
        s.print(f"the central bank now holds {s.show_cash(balance)}")
    return result | {
        "amount": str(units),
        "amount_shown": s.show_cash(units),
        "balance": str(balance),
        "total_supply": str(int(cash.totalSupply())),
    }
