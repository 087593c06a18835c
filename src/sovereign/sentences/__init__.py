"""One sentence a treasury operator can act on, for every custom error the system's
contracts can revert with (OpenZeppelin's inherited ones included).

``sentence(name, inputs, units)`` takes a revert as ``preflight.decode_revert``
decodes it (the error's name and its raw on-chain inputs) and the ``Units`` to
write it in: amounts exactly in their token with its symbol, times as UTC dates,
durations in seconds with a readable form, roles by label, addresses with their
label, selectors by function name, bytes32 ids as their text, and the next step
when there is an obvious one. It never raises: an unknown error, or inputs a
sentence cannot read, fall back to ``Name(key=value, ...)`` with the values
formatted where their kind is recognisable.

The table is split by contract family: ``access`` (AccessManaged, AccessManager,
SovereignAccessManager), ``tokens`` (ERC-20, permits, signatures, the stablecoin,
the settlement cash), ``reserve`` (the Reserve and its price feeds), ``tbill``
(series, registry, vault, ERC-4626), ``bond`` (coupon-bond series, registry, value
feed), ``commodity`` (attestations, commodity tokens, program ceilings, FX
conversion), ``desk`` (the redemption desk) and ``common`` (OpenZeppelin's utilities).
"""

from __future__ import annotations

import re

from sovereign.sentences import access, bond, commodity, common, desk, reserve, tbill, tokens
from sovereign.sentences._fmt import Entry, Fmt, Token, Units, to_bytes

__all__ = ["SENTENCES", "Token", "Units", "sentence"]

# custom error name -> sentence built from its decoded inputs
SENTENCES: dict[str, Entry] = {
    **access.SENTENCES,
    **tokens.SENTENCES,
    **reserve.SENTENCES,
    **tbill.SENTENCES,
    **bond.SENTENCES,
    **commodity.SENTENCES,
    **desk.SENTENCES,
    **common.SENTENCES,
}

# input names of unknown errors that hold a moment, a duration, basis points
_TIME_NAMES = {"when", "earliest", "deadline", "maturity", "timepoint", "schedule"}
_TIME_SUFFIXES = ("Ts", "Date", "Time", "At", "End", "Maturity")
_DURATION_NAMES = {"delay", "executionDelay", "grantDelay", "setback", "window", "heartbeat"}
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def sentence(name: str, inputs: dict, units: Units) -> str:
    """One line for the custom error ``name`` with its decoded ``inputs``; never raises."""
    name = str(name)
    try:
        inputs = dict(inputs or {})
    except (TypeError, ValueError):
        inputs = {}
    fmt = Fmt(units)
    entry = SENTENCES.get(name)
    if entry is not None:
        try:
            return entry(inputs, fmt)
        except Exception:  # a sentence never raises: wrong or missing inputs fall back
            pass
    if name.startswith("UnknownError_") and not inputs:
        return f"the contract reverted with an error not in the project's ABIs (0x{name[13:]})"
    return _fallback(name, inputs, fmt)


def _fallback(name: str, inputs: dict, fmt: Fmt) -> str:
    try:
        args = ", ".join(f"{key}={_value(key, value, fmt)}" for key, value in inputs.items())
    except Exception:
        args = ", ".join(str(key) for key in inputs)
    return f"{name}({args})"


def _value(key: str, value, fmt: Fmt) -> str:
    """A value of an unknown error, formatted by the kind its type and name suggest."""
    try:
        if value is None:
            return "none"
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, int):
            if key in _TIME_NAMES or key.endswith(_TIME_SUFFIXES):
                return fmt.when(value)
            if key in _DURATION_NAMES:
                return fmt.duration(value)
            if key.endswith("Bps"):
                return fmt.bps(value)
            if key.lower().startswith("role") or key.endswith("Role"):
                return fmt.role(value)
            return fmt.n(value)
        if isinstance(value, bytes | bytearray | memoryview):
            return fmt.fn(value) if len(value) == 4 else fmt.ident(value)
        text = str(value)
        if _ADDRESS.fullmatch(text):
            return fmt.addr(text)
        if re.fullmatch(r"0x[0-9a-fA-F]{8}", text):
            return fmt.fn(to_bytes(text))
        if re.fullmatch(r"0x[0-9a-fA-F]{64}", text):
            return fmt.ident(to_bytes(text))
        return " ".join(text.split())
    except Exception:
        return "?"
