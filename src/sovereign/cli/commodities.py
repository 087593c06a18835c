"""``ape treasury commodities …``: the commodity tokens, their prices and the FX fixing,
minting attested lots. Delivery in kind (request, accept, deliver, reject, cancel,
requests) is in ``sovereign.cli.commodities_delivery``; the program ceilings of every
class are ``ape treasury ceilings`` (``sovereign.cli.ceilings``).

Prices: each commodity's quote feed answers in the quote currency (gold in USD per
troy ounce), the FX fixing in the peg currency per unit of it; the token's price feed
(FxConvertedFeed) is their product, in the peg currency, with the lag and closed-market
cut; the reserve counts the token at that price times the attested backing, haircut.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from sovereign import commodities as domain
from sovereign.attest import mint_arguments
from sovereign.cli.attest import LOTS, SYMBOL, Token
from sovereign.cli.base import ADDRESS, AMOUNT, OneLineUsageError, treasury_command
from sovereign.inputs import InputError, parse_amount
from sovereign.operations import OperationRefused, Step
from sovereign.sentences._fmt import Token as Unit
from sovereign.sentences._fmt import span
from sovereign.units import format_amount

group = click.Group("commodities", help="Commodity tokens: prices, minting, delivery.")
MAX_LOTS_PER_CALL = 64  # CommodityToken.MAX_LOTS_PER_CALL


def register(cli: click.Group) -> None:
    from sovereign.cli import commodities_delivery

    commodities_delivery.register(group)
    cli.add_command(group)


def peg(s, wad: int) -> str:
    """A peg-currency wad amount, exact, with the cash symbol (also ``cli.ceilings``')."""
    return f"{format_amount(int(wad), 18)} {s.cash_symbol}"


def _age(now: int, at: int) -> int | None:
    return now - int(at) if int(at) else None


def _shown_age(age: int | None) -> str:
    return "never" if age is None else f"{span(age)} ago"


# ------------------------------------------------------------------ list


def _row(s, symbol: str, c, counted: dict, now: int) -> dict:
    token = c.token
    decimals = int(token.decimals())
    state = domain.attestation_state(s.system.commodity, token, now)
    quote = c.quote_feed.latestRoundData()
    quote_decimals = int(c.quote_feed.decimals())
    peg = c.price_feed.latestRoundData()
    balance = int(token.balanceOf(s.system.reserve.address))
    return {
        "symbol": symbol,
        "token": token.address,
        "unit": str(token.unit()),
        "decimals": decimals,
        "supply": str(int(token.totalSupply())),
        "backing": str(state["backing"]),
        "attestation_live": state["live"],
        "attestation_not_live_because": state["not_live_because"],
        "attestation_age": state["age"],
        "quote_price": str(int(quote[1])),
        "quote_price_decimals": quote_decimals,
        "quote_price_age": _age(now, quote[3]),
        "peg_price_wad": str(int(peg[1])),
        "reserve_balance": str(balance),
        "counted_value_wad": str(counted.get(token.address, 0)),
    }


def _fx(s, now: int) -> dict:
    book = s.system.commodity
    first = next(iter(book.commodities.values()), None)
    out = {"quote": book.fx.quote, "feed": book.fx_feed.address}
    if first is None:
        return out
    spot, used, at, closed = first.price_feed.rate()
    return out | {
        "spot_wad": str(int(spot)),
        "rate_used_wad": str(int(used)),
        "age": _age(now, at),
        "market_closed": bool(closed),
    }


@treasury_command(group, "list", write=False)
def list_(s):
    """Each commodity token: its unit, supply and attested backing, the attestation (live,
    age), the quote price and its age, the peg-currency price used, the reserve's balance
    and the value the reserve counts; and the FX rate in use (spot, used, age, market
    closed or open)."""
    from ape import chain

    book = domain.commodity_book(s.system)
    now = chain.blocks.head.timestamp
    assets, _, values, _ = s.system.reserve.collateralBreakdown()
    counted = {str(a): int(v) for a, v in zip(assets, values, strict=True)}
    rows = [_row(s, sym, c, counted, now) for sym, c in book.commodities.items()]
    fx = _fx(s, now)
    if not s.as_json:
        _render(s, rows, fx)
    return {"commodities": rows, "fx": fx}


def _render(s, rows: list[dict], fx: dict) -> None:
    table = Table(title="Commodity tokens")
    cols = ("token", "unit", "supply", "backing", "attestation", "quote price", "peg price",
            "reserve holds", "counted value")  # fmt: skip
    for col in cols:
        table.add_column(
            col, justify="left" if col in ("token", "unit", "attestation") else "right"
        )
    quote = fx["quote"]
    for r in rows:
        sym, d = r["symbol"], r["decimals"]
        live = (
            "live" if r["attestation_live"] else f"not live ({r['attestation_not_live_because']})"
        )
        if r["attestation_age"] is not None:
            live += f", {_shown_age(r['attestation_age'])}"
        table.add_row(
            sym,
            r["unit"],
            domain.show_units(int(r["supply"]), d, sym),
            domain.show_units(int(r["backing"]), d, sym),
            live,
            f"{format_amount(int(r['quote_price']), r['quote_price_decimals'])} {quote} "
            f"({_shown_age(r['quote_price_age'])})",
            peg(s, int(r["peg_price_wad"])),
            domain.show_units(int(r["reserve_balance"]), d, sym),
            peg(s, int(r["counted_value_wad"])),
        )
    s.print(table)
    if "spot_wad" in fx:
        market = "closed (the closed-market haircut applies)" if fx["market_closed"] else "open"
        s.print(
            f"FX {s.cash_symbol} per {quote}: spot {format_amount(int(fx['spot_wad']), 18)}, "
            f"used {format_amount(int(fx['rate_used_wad']), 18)} ({_shown_age(fx['age'])}); "
            f"market {market}"
        )


# ------------------------------------------------------------------ mint


@treasury_command(group, "mint", role="commodity-office")
@SYMBOL
@LOTS
@click.option("--serial", "serials", multiple=True, help="a lot to mint (repeatable)")
@click.option("--all-unminted", is_flag=True, help="every lot of the list not minted yet")
@click.option("--to", "recipient", type=ADDRESS, default="reserve", show_default=True)
def mint(s, symbol, lots_file: Path, serials, all_unminted, recipient):
    """Mint SYMBOL for lots of LOTS.csv: the list must be the live statement's (its root
    is compared before anything is sent); each lot is minted once ever, with a multiproof
    of the list's tree, up to 64 lots a transaction. Default recipient: the reserve."""
    if bool(serials) == all_unminted:
        raise OneLineUsageError(
            "give --serial S (repeatable) or --all-unminted", click.get_current_context()
        )
    token = Token(s, symbol)
    lots = token.lots(lots_file)
    domain.check_attested(lots, token.book, token.contract, symbol)
    to = s.address(recipient, "--to")

    def state(i: int) -> int:
        return int(token.contract.lotState(domain.lot_key(lots.lots[i].serial)))

    if all_unminted:
        chosen = [i for i in range(len(lots.lots)) if state(i) == 0]
        if not chosen:
            raise OperationRefused(f"every lot of {lots_file} is minted already: nothing to mint")
    else:
        chosen = []
        for serial in dict.fromkeys(x.strip() for x in serials):
            i = lots.index(serial)
            if i is None:
                raise InputError(f"lot {serial} is not in {lots_file}")
            if state(i) != 0:
                raise InputError(f"lot {serial} is {domain.LOT_STATES[state(i)]} already")
            chosen.append(i)
    steps = []
    for start in range(0, len(chosen), MAX_LOTS_PER_CALL):
        part = chosen[start : start + MAX_LOTS_PER_CALL]
        leaves, proof, flags = mint_arguments(list(lots.lots), part)
        total = sum(lots.lots[i].quantity for i in part)
        steps.append(
            Step(
                token.contract,
                "mint",
                (to, leaves, proof, flags),
                f"minting {token.show(total)} for {len(part)} lots to {to}",
            )
        )
    result = s.op.run(steps, s.signer())
    minted = sum(lots.lots[i].quantity for i in chosen)
    return result | {
        "symbol": symbol,
        "recipient": to,
        "lots": [lots.lots[i].serial for i in chosen],
        "quantity": str(minted),
    }


# ------------------------------------------------------------------ prices


def _report(s, feed, text: str, what: str, per: str) -> dict:
    decimals = int(feed.decimals())
    answer = parse_amount(text, decimals, what)
    shown = f"{format_amount(answer, decimals)} {per}"
    s.price_unit = Unit(per, decimals)  # a refusal names the price in this unit
    return s.op.send(feed, "report", (answer,), s.signer(), f"reporting {shown}") | {
        "answer": str(answer),
        "shown": shown,
    }


@treasury_command(group, "price", role="oracle-reporter")
@SYMBOL
@click.argument("price", type=AMOUNT)
def price(s, symbol, price):
    """Report PRICE, in the quote currency per whole unit (gold: USD per troy ounce), to
    SYMBOL's quote feed. A price too far from the recent ones is refused."""
    token = Token(s, symbol)
    quote = token.book.fx.quote
    return _report(
        s, token.commodity.quote_feed, price, f"the {symbol} price", f"{quote} per {symbol}"
    ) | {"symbol": symbol}


@treasury_command(group, "fx", role="oracle-reporter")
@click.argument("rate", type=AMOUNT)
def fx(s, rate):
    """Report the FX fixing RATE: the peg currency per unit of the quote currency (e.g.
    22.50 per USD). A rate too far from the recent ones is refused."""
    book = domain.commodity_book(s.system)
    return _report(s, book.fx_feed, rate, "the FX rate", f"{s.cash_symbol} per {book.fx.quote}") | {
        "quote": book.fx.quote
    }
