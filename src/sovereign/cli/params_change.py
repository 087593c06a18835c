"""What every ``params`` command shares: the bounds check, and the change sent through its delay."""

from __future__ import annotations

from sovereign.inputs import InputError
from sovereign.sentences._fmt import Fmt

ZERO = "0x" + "0" * 40

duration = Fmt.duration


def within(value: int, low: int, high: int, what: str, show, bounds: str) -> None:
    """Refuse ``value`` outside [low, high], naming the bounds and where they come from."""
    if not low <= value <= high:
        raise InputError(
            f"{what} {show(value)} is outside the contract's bounds: {show(low)} to "
            f"{show(high)} ({bounds})"
        )


def change(
    s, contract, method: str, args: tuple, *, param: str, what: str, current, new, action=None
):
    """Show ``what`` now and after, refuse a change to the same value, then send it
    through its delay. ``current`` and ``new`` are (raw value, shown) pairs; ``action``
    the step's description (default: setting WHAT from NOW to NEW)."""
    (raw_now, shown_now), (raw_new, shown_new) = current, new
    if raw_now == raw_new:
        raise InputError(f"{what} is already {shown_new}: nothing to change")
    s.print(f"{what}: now {shown_now}; after this change {shown_new}")
    action = action or f"setting {what} from {shown_now} to {shown_new}"
    result = s.op.send(contract, method, args, s.signer(), action)
    return result | {
        "parameter": param,
        "current": raw_now,
        "new": raw_new,
        "current_shown": shown_now,
        "new_shown": shown_new,
    }
