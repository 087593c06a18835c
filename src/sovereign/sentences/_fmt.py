"""What the sentence tables share: the units a sentence is written in, and formatters.

Every formatter takes the raw on-chain value and returns text without raw
integers: amounts exactly in their token with its symbol, times as UTC dates,
durations in seconds with a readable form, roles by label, addresses with their
label, selectors by function name, bytes32 ids as their text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from eth_utils import to_checksum_address

from sovereign.pauses import Pause, VaultPause
from sovereign.roles import Role
from sovereign.units import format_amount, format_ratio

ZERO_ADDRESS = "0x" + "0" * 40


@dataclass(frozen=True)
class Token:
    symbol: str
    decimals: int


@dataclass(frozen=True)
class Units:
    """The tokens and names a sentence is written with."""

    coin: Token  # the stablecoin (18 decimals)
    cash: Token  # the settlement cash token
    # The token an ERC20/ERC4626/TBill error is about (the token the command acts
    # on: a T-bill series, the vault's shares); default: the coin.
    token: Token | None = None
    # Decimals of feed answers: the price of one whole asset in cash.
    price_decimals: int = 8
    # The unit of the feed the command reports to, when it is not cash (a commodity's
    # quote feed answers in USD per unit, the FX feed in cash per USD): default None.
    price: Token | None = None
    # checksummed address -> label ("treasury", "reserve", ...), shown beside addresses
    labels: Mapping[str, str] = field(default_factory=dict)
    # 4-byte selector -> "Contract.function", for the AccessManager's errors
    functions: Mapping[bytes, str] = field(default_factory=dict)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def span(seconds: int) -> str:
    """``93_784 -> "1 day 2 hours 3 min 4 s"``."""
    days, rest = divmod(int(seconds), 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    parts = [_plural(days, "day")] if days else []
    parts += [_plural(hours, "hour")] if hours else []
    parts += [f"{minutes} min"] if minutes else []
    parts += [f"{secs} s"] if secs else []
    return " ".join(parts) or "0 s"


def to_bytes(value) -> bytes:
    """bytes, or a ``0x`` hex string, as bytes."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    text = str(value)
    return bytes.fromhex(text[2:] if text[:2].lower() == "0x" else text)


class Fmt:
    """Formatters bound to one ``Units``; each takes a raw on-chain value."""

    def __init__(self, units: Units):
        self.units = units

    # ------------------------------------------------------------ amounts

    @staticmethod
    def amount(value, token: Token) -> str:
        return f"{format_amount(int(value), token.decimals)} {token.symbol}"

    def coin(self, value) -> str:
        return self.amount(value, self.units.coin)

    def cash(self, value) -> str:
        return self.amount(value, self.units.cash)

    def token(self, value) -> str:
        """An amount of the token the command acts on (default: the coin)."""
        return self.amount(value, self.units.token or self.units.coin)

    def symbol(self) -> str:
        """The symbol of the token the command acts on (default: the coin)."""
        return (self.units.token or self.units.coin).symbol

    def shares(self, value) -> str:
        """Vault shares: ``units.token``, else the vault's own decimals (cash + 6)."""
        token = self.units.token or Token("vault shares", self.units.cash.decimals + 6)
        return self.amount(value, token)

    def value(self, value) -> str:
        """A WAD value in the unit of account (the cash symbol)."""
        return f"{format_amount(int(value), 18)} {self.units.cash.symbol}"

    def price(self, value) -> str:
        """A feed answer: the price of one whole asset, in cash unless ``units.price``."""
        unit = self.units.price or Token(self.units.cash.symbol, self.units.price_decimals)
        return self.amount(value, unit)

    @staticmethod
    def ether(value) -> str:
        return f"{format_amount(int(value), 18)} ether"

    @staticmethod
    def bps(value) -> str:
        """Basis points as a percentage, exactly: ``250 -> "2.50%"``."""
        return f"{Decimal(int(value)).scaleb(-2):,.2f}%"

    @staticmethod
    def ratio(value) -> str:
        return format_ratio(int(value))

    @staticmethod
    def n(value) -> str:
        """A plain count: ``1234567 -> "1,234,567"``."""
        return f"{int(value):,}"

    # ------------------------------------------------------------ time

    @staticmethod
    def when(value) -> str:
        """Unix seconds as ``"2026-12-02 14:00:00 UTC"``."""
        try:
            moment = datetime.fromtimestamp(int(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return f"unix time {int(value):,}"
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")

    @staticmethod
    def duration(value) -> str:
        """``86_400 -> "86,400 s (1 day)"``."""
        seconds = int(value)
        if 0 <= seconds < 60:
            return f"{seconds} s"
        return f"{seconds:,} s ({span(seconds)})" if seconds > 0 else f"{seconds:,} s"

    # ------------------------------------------------------------ names

    def addr(self, value) -> str:
        """The full checksummed address, with its label when known."""
        try:
            address = to_checksum_address(str(value))
        except (ValueError, TypeError):
            return str(value)
        labels = self.units.labels
        label = labels.get(address) or labels.get(str(value))
        if label is None and address == ZERO_ADDRESS:
            label = "the zero address"
        return f"{address} ({label})" if label else address

    @staticmethod
    def role(value) -> str:
        """``2 -> "the minter role"``; an unknown id as ``"role 42"``."""
        try:
            return f"the {Role(int(value)).label} role"
        except ValueError:
            return f"role {int(value):,}"

    def fn(self, value) -> str:
        """A selector as its function's name when known, else its hex."""
        raw = to_bytes(value)
        return self.units.functions.get(raw) or "0x" + raw.hex()

    @staticmethod
    def ident(value) -> str:
        """A bytes32 id as its text when it is readable ASCII, else its hex."""
        raw = to_bytes(value)
        text = raw.rstrip(b"\0")
        if text and all(32 <= b < 127 for b in text):
            return text.decode("ascii")
        return "0x" + raw.hex()

    @staticmethod
    def paused(value, flags: type[Pause] | type[VaultPause], owner: str) -> str:
        """``2, Pause, "PKRC" -> "PKRC redemption is paused"``; a flag the Python mirror
        does not know by its number."""
        known = flags.known(int(value))
        if known is None:
            return f"this {owner} operation is paused (pause flag {int(value)})"
        words = known.words
        verb = "are" if " and " in words or words.endswith("s") else "is"
        return f"{owner} {words} {verb} paused"


# A table entry: the error's decoded inputs and the formatters -> one sentence.
Entry = Callable[[dict, Fmt], str]
