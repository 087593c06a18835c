"""Delivery in kind: a holder asks for whole lots (``request``); the lots' custodian
takes it on (``accept``) and delivers (``deliver``: the tokens burn) or cannot
(``reject``: they return); a request never accepted may be cancelled by its holder after
30 days (``cancel``). ``requests`` lists them all."""

from __future__ import annotations

import click
from rich.table import Table

from sovereign import commodities as domain
from sovereign.cli.attest import SYMBOL, Token
from sovereign.cli.base import treasury_command
from sovereign.inputs import InputError
from sovereign.operations import Step
from sovereign.units import bytes32_to_text, text_to_bytes32

_commands = click.Group()
REQUEST_ID = click.argument("request_id", metavar="ID", type=click.IntRange(1))


def register(group: click.Group) -> None:
    for command in _commands.commands.values():
        group.add_command(command)


def _request(token: Token, request_id: int):
    count = int(token.contract.requestCount())
    if request_id > count:
        raise InputError(f"no {token.symbol} delivery request {request_id}; there are {count}")
    return token.contract.request(request_id)


def _shown(token: Token, r) -> str:
    state = domain.REQUEST_STATES[int(r.state)]
    return (
        f"{token.show(r.quantity)} in {len(r.lots)} lots from {bytes32_to_text(r.custodian)} "
        f"for {r.holder} ({state})"
    )


@treasury_command(_commands, "request", role=None)
@SYMBOL
@click.option("--serial", "serials", multiple=True, required=True, help="a lot (repeatable)")
def request(s, symbol, serials):
    """Ask for delivery of the whole lots --serial of SYMBOL (all of one custodian): their
    tokens and the delivery fee move from the signer into the token until delivery or
    cancellation. The holder signs: --account is required."""
    token = Token(s, symbol)
    keys = []
    for serial in dict.fromkeys(x.strip() for x in serials):
        key = domain.lot_key(domain.check_text(serial, "--serial"))
        state = int(token.contract.lotState(key))
        if state != 1:
            raise InputError(f"lot {serial} is {domain.LOT_STATES[state]}: not deliverable")
        keys.append(key)
    quantity = sum(int(token.contract.lotQuantity(k)) for k in keys)
    step = Step(
        token.contract,
        "requestDelivery",
        (keys,),
        f"requesting delivery of {token.show(quantity)} in {len(keys)} lots",
    )
    result = s.op.run([step], s.signer())
    if result.get("status") == "sent":
        result["request_id"] = int(token.contract.requestCount())
        s.print(f"request {result['request_id']}")
    return result | {"symbol": symbol, "quantity": str(quantity)}


def _custodian_step(s, symbol, request_id, method, args, verb):
    token = Token(s, symbol)
    r = _request(token, request_id)
    step = Step(
        token.contract, method, (request_id, *args),
        f"{verb} {symbol} request {request_id}: {_shown(token, r)}",
    )  # fmt: skip
    return s.op.run([step], s.signer()) | {"symbol": symbol, "request_id": request_id}


@treasury_command(_commands, "accept", role="custodian")
@SYMBOL
@REQUEST_ID
def accept(s, symbol, request_id):
    """Take delivery request ID of SYMBOL on (its custodian's account): from then on only
    delivery or rejection ends it, and the holder can no longer cancel."""
    return _custodian_step(s, symbol, request_id, "acceptDelivery", (), "accepting")


@treasury_command(_commands, "deliver", role="custodian")
@SYMBOL
@REQUEST_ID
@click.option("--ref", required=True, help="the delivery note, up to 31 ASCII characters")
def deliver(s, symbol, request_id, ref):
    """Confirm that request ID of SYMBOL was delivered (its custodian's account): its
    tokens burn, the fee is paid, the book value retires from the program ceiling."""
    note = text_to_bytes32(domain.check_text(ref, "--ref"))
    return _custodian_step(s, symbol, request_id, "confirmDelivery", (note,), "confirming")


@treasury_command(_commands, "reject", role="custodian")
@SYMBOL
@REQUEST_ID
@click.option("--reason", required=True, help="why, up to 31 ASCII characters (recorded)")
def reject(s, symbol, request_id, reason):
    """Reject request ID of SYMBOL (its custodian's account): the tokens and fee return
    to the holder."""
    why = text_to_bytes32(domain.check_text(reason, "--reason"))
    return _custodian_step(s, symbol, request_id, "rejectDelivery", (why,), "rejecting")


@treasury_command(_commands, "cancel", role=None)
@SYMBOL
@REQUEST_ID
def cancel(s, symbol, request_id):
    """Cancel request ID of SYMBOL, never accepted, 30 days after it was made: the tokens
    and fee return. The holder signs: --account is required."""
    token = Token(s, symbol)
    r = _request(token, request_id)
    step = Step(
        token.contract, "cancelDelivery", (request_id,),
        f"cancelling {symbol} request {request_id}: {_shown(token, r)}",
    )  # fmt: skip
    return s.op.run([step], s.signer()) | {"symbol": symbol, "request_id": request_id}


@treasury_command(_commands, "requests", write=False)
@SYMBOL
def requests(s, symbol):
    """Every delivery request of SYMBOL: holder, when, custodian, quantity, fee, lots and
    state (open, accepted, delivered, cancelled)."""
    token = Token(s, symbol)
    rows = []
    for i in range(1, int(token.contract.requestCount()) + 1):
        r = token.contract.request(i)
        rows.append(
            {
                "id": i,
                "holder": str(r.holder),
                "requested_at": int(r.requestedAt),
                "state": domain.REQUEST_STATES[int(r.state)],
                "custodian": bytes32_to_text(r.custodian),
                "quantity": str(int(r.quantity)),
                "fee": str(int(r.fee)),
                "lots": len(r.lots),
            }
        )
    if not s.as_json:
        table = Table(title=f"{symbol} delivery requests")
        for col in ("id", "holder", "requested", "custodian", "quantity", "fee", "lots", "state"):
            right = col in ("id", "quantity", "fee", "lots")
            table.add_column(col, justify="right" if right else "left")
        for r in rows:
            table.add_row(
                str(r["id"]), r["holder"], domain.utc(r["requested_at"]), r["custodian"],
                token.show(int(r["quantity"])), token.show(int(r["fee"])), str(r["lots"]),
                r["state"],
            )  # fmt: skip
        if not rows:
            table.add_row("-", "no requests", "-", "-", "-", "-", "-", "-")
        s.print(table)
    return {"symbol": symbol, "requests": rows}
