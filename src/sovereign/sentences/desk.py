"""The redemption desk (the bank-run brake): requests, limits, the queue's rules."""

from __future__ import annotations

from sovereign.sentences._fmt import Entry, Fmt

# RedemptionDesk.STATE_* by value (sovereign.desk.REQUEST_STATES, in words)
_STATES = ("unknown", "queued, not yet admitted", "being paid", "cancelled", "paid and closed")
# DeskParameterOutOfBounds' names -> what they are, and how their values read
_PARAMETERS = {
    "hourBps": ("the hourly limit", "bps"),
    "dayBps": ("the daily limit", "bps"),
    "participantDayBps": ("a participant's daily limit", "bps"),
    "floorBps": ("the limits' floor at the minimum ratio", "bps"),
    "bandWad": ("the tightening band above the minimum ratio", "ratio"),
    "minRequest": ("the smallest request", "coin"),
    "admissionDelay": ("the admission delay", "duration"),
    "cancelAfter": ("the cancellation timeout", "duration"),
}


def _parameter(i: dict, f: Fmt) -> str:
    name = f.ident(i["name"])
    what, kind = _PARAMETERS.get(name, (f"parameter {name}", "n"))
    show = getattr(f, kind)
    return (
        f"{what} of {show(i['value'])} is outside its bounds, {show(i['min'])} to "
        f"{show(i['max'])} (of the supply, for a limit): choose a value within them"
    )


def _state(value) -> str:
    n = int(value)
    return _STATES[n] if 0 <= n < len(_STATES) else f"state {n:,}"


SENTENCES: dict[str, Entry] = {
    "DeskBelowMinimum": lambda i, f: (
        f"{f.coin(i['amount'])} is below the smallest redemption request, "
        f"{f.coin(i['minimum'])}: ask for at least that"
    ),
    "DeskCancelTooEarly": lambda i, f: (
        f"request {f.n(i['id'])} can be cancelled from {f.when(i['earliest'])}: until then "
        "it waits its turn in the queue"
    ),
    "DeskInstructionUsed": lambda i, f: (
        f"{f.addr(i['participant'])} has used instruction id {f.ident(i['instructionId'])} "
        "already: nothing is redeemed twice; give a new id for a new redemption"
    ),
    "DeskInvalidAddress": lambda i, f: f"{f.addr(i['account'])} cannot be the desk's reserve",
    "DeskInvalidInstructionId": lambda i, f: "the instruction id must not be empty (zero)",
    "DeskNotNamed": lambda i, f: (
        f"this desk is no longer the reserve's: the reserve names {f.addr(i['named'])}; "
        "redeem there (ape treasury redeem finds it)"
    ),
    "DeskNotOwner": lambda i, f: (
        f"request {f.n(i['id'])} is {f.addr(i['owner'])}'s: {f.addr(i['caller'])} cannot "
        "cancel it"
    ),
    "DeskNotParticipant": lambda i, f: (
        f"{f.addr(i['account'])} is not a licensed participant of the reserve: only "
        "participants redeem"
    ),
    "DeskOwnerFrozen": lambda i, f: (
        f"the owner of request {f.n(i['id'])}, {f.addr(i['owner'])}, is frozen: its cash and "
        "coins stay in the desk until compliance unfreezes it"
    ),
    "DeskParameterOutOfBounds": _parameter,
    "DeskRedemptionPaused": lambda i, f: (
        "redemption is paused: nothing is paid and no request is queued until the governor "
        "unpauses it"
    ),
    "DeskRequestClosed": lambda i, f: (
        f"request {f.n(i['id'])} is {_state(i['state'])}: nothing to do on it"
    ),
    "DeskTooManyOpen": lambda i, f: (
        f"{f.addr(i['participant'])} has {f.n(i['open'])} open redemption requests, the most "
        f"allowed ({f.n(i['max'])}): claim or cancel one first"
    ),
    "DeskUnknownRequest": lambda i, f: f"there is no redemption request {f.n(i['id'])}",
}
