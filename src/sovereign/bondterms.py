"""A bond series' terms as the operator writes them, and as BondSeries takes them.

The day-count codes mirror contracts/bond/CouponSchedule.sol (a test checks them);
dates are whole UTC days, rates exact decimals (``Decimal("0.12375")`` is 12.375%).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sovereign.units import WAD

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
DAY = 86_400

# CouponSchedule.ACT_365F .. ACT_ACT_ICMA
DAY_COUNTS = {"ACT/365F": 0, "ACT/360": 1, "30/360": 2, "ACT/ACT-ICMA": 3}
FREQUENCIES = {"annual": 1, "semi-annual": 2, "quarterly": 4}


def day_timestamp(day: dt.date) -> int:
    """00:00 UTC of `day` in unix seconds."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def timestamp_day(ts: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).date()


def rate_wad(rate: Decimal) -> int:
    """An annual rate as a WAD, refused if it is not exact to 18 places."""
    scaled = Decimal(rate) * WAD
    if scaled != scaled.to_integral_value():
        raise ValueError(f"rate {rate} has more than 18 decimal places")
    return int(scaled)


@dataclass(frozen=True)
class BondTerms:
    name: str
    isin: str
    currency: str
    decimals: int
    face_value: int  # cash units per whole token
    issue: dt.date
    first_coupon: dt.date
    maturity: dt.date
    frequency: int = 2
    day_count: str = "ACT/ACT-ICMA"
    coupon_rate: Decimal = Decimal(0)  # a fixed bond's annual rate
    reference_rate: str = ZERO_ADDRESS  # a floating bond's reference feed
    margin: Decimal = Decimal(0)
    end_of_month: bool = True
    record_days: int = 15
    call_dates: tuple[dt.date, ...] = field(default_factory=tuple)
    call_prices: tuple[int, ...] = field(default_factory=tuple)
    call_notice_days: int = 30

    def as_struct(self) -> tuple:
        """The BondTerms.Terms tuple, in the struct's field order."""
        return (
            self.name,
            self.isin,
            self.currency,
            self.decimals,
            self.face_value,
            rate_wad(self.coupon_rate),
            self.reference_rate,
            rate_wad(self.margin),
            self.frequency,
            DAY_COUNTS[self.day_count],
            self.end_of_month,
            day_timestamp(self.issue),
            day_timestamp(self.first_coupon),
            day_timestamp(self.maturity),
            self.record_days,
            [day_timestamp(d) for d in self.call_dates],
            list(self.call_prices),
            self.call_notice_days,
        )
