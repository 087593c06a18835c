"""``ape treasury redemptions …``: the bank-run brake (RedemptionDesk). ``show`` the
queue and the buckets; a participant ``request``s a queued redemption (``ape treasury
redeem`` is paid at once when the limits allow, else queued), ``claim``s its cash and
``cancel``s what is unpaid after the timeout; anyone ``process``es the queue."""

from __future__ import annotations

import click
from rich.table import Table

from sovereign import desk as domain
from sovereign.cli.base import AMOUNT, ID, treasury_command
from sovereign.commodities import utc
from sovereign.inputs import InputError
from sovereign.operations import OperationRefused, Step, instruction_id
from sovereign.sentences._fmt import span

group = click.Group(
    "redemptions",
    help="The redemption queue and its limits: show, request, process, claim, cancel.",
)


def register(cli: click.Group) -> None:
    cli.add_command(group)


def desk_of(s):
    """The manifest's desk, if the reserve still names it (a governor may replace it)."""
    if s.system.desk is None:
        raise InputError("this deployment has no redemption desk: redeem at the reserve")
    named = str(s.system.reserve.redemptionDesk())
    if named.lower() != s.system.desk.address.lower():
        raise OperationRefused(
            f"the reserve names the redemption desk {named}, not the manifest's "
            f"{s.system.desk.address}: update the manifest"
        )
    return s.system.desk


def _request_id(s, text: str) -> int:
    desk = desk_of(s)
    count = int(desk.requestCount())
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= count:
        raise InputError(f"no redemption request {text!r}; ids run from 1 to {count}")
    return int(text)


def redeem_steps(s, units: int, ident: str, method: str) -> list[Step]:
    """An approval of the desk when the allowance is short, then the desk's call."""
    desk, who = desk_of(s), s.signer()
    steps = []
    if int(s.system.stablecoin.allowance(who.address, desk.address)) < units:
        steps.append(Step(s.system.stablecoin, "approve", (desk.address, units),
                          f"approving the desk for {s.show_coin(units)}"))  # fmt: skip
    verb = "redeeming" if method == "redeem" else "requesting the redemption of"
    steps.append(Step(desk, method, (units, instruction_id(ident)),
                      f"{verb} {s.show_coin(units)} ({ident})"))  # fmt: skip
    return steps


def outcome(s, result: dict) -> dict:
    """What the desk did with the last transaction: paid at once, or queued as request N."""
    sent = result.get("transactions") or []
    if not sent:
        return {}
    from ape import chain

    desk = desk_of(s)
    receipt = chain.provider.get_receipt(sent[-1]["tx"])
    for event in receipt.events.filter(desk.RedeemedInstantly):
        s.print(f"paid now: {s.show_cash(int(event.cashPaid))}")
        return {"paid_now": True, "cash": str(int(event.cashPaid))}
    for event in receipt.events.filter(desk.RedeemRequested):
        s.print(f"queued as request {int(event.id)}: it is paid as the limits refill and cash "
                "arrives (ape treasury redemptions process), then claimed")  # fmt: skip
        return {"paid_now": False, "request": int(event.id)}
    return {}


@treasury_command(group, "show", write=False)
@click.option("--participant", help="also show this participant's own daily room")
def show(s, participant):
    """The queue (requests waiting, their coins, the oldest one's age), the buckets' room
    and capacity with the factor the ratio sets, and every request."""
    desk = desk_of(s)
    from ape import chain

    who = s.address(participant, "participant") if participant else None
    state = domain.queue_state(desk, chain.blocks.head.timestamp, who)
    rows = domain.requests(desk)
    if not s.as_json:
        age = state["oldest_age"]
        s.print(
            f"queue: {state['queued_requests']} request"
            + ("" if state["queued_requests"] == 1 else "s")
            + ", "
            f"{s.show_coin(int(state['queued_coins']))} unpaid"
            + (f", the oldest {span(age)} old" if age is not None else "")
            + f"; limits at {state['capacity_factor_bps'] / 100:.2f}% of capacity"
        )
        for name in ("hour", "day", "own"):
            if name in state:
                b = state[name]
                s.print(f"  {name} bucket: {s.show_coin(int(b['room']))} of "
                        f"{s.show_coin(int(b['capacity']))} left")  # fmt: skip
        table = Table(title=f"Redemption requests ({desk.address})")
        for col in ("id", "owner", "coins", "state", "unpaid", "earned", "claimable"):
            table.add_column(col, justify="right" if col not in ("owner", "state") else "left")
        for r in rows:
            table.add_row(str(r.id), r.owner, s.show_coin(r.amount), r.state,
                          s.show_coin(r.unpaid), s.show_cash(r.earned),
                          s.show_cash(r.claimable))  # fmt: skip
        s.print(table)
    return {"desk": desk.address, **state, "requests": [r.as_json() for r in rows]}


@treasury_command(group, "request", role=None)
@click.argument("amount", type=AMOUNT)
@click.option(
    "--id", "ident", required=True, type=ID, help="instruction id, unique per participant"
)
def request(s, amount, ident):
    """Queue a redemption of AMOUNT stablecoin whatever the limits (ERC-7540's
    requestRedeem): the coins are locked in the desk until paid. The participant signs."""
    units = s.coin(amount)
    result = s.op.run(redeem_steps(s, units, ident, "requestRedeem"), s.signer())
    return result | outcome(s, result) | {"amount": str(units), "id": ident}


@treasury_command(group, "process", role=None)
@click.option("--max", "max_admit", default=100, show_default=True, type=click.IntRange(1, 1000),
              help="requests admitted in this transaction at most")  # fmt: skip
def process(s, max_admit):
    """Admit queued requests old enough, first in first out, then pay a round: in full
    when the limits and the cash allow, else every request the same fraction. Any account."""
    desk = desk_of(s)
    if int(desk.pendingCoins()) == 0 and int(desk.poolCoins()) == 0:
        raise OperationRefused("the queue is empty: nothing to process")
    if int(desk.poolCoins()) == 0:
        from ape import chain

        head = domain.read_request(desk, int(desk.nextToAdmit()))
        joins = head.requested_at + int(desk.admissionDelay())
        if joins > chain.blocks.head.timestamp:
            raise OperationRefused(
                f"no request is old enough to join a round: request {head.id} joins from "
                f"{utc(joins)} (the admission delay)"
            )
    result = s.op.run([Step(desk, "process", (max_admit,), "processing the redemption queue")],
                      s.signer())  # fmt: skip
    out = {"round": None}
    for tx in result.get("transactions") or []:
        from ape import chain

        receipt = chain.provider.get_receipt(tx["tx"])
        for e in receipt.events.filter(desk.RoundPaid):
            s.print(f"round {int(e.round)}: {s.show_coin(int(e.coins))} paid for "
                    f"{s.show_cash(int(e.cashPaid))}"
                    + (" (the whole pool)" if e.fullyPaid else " (pro rata)"))  # fmt: skip
            out = {"round": int(e.round), "coins": str(int(e.coins)),
                   "cash": str(int(e.cashPaid)), "full": bool(e.fullyPaid)}  # fmt: skip
    if out["round"] is None and result.get("transactions"):
        s.print("no round paid: requests admitted, or nothing the limits and the cash could pay")
    return result | out


@treasury_command(group, "claim", role=None)
@click.argument("request_id", metavar="ID")
def claim(s, request_id):
    """Send request ID's earned cash to its owner (any account may send it)."""
    rid = _request_id(s, request_id)
    r = domain.read_request(desk_of(s), rid)
    if r.state != "admitted":
        raise OperationRefused(f"request {rid} is {r.state}: nothing to claim")
    if r.claimable == 0:
        raise OperationRefused(f"request {rid} has no cash to claim yet")
    desc = f"claiming {s.show_cash(r.claimable)} for request {rid} (to {r.owner})"
    result = s.op.run([Step(desk_of(s), "claim", (rid,), desc)], s.signer())
    return result | {"request": rid, "cash": str(r.claimable)}


@treasury_command(group, "cancel", role=None)
@click.argument("request_id", metavar="ID")
def cancel(s, request_id):
    """Cancel what request ID has not been paid (its owner, 7 days after the request by
    default): the coins come back, with any cash already earned."""
    rid = _request_id(s, request_id)
    r = domain.read_request(desk_of(s), rid)
    desc = (f"cancelling request {rid}: {s.show_coin(r.unpaid)} back to {r.owner}, with "
            f"{s.show_cash(r.claimable)} earned")  # fmt: skip
    result = s.op.run([Step(desk_of(s), "cancel", (rid,), desc)], s.signer())
    return result | {"request": rid, "coins": str(r.unpaid)}


# ------------------------------------------------------------------ governance


def _bps(text: str, what: str) -> int:
    """``5%`` or ``5`` -> 500 basis points, exactly (at most two decimals)."""
    from sovereign.inputs import parse_amount

    return parse_amount(text.strip().removesuffix("%").strip(), 2, what, allow_zero=True)


def _pct(bps: int) -> str:
    return f"{bps / 100:.2f}%"


@treasury_command(group, "limits", role="governor")
@click.option("--hour", help="the hour's limit, a share of the supply (e.g. 5%)")
@click.option("--day", help="the day's limit (at least the hour's)")
@click.option("--participant-day", help="one participant's instant redemptions a day")
@click.option("--floor", help="the limits' factor at the minimum ratio (at least 10%)")
@click.option("--band", help="the ratio above the minimum where the limits start to tighten")
def limits(s, hour, day, participant_day, floor, band):
    """Change the desk's outflow limits through the governor's delay; an option left out
    keeps its value. Bounds: an hour 0.1% to 50%, a day from the hour to 100%, a
    participant's day from 0.01% to the day, a floor 10% to 100%, a band 0 to 100 points."""
    from sovereign import limits as bounds
    from sovereign.cli.params_change import change, within

    desk = desk_of(s)
    band_wad = int(desk.bandWad())
    now = (int(desk.hourBps()), int(desk.dayBps()), int(desk.participantDayBps()),
           int(desk.floorBps()), band_wad // 10**14)  # fmt: skip
    given = (hour, day, participant_day, floor, band)
    names = ("--hour", "--day", "--participant-day", "--floor", "--band")
    new = tuple(n if g is None else _bps(g, name) for n, g, name in zip(now, given, names,
                                                                         strict=True))  # fmt: skip
    within(new[0], bounds.MIN_HOUR_BPS, bounds.MAX_HOUR_BPS, "--hour", _pct, "RedemptionDesk")
    within(new[1], new[0], 10_000, "--day", _pct, "RedemptionDesk: from the hour's")
    within(new[2], 1, new[1], "--participant-day", _pct, "RedemptionDesk: up to the day's")
    within(new[3], bounds.MIN_FLOOR_BPS, 10_000, "--floor", _pct, "RedemptionDesk")
    within(new[4], 0, bounds.MAX_BAND_WAD // 10**14, "--band", _pct, "RedemptionDesk")
    show = lambda v: "hour {}, day {}, participant {}, floor {}, band {}".format(  # noqa: E731
        *(_pct(x) for x in v)
    )
    # The band as it is on-chain unless --band is given (never truncated to basis points).
    args = (*new[:4], band_wad if band is None else new[4] * 10**14)
    return change(s, desk, "setLimits", args, param="desk:limits", what="the desk's limits",
                  current=(list(now), show(now)), new=(list(new), show(new)))  # fmt: skip
