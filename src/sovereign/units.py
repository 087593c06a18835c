"""Exact conversions between human amounts (``Decimal``) and on-chain integers.

Never floats: every conversion is exact or refuses.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, localcontext

WAD = 10**18
BPS = 10_000


def to_units(amount: Decimal | int | str, decimals: int) -> int:
    """``Decimal("1.5"), 6 -> 1_500_000``; refuses amounts finer than ``decimals``."""
    value = Decimal(amount)
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more than {decimals} decimal places")
    return int(scaled)


def from_units(units: int, decimals: int) -> Decimal:
    """``1_500_000, 6 -> Decimal("1.5")`` (exact)."""
    return Decimal(int(units)).scaleb(-decimals)


def wad(amount: Decimal | int | str) -> int:
    return to_units(amount, 18)


def format_ratio(ratio_wad: int) -> str:
    """A ratio WAD as a percentage with two decimals; the no-supply sentinel as 'inf'."""
    if ratio_wad >= 2**255:
        return "∞ (no supply)"
    # Rounds down: a ratio shown to an operator is never better than the real one.
    pct = (Decimal(ratio_wad) * 100 / WAD).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return f"{pct:,}%"


def format_amount(units: int, decimals: int, places: int | None = None) -> str:
    """Exact: every significant digit of ``units`` is shown, with at least two
    decimal places (``1_500_000, 6 -> "1.50"``, ``9, 3 -> "0.009"``). With ``places``
    a table column is cut to that many places, rounding down, so that it never
    overstates a balance; sentences and prompts never pass it."""
    with localcontext() as ctx:
        ctx.prec = 200  # amounts of up to 2**256 units, exactly
        value = from_units(units, decimals)
        if places is not None:
            value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)
        else:
            value = value.normalize()
            if value.as_tuple().exponent > -2:
                value = value.quantize(Decimal("0.01"))
        return f"{value:,f}"


def text_to_bytes32(text: str) -> bytes:
    """``"MINT-0001"`` -> 32 bytes, ASCII left-aligned, zero-padded (``bytes32("...")``).

    Instruction ids, case references and licence references are short readable
    strings on-chain; longer or non-ASCII text is refused rather than hashed, so
    that an auditor can read every id straight from the event log.
    """
    if not text:
        raise ValueError("an id must not be empty")
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError(f"id {text!r} must be ASCII") from None
    if len(raw) > 32:
        raise ValueError(f"id {text!r} is longer than 32 characters")
    return raw.ljust(32, b"\0")


def bytes32_to_text(value: bytes) -> str:
    return bytes(value).rstrip(b"\0").decode("ascii", errors="replace")
