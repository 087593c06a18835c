"""The oracle stub's price feeds: the reporter reports, the governor forces."""

from __future__ import annotations

import click

from sovereign.cli.base import AMOUNT, treasury_command
from sovereign.inputs import InputError, parse_amount
from sovereign.units import format_amount

group = click.Group("oracle", help="The price feeds of the collateral assets.")


def register(cli: click.Group) -> None:
    cli.add_command(group)


def _feed(s, symbol: str):
    if symbol not in s.system.feeds:
        known = ", ".join(sorted(s.system.feeds)) or "none"
        raise InputError(f"no feed {symbol!r}; known: {known}")
    return s.system.feeds[symbol]


def _price(s, feed, price: str, symbol: str) -> tuple[int, str]:
    decimals = int(feed.decimals())
    answer = parse_amount(price, decimals, f"the {symbol} feed")
    return answer, f"{format_amount(answer, decimals)} {s.cash_symbol} per {symbol}"


@treasury_command(group, "report", role="oracle-reporter")
@click.argument("feed")
@click.argument("price", type=AMOUNT)
def report(s, feed, price):
    """Report PRICE (of one whole asset, in settlement cash) to FEED (an asset symbol of
    the manifest, e.g. SB30). A price too far from the recent ones is refused."""
    contract = _feed(s, feed)
    answer, shown = _price(s, contract, price, feed)
    return s.op.send(contract, "report", (answer,), s.signer(), f"reporting {shown}") | {
        "answer": str(answer)
    }


@treasury_command(group, "force", role="governor")
@click.argument("feed")
@click.argument("price", type=AMOUNT)
def force(s, feed, price):
    """Force PRICE on FEED past the deviation bound, through the governor's delay (a
    re-pricing the reporter may not make alone)."""
    contract = _feed(s, feed)
    answer, shown = _price(s, contract, price, feed)
    return s.op.send(contract, "forceReport", (answer,), s.signer(), f"forcing {shown}") | {
        "answer": str(answer)
    }
