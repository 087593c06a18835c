"""Pause flags, mirrored from Solidity (tests/unit/test_mirrors.py checks they agree).

``Pause`` mirrors ``SovereignStablecoin.PAUSE_*``; ``VaultPause`` mirrors
``TBillVault.PAUSE_*``. Operators name them in lower case (``mint,redeem``).
"""

from __future__ import annotations

from enum import IntFlag

from sovereign.inputs import InputError


class _Flags(IntFlag):
    @classmethod
    def parse(cls, text: str):
        """``"mint,redeem"`` -> ``Pause.MINT | Pause.REDEEM``; one line naming a bad name."""
        names = [n.strip().lower() for n in str(text).split(",") if n.strip()]
        known = [m.name.lower() for m in cls]
        unknown = [n for n in names if n not in known]
        if not names or unknown:
            raise InputError(f"pause flags must be among {','.join(known)}; got {text!r}")
        value = cls(0)
        for name in names:
            value |= cls[name.upper()]
        return value

    @classmethod
    def known(cls, value: int):
        """The flags ``value`` sets, or None when it sets none or a bit this mirror lacks."""
        every = sum(int(member) for member in cls)
        value = int(value)
        return cls(value) if value and not value & ~every else None

    def names(self) -> list[str]:
        """The set flags' lower-case names, in bit order."""
        return [m.name.lower() for m in type(self) if m & self]

    @property
    def words(self) -> str:
        """``"minting and redemption"`` for sentences."""
        parts = [self._WORDS[m.name] for m in type(self) if m & self]
        return " and ".join(parts) if parts else "nothing"


class Pause(_Flags):
    """``SovereignStablecoin.pausedFlags()``."""

    MINT = 1
    REDEEM = 2
    TRANSFER = 4


Pause._WORDS = {"MINT": "minting", "REDEEM": "redemption", "TRANSFER": "transfers"}


class VaultPause(_Flags):
    """``TBillVault.pausedFlags()``."""

    DEPOSIT = 1
    WITHDRAW = 2


VaultPause._WORDS = {"DEPOSIT": "deposits", "WITHDRAW": "withdrawals"}
