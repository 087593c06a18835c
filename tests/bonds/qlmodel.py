"""QuantLib 1.44 as the independent model of a BondSeries: its schedule, coupons and accrual.

The model is built from the same `BondTerms` the series is deployed with, through
QuantLib's own objects only:

- schedule: ``ql.Schedule(issue, maturity, Period(frequency), NullCalendar(), Unadjusted,
  Unadjusted, DateGeneration.Forward, endOfMonth, firstCoupon)``;
- day counts: ACT/365F ``Actual365Fixed()``, ACT/360 ``Actual360()``, 30/360
  ``Thirty360(BondBasis)``, ACT/ACT-ICMA ``ActualActual(ISMA)`` without a schedule (the
  fixed-rate leg hands each coupon its reference period, one tenor back from the first
  coupon date when the first period is irregular);
- coupons and accrual: ``ql.FixedRateBond(0, face, schedule, [rate], dayCounter,
  Unadjusted, 100.0, issue, NullCalendar(), Period(recordDays, Days), NullCalendar(),
  Unadjusted, False)``, with face = the series' face value in cash units, so that every
  QuantLib amount is cash per whole token; the ex-coupon date is QuantLib's record date.

QuantLib works in doubles: a coupon is ``nominal * ((1 + r*t) - 1)``, so for a face of
1e24 cash units its last digits are noise. Two comparisons follow from that:

- against QuantLib's float amounts, within `float_tolerance(face)`, an a-priori bound
  on that double arithmetic (no fitted slack);
- against the exact amount: QuantLib's year fraction (a double) is turned back into the
  rational it approximates (every fraction here has a denominator of at most
  12 * 366 * 366, far apart at double precision), times the exact WAD rate and face.
  On-chain amounts must be that, rounded as the series rounds (down for coupons and the
  accruedInterest view, up for the accrued interest a sale charges), to the unit.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

import QuantLib as ql

from sovereign.bondterms import BondTerms, rate_wad

DAY = 86_400
WAD = 10**18
UNIX_EPOCH_SERIAL = ql.Date(1, 1, 1970).serialNumber()  # QuantLib's serial of day number 0
FREQUENCIES = {1: ql.Annual, 2: ql.Semiannual, 4: ql.Quarterly}
# ACT/ACT-ICMA in a long first period: step/12 * (a*L + b*E) / (E*L), E and L at most 366 days.
MAX_DENOMINATOR = 12 * 366 * 366


def day_counter(name: str) -> ql.DayCounter:
    return {
        "ACT/365F": ql.Actual365Fixed,
        "ACT/360": ql.Actual360,
        "30/360": lambda: ql.Thirty360(ql.Thirty360.BondBasis),
        "ACT/ACT-ICMA": lambda: ql.ActualActual(ql.ActualActual.ISMA),
    }[name]()


def to_ql(day: dt.date) -> ql.Date:
    return ql.Date(day.day, day.month, day.year)


def from_ql(date: ql.Date) -> dt.date:
    return dt.date(date.year(), date.month(), date.dayOfMonth())


def ql_timestamp(date: ql.Date) -> int:
    """00:00 UTC of a QuantLib date, in unix seconds."""
    return (date.serialNumber() - UNIX_EPOCH_SERIAL) * DAY


def ql_date_of(timestamp: int) -> ql.Date:
    """The QuantLib date of the UTC day holding `timestamp` (seconds dropped, as on-chain)."""
    return ql.Date(timestamp // DAY + UNIX_EPOCH_SERIAL)


def add_months(date: ql.Date, months: int, end_of_month: bool) -> ql.Date:
    """QuantLib's month arithmetic on a calendar without holidays (end-of-month rule
    applied only to a month-end date, as ``Calendar.advance`` does)."""
    return ql.NullCalendar().advance(
        date, ql.Period(months, ql.Months), ql.Unadjusted, end_of_month
    )


def exact_fraction(value: float) -> Fraction:
    """The rational with denominator <= MAX_DENOMINATOR that the double `value` rounds.
    Distinct such rationals are at least 1/MAX_DENOMINATOR**2 (~4e-13) apart, so a
    double within a few ulps of one identifies it; the check below guards that."""
    fraction = Fraction(value).limit_denominator(MAX_DENOMINATOR)
    assert abs(float(fraction) - value) <= 1e-14 * max(1.0, abs(value)), (value, fraction)
    return fraction


def float_tolerance(face: int) -> float:
    """A bound on QuantLib's double error for an amount on `face`: ``face*((1+r*t)-1)``
    with 1+r*t < 2 loses at most 2^-53 absolute in the sum, r*t <= 0.5 (rates up to
    25% here, year fractions under 2) carries a few relative ulps, and the product and
    the face's conversion one more each: < 4 * 2^-53 * face. Twice that, plus 1e-9."""
    return face * 2.0**-50 + 1e-9


def floor(amount: Fraction) -> int:
    """Rounded down: floor(x) for x >= 0, and -ceil(|x|) for x < 0, as the series
    rounds accrued interest (``accruedInterest``: "rounded down", also when negative)."""
    return amount.numerator // amount.denominator


@dataclass
class QLModel:
    terms: BondTerms
    schedule: ql.Schedule = field(init=False)
    bond: ql.FixedRateBond = field(init=False)
    coupons: list = field(init=False)

    def __post_init__(self):
        t = self.terms
        self.issue = to_ql(t.issue)
        self.face = t.face_value
        self.rate = Fraction(rate_wad(t.coupon_rate), WAD)
        self.one = 10**t.decimals
        self.day_counter = day_counter(t.day_count)
        self.schedule = ql.Schedule(
            self.issue,
            to_ql(t.maturity),
            ql.Period(FREQUENCIES[t.frequency]),
            ql.NullCalendar(),
            ql.Unadjusted,
            ql.Unadjusted,
            ql.DateGeneration.Forward,
            t.end_of_month,
            to_ql(t.first_coupon),
        )
        self.bond = ql.FixedRateBond(
            0,
            float(self.face),
            self.schedule,
            [float(t.coupon_rate)],
            self.day_counter,
            ql.Unadjusted,
            100.0,
            self.issue,
            ql.NullCalendar(),
            ql.Period(t.record_days, ql.Days),
            ql.NullCalendar(),
            ql.Unadjusted,
            False,
        )
        self.leg = self.bond.cashflows()
        self.coupons = [
            c for c in (ql.as_fixed_rate_coupon(cf) for cf in self.leg) if c is not None
        ]
        # Payment and record dates [unix seconds], increasing: searched with bisect.
        self.pay_ts = [ql_timestamp(c.date()) for c in self.coupons]
        self.record_ts = [
            ql_timestamp(c.exCouponDate() if c.exCouponDate() != ql.Date() else c.date())
            for c in self.coupons
        ]
        assert self.pay_ts == sorted(self.pay_ts) and self.record_ts == sorted(self.record_ts)

    # ------------------------------------------------------------ schedule

    @property
    def count(self) -> int:
        return len(self.coupons)

    def coupon_date(self, k: int) -> int:
        return self.pay_ts[k]

    def accrual_start(self, k: int) -> int:
        return ql_timestamp(self.coupons[k].accrualStartDate())

    def record_date(self, k: int) -> int:
        """QuantLib's ex-coupon date; with no ex-coupon period (0 days) the payment date."""
        return self.record_ts[k]

    def records_passed(self, timestamp: int) -> int:
        """How many coupons' record dates are on or before `timestamp`'s day."""
        return bisect.bisect_right(self.record_ts, timestamp)

    def coupons_paid(self, timestamp: int) -> int:
        """How many coupons have paid on or before `timestamp`'s day."""
        return bisect.bisect_right(self.pay_ts, timestamp)

    # ------------------------------------------------------------ amounts

    def coupon_float(self, k: int) -> float:
        """QuantLib's coupon amount per whole token [cash units, double]."""
        return self.coupons[k].amount()

    def year_fraction(self, c, d1: ql.Date, d2: ql.Date) -> Fraction:
        """Coupon `c`'s day counter from d1 to d2 with its reference period, exact."""
        yf = c.dayCounter().yearFraction(d1, d2, c.referencePeriodStart(), c.referencePeriodEnd())
        return exact_fraction(yf)

    def coupon_exact(self, k: int) -> Fraction:
        c = self.coupons[k]
        yf = exact_fraction(c.accrualPeriod())
        assert yf == self.year_fraction(c, c.accrualStartDate(), c.accrualEndDate())
        return self.face * self.rate * yf

    def accrued_float(self, timestamp: int) -> float:
        """QuantLib's accrued amount per whole token at `timestamp`'s day (negative ex-coupon)."""
        return ql.CashFlows.accruedAmount(self.leg, False, ql_date_of(timestamp))

    def accrued_exact(self, timestamp: int) -> Fraction:
        """QuantLib's accrual rule (``CashFlows.accruedAmount`` over
        ``FixedRateCoupon.accruedAmount``) with exact year fractions: the coupon paying
        next strictly after the day; zero on or before its accrual start; from its
        ex-coupon date on, minus the rest of the period; else the part accrued."""
        d = ql_date_of(timestamp)
        k = self.coupons_paid(timestamp)  # the first coupon paying after d's day
        if k == self.count:
            return Fraction(0)
        c = self.coupons[k]
        if d <= c.accrualStartDate():
            return Fraction(0)
        ex = c.exCouponDate()
        if ex != ql.Date() and d >= ex:
            return -self.face * self.rate * self.year_fraction(c, d, max(d, c.accrualEndDate()))
        return (
            self.face
            * self.rate
            * self.year_fraction(c, c.accrualStartDate(), min(d, c.accrualEndDate()))
        )
