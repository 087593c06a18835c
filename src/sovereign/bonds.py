"""Coupon bonds: the operator's terms checked and built, a series found by its ISIN,
and what a series is now, read from chain (schedule, accrued interest, prices,
redemption, default) for ``ape treasury bonds`` and ``status``.

Amounts are integers in their token's units; prices and coupons are cash per whole
bond; rates are exact decimals (``Decimal("0.05")`` is 5% a year). The coupon state
words follow contracts/bond/BondSeries.sol: a coupon is funded from its record date,
claimed from its payment date, and missed once COUPON_GRACE has passed unfunded.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sovereign import artifacts, limits
from sovereign.bondterms import DAY, ZERO_ADDRESS, BondTerms, timestamp_day
from sovereign.inputs import InputError
from sovereign.units import WAD, format_amount, from_units

# ISO 6166: a country code, nine letters or digits, a check digit.
ISIN_FORM = re.compile(r"[A-Z]{2}[A-Z0-9]{9}[0-9]")


def isin_check_digit(body: str) -> int:
    """The ISIN check digit of its first 11 characters: letters become 10..35, then Luhn."""
    digits = "".join(str(int(c, 36)) for c in body)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10


def isin_problem(text: str) -> str | None:
    """Why ``text`` is not an ISIN, or None when it is one."""
    if not ISIN_FORM.fullmatch(text):
        return (
            f"{text!r} is not an ISIN: 12 characters, a 2-letter country code, 9 capital "
            "letters or digits and a check digit (e.g. SL0000000018)"
        )
    digit = isin_check_digit(text[:11])
    if int(text[11]) != digit:
        return f"{text} is not an ISIN: its check digit is {text[11]}, it should be {digit}"
    return None


def parse_rate(text: str, what: str, *, signed: bool = False) -> Decimal:
    """``"5%"``, ``"5.125%"`` or ``"0.05"`` -> ``Decimal("0.05")``, exact to 18 places and
    within 0..100% (a margin: -100%..100% with ``signed``)."""
    raw = text.strip()
    sign = -1 if signed and raw.startswith("-") else 1
    body = raw.lstrip("+-") if signed else raw
    percent = body.endswith("%")
    body = body[:-1].strip() if percent else body
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", body):
        raise InputError(f"{what} {raw!r} is not a rate: write 5% or 0.05")
    rate = sign * Decimal(body) / (100 if percent else 1)
    if (rate * WAD) != (rate * WAD).to_integral_value():
        raise InputError(f"{what} {raw!r} has more than 18 decimal places as a fraction")
    if abs(rate) > 1:
        raise InputError(f"{what} {raw!r} is above 100% a year (BondTerms.MAX_RATE_WAD)")
    return rate


def percent(rate_wad: int) -> str:
    """A WAD rate as an exact percentage: ``5e16 -> "5.00%"``."""
    pct = Decimal(int(rate_wad)).scaleb(-16).normalize()
    if pct.as_tuple().exponent > -2:
        pct = pct.quantize(Decimal("0.01"))
    return f"{pct:f}%"


def check_terms(terms: BondTerms) -> None:
    """The rules a reader can check without the chain, as one line each (the contract
    checks the schedule's own rules: BondTerms.validate)."""
    if not terms.issue < terms.first_coupon <= terms.maturity:
        raise InputError(
            f"dates: the issue date ({terms.issue}) must come before the first coupon "
            f"({terms.first_coupon}), and that no later than the maturity ({terms.maturity})"
        )
    if not 0 <= terms.record_days <= 30:
        raise InputError(f"--record-days {terms.record_days}: 0 to 30 days before each coupon")
    if not 0 <= terms.call_notice_days <= 365:
        raise InputError(f"--notice-days {terms.call_notice_days}: 0 to 365 days")
    for day, _ in zip(terms.call_dates, terms.call_prices, strict=True):
        if not terms.first_coupon <= day < terms.maturity:
            raise InputError(
                f"--call {day}: a call date is a coupon date before the maturity "
                f"({terms.maturity})"
            )
    if list(terms.call_dates) != sorted(set(terms.call_dates)):
        raise InputError("--call: the call dates must increase, each given once")


# ------------------------------------------------------------------ finding a series


def series_at(address: str):
    return artifacts.at("BondSeries", address)


def find_series(registry, isin: str):
    """The registry's series with ``isin``; InputError naming the known ones if none."""
    if registry is None:
        raise InputError("this deployment has no bond registry (deployed before bonds existed)")
    address = str(registry.seriesByIsin(isin))
    if int(address, 16) == 0:
        known = ", ".join(str(series_at(a).isin()) for a in registry.allSeries()) or "none"
        raise InputError(f"no bond series with ISIN {isin}; issued: {known}")
    return series_at(address)


def all_series(registry) -> list:
    return [series_at(a) for a in registry.allSeries()] if registry is not None else []


# ------------------------------------------------------------------ reading a series


def day(ts: int) -> str:
    return timestamp_day(int(ts)).isoformat()


def coupon_state(series, k: int, now: int, *, count: int, defaulted: bool) -> str:
    """Coupon ``k``'s state in words, at ``now``."""
    funded, claimed = (int(v) for v in series.couponFunding(k))
    record, pay = int(series.recordDate(k)), int(series.couponDate(k))
    _, known = series.couponRate(k)
    owed = int(series.couponOwed(k))
    full = now >= record and funded >= owed
    if k >= count:
        return "cancelled: the bond was called before it"
    if defaulted:
        # Each coupon keeps its cash for its record-date holders: in full, or pro rata.
        if not funded:
            return "cancelled: default"
        if claimed >= funded:
            return "paid out"
        return "funded: claimable" if full else "part-funded: paid pro rata (default)"
    if not known:
        return "rate not fixed yet (ape treasury bonds fix-rate)"
    if now < record:
        return "upcoming"
    if owed == 0:
        return "nothing owed: no holder at its record date"
    if now < pay:
        return "funded: payable from its payment date" if full else "ex-coupon: to fund"
    if full:
        return "paid in full" if claimed >= owed else "funded: claimable"
    grace_end = pay + limits.COUPON_GRACE
    if now < grace_end:
        return f"unfunded: grace period until {day(grace_end)}"
    return "missed: a default anyone may record (ape treasury bonds default)"


def coupon_rows(series, now: int) -> list[dict]:
    """Every coupon of the schedule: dates, rate, cash per bond, funded, claimed, state."""
    one = 10 ** int(series.decimals())
    count, defaulted = int(series.couponCount()), bool(series.defaulted())
    rows = []
    for k in range(int(series.couponCountAtIssue())):
        rate, known = series.couponRate(k)
        funded, claimed = (int(v) for v in series.couponFunding(k))
        rows.append(
            {
                "coupon": k,
                "record_date": int(series.recordDate(k)),
                "pay_date": int(series.couponDate(k)),
                "rate_wad": int(rate) if known else None,
                "per_bond": int(series.couponOn(one, k)) if known else None,
                "owed": int(series.couponOwed(k)) if known else None,
                "funded": funded,
                "claimed": claimed,
                "state": coupon_state(series, k, now, count=count, defaulted=defaulted),
            }
        )
    return rows


def clean_price(system, isin: str) -> tuple[int | None, int, int]:
    """The reported clean price of one bond (answer, decimals, updatedAt), from the clean
    price feed the manifest names for ``isin`` (``bonds feeds``); None when there is none."""
    feed = system.feeds.get(isin)
    if feed is None:
        return None, 0, 0
    _, answer, _, updated_at, _ = feed.latestRoundData()
    return (int(answer) if int(updated_at) else None), int(feed.decimals()), int(updated_at)


def reserve_counted(reserve, asset: str) -> dict | None:
    """The reserve's haircut and counted value of ``asset`` [WAD], when it lists it."""
    assets, haircut_values, counted, _ = reserve.collateralBreakdown()
    for address, haircut_value, value in zip(assets, haircut_values, counted, strict=True):
        if address == asset:
            return {"haircut_value_wad": int(haircut_value), "counted_value_wad": int(value)}
    return None


def read_bond(system, series, now: int, *, schedule: bool = False) -> dict:
    """One series as ``show`` and ``status`` read it; amounts in cash units per bond."""
    isin = str(series.isin())
    cash_decimals = int(system.cash.decimals())
    count = int(series.couponCount())
    nxt = int(series.nextCoupon(now))
    accrued = int(series.accruedInterest(now))
    answer, price_decimals, priced_at = clean_price(system, isin)
    clean = None if answer is None else from_units(answer, price_decimals)
    dirty = None if clean is None else clean + from_units(accrued, cash_decimals)
    feed = system.bond_feeds.get(isin)
    valuation = None
    if feed is not None:
        c, a, d, haircut_bps, value, _ = feed.valuation()
        valuation = {"haircut_bps": int(haircut_bps), "value_wad": int(value)}
    called = count != int(series.couponCountAtIssue())
    defaulted = bool(series.defaulted())
    out = {
        "isin": isin,
        "name": str(series.name()),
        "address": series.address,
        "decimals": int(series.decimals()),
        "face_value": int(series.faceValue()),
        "supply": int(series.totalSupply()),
        "reserve_holding": int(series.balanceOf(system.reserve.address)),
        "issue_date": int(series.issueDate()),
        "maturity": int(series.maturity()),
        "next_coupon": nxt if nxt < count else None,
        "next_coupon_date": int(series.couponDate(nxt)) if nxt < count else None,
        "accrued": accrued,
        "clean_price": None if clean is None else decimal_text(clean),
        "clean_price_updated_at": priced_at or None,
        "dirty_price": None if dirty is None else decimal_text(dirty),
        "value_feed": feed.address if feed is not None else None,
        "valuation": valuation,
        "reserve": reserve_counted(system.reserve, series.address),
        "auction": {
            "price": int(series.auctionPrice()),
            "remaining": int(series.auctionRemaining()),
        },
        "redemption": {
            "date": int(series.redemptionDate()),
            "price": int(series.redemptionPrice()),
            "called": called,
            "principal_pool": int(series.principalPool()),
            "principal_owed": int(series.principalOwed()),
        },
        "default": {
            "defaulted": defaulted,
            "recovery_pool": int(series.recoveryPool()),
            "per_bond": (
                int(series.redemptionValue(10 ** int(series.decimals()))) if defaulted else None
            ),
        },
    }
    if schedule:
        out["coupons"] = coupon_rows(series, now)
        dates, prices = series.callSchedule()
        out["calls"] = [
            {"index": i, "date": int(d), "price": int(p)}
            for i, (d, p) in enumerate(zip(dates, prices, strict=True))
        ]
    return out


def decimal_text(value: Decimal) -> str:
    """An exact decimal with its significant digits, at least two places: ``99.636986``."""
    value = value.normalize()
    if value.as_tuple().exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return f"{value:,f}"


def cash_text(units, decimals: int, symbol: str) -> str:
    return "-" if units is None else f"{format_amount(int(units), decimals)} {symbol}"


def signed_cash(units: int, decimals: int) -> str:
    """A signed amount (accrued interest is negative ex-coupon): ``-2.50``."""
    return ("-" if int(units) < 0 else "") + format_amount(abs(int(units)), decimals)


# ------------------------------------------------------------------ choosing a coupon


def coupon_to_fund(series, now: int) -> int:
    """The earliest coupon whose record date has begun and that is not fully funded."""
    for k in range(int(series.couponCount())):
        if int(series.recordDate(k)) > now:
            break
        owed = int(series.couponOwed(k))
        if owed and int(series.couponFunding(k)[0]) < owed:
            return k
    raise InputError(
        f"{series.isin()} has no coupon to fund now: each is funded from its record date "
        "on, and every one whose record date has begun is fully funded"
    )


def coupons_claimable(series, holder: str) -> list[int]:
    return [k for k in range(int(series.couponCount())) if int(series.claimable(holder, k))]


def default_candidate(series, now: int) -> int | None:
    """The coupon (or ``couponCount`` for the principal) whose grace period has passed
    unfunded, or None."""
    count = int(series.couponCount())
    for k in range(count):
        pay = int(series.couponDate(k))
        if pay + limits.COUPON_GRACE > now:
            break
        _, known = series.couponRate(k)
        # An unfixed floating rate is no missed payment: anyone fixes it (bonds fix-rate).
        if known and int(series.couponFunding(k)[0]) < int(series.couponOwed(k)):
            return k
    redemption = int(series.redemptionDate())
    if now >= redemption + limits.PRINCIPAL_GRACE:
        if int(series.principalPool()) < int(series.principalOwed()):
            return count
    return None


def fixing_round(series, coupon: int) -> int:
    """The reference feed's round in force when floating ``coupon`` starts to accrue."""
    reference = artifacts.at("ReportedPriceFeed", str(series.referenceRate()))
    if str(reference.address) == ZERO_ADDRESS:
        raise InputError(f"{series.isin()} pays a fixed rate: there is no rate to fix")
    fixing = int(series.accrualStartDate(coupon))
    round_id = int(reference.latestRoundData()[0])
    while round_id > 0:
        if int(reference.getRoundData(round_id)[3]) <= fixing:
            return round_id
        round_id -= 1
    raise InputError(
        f"the reference feed {reference.address} has no round published by {day(fixing)}, "
        f"when coupon {coupon} starts to accrue"
    )


def purchase_cost(series, amount: int, now: int) -> int:
    """The most buying ``amount`` costs if it is mined now or within the next UTC day:
    the auction's clean price plus the accrued interest, rounded up as the series charges
    (``BondSeries.quote``). The buyer approves this; the series takes the exact cost."""
    one = 10 ** int(series.decimals())
    accrued = max(int(series.accruedInterest(now)), int(series.accruedInterest(now + DAY)))
    per_bond = int(series.auctionPrice()) + accrued + 1  # +1: the series rounds accrued up
    return max(0, -(-int(amount) * per_bond // one))
