"""The redemption desk read from the chain: its queue, buckets and requests, as the CLI,
``status`` and the demo show them. Amounts stay integers (coin and cash units) here;
the callers format them with their symbols."""

from __future__ import annotations

from dataclasses import dataclass

# RedemptionDesk.STATE_*, by value (mirrored: tests/unit/test_mirrors.py).
REQUEST_STATES = ("none", "pending", "admitted", "cancelled", "closed")
STATE_CONSTANTS = {f"STATE_{name.upper()}": n for n, name in enumerate(REQUEST_STATES)}


@dataclass(frozen=True)
class Request:
    id: int
    owner: str
    amount: int  # coins locked
    requested_at: int
    state: str
    unpaid: int  # coins not yet paid
    earned: int  # cash earned in all
    claimable: int  # cash claimable now

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "owner": self.owner,
            "amount": str(self.amount),
            "requested_at": self.requested_at,
            "state": self.state,
            "unpaid": str(self.unpaid),
            "earned": str(self.earned),
            "claimable": str(self.claimable),
        }


def read_request(desk, rid: int) -> Request:
    owner, amount, at, state, unpaid, earned, claimable = desk.request(rid)
    return Request(rid, str(owner), int(amount), int(at), REQUEST_STATES[int(state)],
                   int(unpaid), int(earned), int(claimable))  # fmt: skip


def requests(desk) -> list[Request]:
    """Every request ever made, oldest first (a view per request: for operators, not keepers)."""
    return [read_request(desk, rid) for rid in range(1, int(desk.requestCount()) + 1)]


def queue_state(desk, now: int, participant: str | None = None) -> dict:
    """What status shows: the queue's length and coins, its oldest open request's age,
    each bucket's capacity and room (and ``participant``'s own), the capacity factor."""
    open_ = [r for r in requests(desk) if r.state in ("pending", "admitted") and r.unpaid]
    b = desk.buckets(participant or "0x" + "0" * 40)
    oldest = min((r.requested_at for r in open_), default=None)
    out = {
        "queued_requests": len(open_),
        "queued_coins": str(sum(r.unpaid for r in open_)),
        "pending_coins": str(int(desk.pendingCoins())),
        "pool_coins": str(int(desk.poolCoins())),
        "oldest_age": None if oldest is None else max(now - oldest, 0),
        "capacity_factor_bps": int(desk.capacityFactorBps()),
        "hour": {"capacity": str(int(b.hourCapacity)), "room": str(int(b.hourRoom))},
        "day": {"capacity": str(int(b.dayCapacity)), "room": str(int(b.dayRoom))},
        "claimable_cash": str(sum(r.claimable for r in requests(desk))),
    }
    if participant is not None:
        out["own"] = {"capacity": str(int(b.ownCapacity)), "room": str(int(b.ownRoom))}
    return out


def read_desk(system, now: int) -> dict | None:
    """The ``status`` section: None for a deployment without a desk."""
    desk = getattr(system, "desk", None)
    return None if desk is None else {"address": desk.address, **queue_state(desk, now)}


def render_desk(state: dict, coin: str, cash_symbol: str, cash_decimals: int, console) -> None:
    from rich.table import Table

    from sovereign.sentences._fmt import span
    from sovereign.units import format_amount

    table = Table(title=f"Redemption desk ({state['address']})", show_header=False)
    table.add_column("item", style="bold")
    table.add_column("value", justify="right")
    age = state["oldest_age"]
    table.add_row("Queued requests", f"{state['queued_requests']:,}")
    table.add_row(
        "Queued coins (unpaid)", f"{format_amount(int(state['queued_coins']), 18)} {coin}"
    )
    table.add_row("Oldest request", "none" if age is None else f"{span(age)} old")
    table.add_row("Limits (the ratio's factor)", f"{state['capacity_factor_bps'] / 100:.2f}%")
    for name, label in (("hour", "Hour bucket"), ("day", "Day bucket")):
        b = state[name]
        table.add_row(f"{label}: room of capacity",
                      f"{format_amount(int(b['room']), 18)} of "
                      f"{format_amount(int(b['capacity']), 18)} {coin}")  # fmt: skip
    table.add_row("Cash claimable", f"{format_amount(int(state['claimable_cash']), cash_decimals)} "
                  f"{cash_symbol}")  # fmt: skip
    console.print(table)
