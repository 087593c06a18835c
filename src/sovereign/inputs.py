"""Operator input, validated before anything is sent: amounts and addresses.

Every refusal is a ``InputError`` whose message is one line naming the problem.
"""

from __future__ import annotations

import re
from decimal import Decimal, localcontext

from eth_utils import is_checksum_address, is_hex_address, to_checksum_address


class InputError(ValueError):
    """Bad operator input; the message is one line naming the problem."""


# Digits with optional thousands separators in groups of exactly three, then an
# optional fraction. No sign, no exponent, no spaces, no other separators.
# ASCII digits only: ``\d`` would also accept Arabic-Indic and other Unicode digits.
_PLAIN = re.compile(r"[0-9]+(\.[0-9]+)?")
_GROUPED = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
UINT256_MAX = 2**256 - 1


def amount_form(text) -> str:
    """The amount's text, stripped, if it has the form of one; else InputError."""
    raw = text.strip() if isinstance(text, str) else str(text)
    if not raw:
        raise InputError("amount is empty")
    if raw.startswith("-"):
        raise InputError(f"amount {raw!r} is negative")
    if "," in raw and not _GROUPED.fullmatch(raw):
        raise InputError(f"amount {raw!r} has a thousands separator in the wrong place")
    if not (_PLAIN.fullmatch(raw) or _GROUPED.fullmatch(raw)):
        raise InputError(f"amount {raw!r} is not a plain decimal number (like 1,250,000.50)")
    return raw


def parse_amount(text: str, decimals: int, symbol: str, *, allow_zero: bool = False) -> int:
    """``"1,000,000.50"`` -> integer units of a token with ``decimals``.

    Refused: negatives, signs, exponents, empty text, misplaced thousands
    separators, more decimal places than the token has, and zero unless allowed.
    """
    raw = amount_form(text)
    value = Decimal(raw.replace(",", ""))
    places = -value.as_tuple().exponent if "." in raw else 0
    if places > decimals:
        raise InputError(f"amount {raw!r} has {places} decimal places; {symbol} has {decimals}")
    with localcontext() as ctx:
        ctx.prec = 200  # exact for any amount that could fit 256 bits
        units = int(value.scaleb(decimals))
    if units > UINT256_MAX:
        raise InputError(f"amount {raw!r} {symbol} is beyond what any token can hold (2^256 units)")
    if units == 0 and not allow_zero:
        raise InputError(f"amount {raw!r} is zero")
    return units


def resolve_address(text: str, labels: dict[str, str] | None = None) -> str:
    """A checksummed address, or a label from the deployment manifest."""
    raw = text.strip()
    if labels and raw in labels:
        return labels[raw]
    if not is_hex_address(raw):
        known = f" (known labels: {', '.join(sorted(labels))})" if labels else ""
        raise InputError(f"{raw!r} is neither an address nor a known label{known}")
    if not is_checksum_address(raw):
        raise InputError(
            f"address {raw} is not checksummed; if it is right, write it as "
            f"{to_checksum_address(raw)}"
        )
    return raw
