"""Coupon bonds: the debt office issues series through the BondRegistry, auctions and
calls them; buyers pay clean price plus accrued interest; ``show`` reads a series whole.

Coupons, principal and default are in ``sovereign.cli.bonds_pay``; the feeds that list a
bond as reserve collateral in ``sovereign.cli.bonds_collateral``. Every write is
simulated whole first (create then open the auction; approve then buy then deliver).
"""

from __future__ import annotations

import datetime as dt

import click

from sovereign import bonds as domain
from sovereign.bills import next_series_address
from sovereign.bondterms import DAY_COUNTS, FREQUENCIES, ZERO_ADDRESS, BondTerms, rate_wad
from sovereign.cli.base import ADDRESS, AMOUNT, OneLineUsageError, treasury_command
from sovereign.cli.bonds_view import render_bond
from sovereign.cli.cash import speak_in
from sovereign.deployphases import series_creation_code
from sovereign.inputs import InputError, parse_amount
from sovereign.operations import OperationRefused, Step

group = click.Group("bonds", help="Coupon-bond series: issue, auction, coupons, call, default.")


def register(cli: click.Group) -> None:
    from sovereign.cli import bonds_collateral, bonds_pay

    bonds_pay.register(group)
    bonds_collateral.register(group)
    cli.add_command(group)


# ------------------------------------------------------------------ parameter types


class IsinType(click.ParamType):
    """An ISIN (ISO 6166): its form and check digit, checked before anything is read."""

    name = "isin"

    def convert(self, value, param, ctx):
        text = str(value).strip().upper()
        problem = domain.isin_problem(text)
        if problem:
            self.fail(problem, param, ctx)
        return text


class DateType(click.ParamType):
    """A calendar date, YYYY-MM-DD (a whole UTC day)."""

    name = "yyyy-mm-dd"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date: write YYYY-MM-DD, e.g. 2031-03-15", param, ctx)


class RateType(click.ParamType):
    """An annual rate: ``5%``, ``5.125%`` or ``0.05`` (signed for a margin)."""

    name = "rate"

    def __init__(self, signed: bool = False):
        self.signed = signed

    def convert(self, value, param, ctx):
        try:
            return domain.parse_rate(str(value), "rate", signed=self.signed)
        except InputError as err:
            self.fail(str(err), param, ctx)


class CallType(click.ParamType):
    """A call option: ``DATE:PRICE`` (the price per bond in cash, checked once connected)."""

    name = "date:price"

    def convert(self, value, param, ctx):
        text = str(value).strip()
        date, sep, price = text.partition(":")
        if not sep:
            self.fail(f"{value!r} is not DATE:PRICE, e.g. 2029-03-15:101.00", param, ctx)
        return DATE.convert(date, param, ctx), AMOUNT.convert(price, param, ctx)


ISIN, DATE = IsinType(), DateType()
ISIN_ARG = click.argument("isin", type=ISIN)


def series_of(s, isin: str):
    series = domain.find_series(s.system.bond_registry, isin)
    speak_in(s, isin, int(series.decimals()))
    return series


def bond_amount(series, text: str, what: str | None = None) -> int:
    return parse_amount(text, int(series.decimals()), what or str(series.isin()))


def named(s, address: str) -> str:
    """``0x… (label)`` when the manifest has a label for ``address`` (its shortest)."""
    found = sorted((n for n, a in s.op.labels.items() if a == address), key=len)
    return f"{address} ({found[0]})" if found else address


def show_bond(series, units: int) -> str:
    from sovereign.units import format_amount

    return f"{format_amount(int(units), int(series.decimals()))} {series.isin()}"


# ------------------------------------------------------------------ issue


@treasury_command(group, "issue", role="debt-office")
@ISIN_ARG
@click.option("--name", required=True, help='the bond\'s name, e.g. "Sovereign Bond 2031"')
@click.option("--face", required=True, type=AMOUNT, help="face value of one bond, in cash")
@click.option("--coupon", type=RateType(), help="a fixed annual coupon rate: 5% or 0.05")
@click.option("--reference", help="a floating bond's reference-rate feed (symbol, label, address)")
@click.option("--margin", type=RateType(signed=True), help="a floating bond's margin: +0.5%")
@click.option("--frequency", type=click.Choice(list(FREQUENCIES)), default="semi-annual")
@click.option(
    "--day-count",
    type=click.Choice(list(DAY_COUNTS), case_sensitive=False),
    default="ACT/ACT-ICMA",
    help="ACT/365F, ACT/360, 30/360 or ACT/ACT-ICMA",
)
@click.option("--issue-date", required=True, type=DATE, help="YYYY-MM-DD, 00:00 UTC")
@click.option("--first-coupon", required=True, type=DATE, help="the first coupon's date")
@click.option("--maturity", required=True, type=DATE, help="the last coupon's and principal's")
@click.option(
    "--record-days",
    type=int,
    default=15,
    show_default=True,
    help="each coupon's holders are those this many days before it pays",
)
@click.option(
    "--call",
    "calls",
    type=CallType(),
    multiple=True,
    help="a call option DATE:PRICE (a coupon date; repeatable)",
)
@click.option(
    "--notice-days",
    type=int,
    default=30,
    show_default=True,
    help="a call is made at least this many days before its date",
)
@click.option("--currency", help="the settlement currency's code (default: the cash's symbol)")
@click.option("--decimals", type=click.IntRange(0, 18), help="the bond token's (default: cash's)")
@click.option("--no-end-of-month", is_flag=True, help="a month-end first coupon stays that day")
@click.option("--price", type=AMOUNT, help="also open the auction at this clean price per bond")
@click.option("--amount", type=AMOUNT, help="with --price: the bonds offered")
def issue(
    s,
    isin,
    name,
    face,
    coupon,
    reference,
    margin,
    frequency,
    day_count,
    issue_date,
    first_coupon,
    maturity,
    record_days,
    calls,
    notice_days,
    currency,
    decimals,
    no_end_of_month,
    price,
    amount,
):
    """Create bond series ISIN with immutable terms through the BondRegistry (passing
    BondSeries' creation code, the only code it accepts), and with --price and --amount
    open its auction: both simulated before the first is sent."""
    ctx = click.get_current_context()
    if (coupon is None) == (reference is None):
        raise OneLineUsageError("give --coupon RATE (fixed) or --reference FEED (floating)", ctx)
    if (price is None) != (amount is None):
        raise OneLineUsageError("--price and --amount go together (the auction)", ctx)
    if margin is not None and reference is None:
        raise OneLineUsageError("--margin is a floating bond's: give --reference too", ctx)
    registry = s.system.bond_registry
    if registry is None:
        raise OperationRefused("this deployment has no bond registry")
    existing = str(registry.seriesByIsin(isin))
    if int(existing, 16):
        raise InputError(f"a bond with ISIN {isin} exists already, at {existing}")
    feed = ZERO_ADDRESS
    if reference is not None:
        known = s.system.feeds.get(reference)
        feed = known.address if known is not None else s.address(reference, "--reference")
    bond_decimals = s.cash_decimals if decimals is None else decimals
    terms = BondTerms(
        name=name,
        isin=isin,
        currency=currency or s.cash_symbol,
        decimals=bond_decimals,
        face_value=s.cash(face, "the face value"),
        issue=issue_date,
        first_coupon=first_coupon,
        maturity=maturity,
        frequency=FREQUENCIES[frequency],
        day_count=day_count.upper(),
        coupon_rate=coupon or 0,
        reference_rate=feed,
        margin=margin or 0,
        end_of_month=not no_end_of_month,
        record_days=record_days,
        call_dates=tuple(d for d, _ in calls),
        call_prices=tuple(s.cash(p, f"the call price on {d}") for d, p in calls),
        call_notice_days=notice_days,
    )
    domain.check_terms(terms)
    if coupon is not None:
        rate = f"{domain.percent(rate_wad(terms.coupon_rate))} fixed"
    else:
        sign = "+" if terms.margin >= 0 else "-"
        rate = f"floating: {feed} {sign} {domain.percent(abs(rate_wad(terms.margin)))}"
    code = series_creation_code()
    steps = [
        Step(
            registry,
            "createSeries",
            (terms.as_struct(), code),
            f"creating bond {isin} ({name}): face {s.show_cash(terms.face_value)}, {rate}, "
            f"{frequency} {terms.day_count}, issued {issue_date}, first coupon {first_coupon}, "
            f"maturity {maturity}",
        )
    ]
    address = next_series_address(registry)
    if price is not None:
        clean = s.cash(price, "the price")
        offered = parse_amount(amount, bond_decimals, isin)
        steps.append(
            Step(
                registry,
                "openAuction",
                (address, clean, offered),
                f"opening the {isin} auction at a clean price of {s.show_cash(clean)} for "
                f"{domain.cash_text(offered, bond_decimals, isin)}",
            )
        )
    return s.op.run(steps, s.signer()) | {"series": address, "isin": isin}


# ------------------------------------------------------------------ auction, buy, call


@treasury_command(group, "auction", role="debt-office")
@ISIN_ARG
@click.option("--price", type=AMOUNT, help="the clean price per bond, in cash")
@click.option("--amount", type=AMOUNT, help="the bonds offered (replaces what remains)")
@click.option("--close", is_flag=True, help="close the auction instead")
def auction(s, isin, price, amount, close):
    """Open (or re-price) the auction of ISIN: --amount bonds at a clean --price per bond
    (buyers also pay the accrued interest); or --close it."""
    if close == (price is not None or amount is not None) or (
        not close and (price is None or amount is None)
    ):
        raise OneLineUsageError(
            "give --price and --amount, or --close alone", click.get_current_context()
        )
    series = series_of(s, isin)
    registry = s.system.bond_registry
    if close:
        if int(series.auctionPrice()) == 0:
            raise OperationRefused(f"no auction of {isin} is open: nothing to close")
        left = show_bond(series, series.auctionRemaining())
        method, args = "closeAuction", (series.address,)
        action = f"closing the {isin} auction ({left} unsold)"
    else:
        clean, offered = s.cash(price, "the price"), bond_amount(series, amount)
        method, args = "openAuction", (series.address, clean, offered)
        action = (
            f"opening the {isin} auction at a clean price of {s.show_cash(clean)} for "
            f"{show_bond(series, offered)}"
        )
    result = s.op.send(registry, method, args, s.signer(), action)
    return result | {"isin": isin, "series": series.address}


@treasury_command(group, "buy", role=None)
@ISIN_ARG
@click.argument("amount", type=AMOUNT)
@click.option("--max-price", required=True, type=AMOUNT, help="highest clean price per bond")
@click.option("--to", "recipient", type=ADDRESS, help="deliver the bonds to (e.g. reserve)")
def buy(s, isin, amount, max_price, recipient):
    """Buy AMOUNT bonds of ISIN at its auction, delivery against payment: the signer pays
    the clean price (at most --max-price) plus the accrued interest in settlement cash,
    to the treasury. With --to the bonds then go on to RECIPIENT (the reserve, to hold
    them as collateral). The buyer signs: --account is required."""
    from ape import chain

    series = series_of(s, isin)
    units = bond_amount(series, amount)
    limit = s.cash(max_price, "the price")
    buyer = s.signer()
    now = chain.pending_timestamp
    cost = domain.purchase_cost(series, units, now)
    held = int(s.system.cash.balanceOf(buyer.address))
    if held < cost:
        raise OperationRefused(
            f"{buyer.address} holds {s.show_cash(held)}; {show_bond(series, units)} cost about "
            f"{s.show_cash(cost)} (clean price plus accrued interest)"
        )
    steps = [
        Step(
            s.system.cash,
            "approve",
            (series.address, cost),
            f"allowing {isin} to take up to {s.show_cash(cost)}",
        ),
        Step(
            series,
            "buy",
            (units, limit),
            f"buying {show_bond(series, units)} at a clean price of at most {s.show_cash(limit)}",
        ),
    ]
    to = None
    if recipient is not None:
        to = s.address(recipient, "--to")
        if to != buyer.address:
            steps.append(
                Step(
                    series,
                    "transfer",
                    (to, units),
                    f"delivering {show_bond(series, units)} to {named(s, to)}",
                )
            )
    result = s.op.run(steps, buyer)
    return result | {"isin": isin, "amount": str(units), "recipient": to or buyer.address}


@treasury_command(group, "call", role="debt-office")
@ISIN_ARG
@click.argument("call_date", type=DATE)
def call(s, isin, call_date):
    """Call ISIN at its call option dated CALL_DATE (at least its notice days before it):
    every bond then redeems at the call price on that date, later coupons cancelled."""
    series = series_of(s, isin)
    dates, prices = series.callSchedule()
    options = {
        domain.day(d): (i, int(p)) for i, (d, p) in enumerate(zip(dates, prices, strict=True))
    }
    if call_date.isoformat() not in options:
        known = ", ".join(options) or "none"
        raise InputError(f"{isin} has no call option on {call_date}; its call dates: {known}")
    index, price = options[call_date.isoformat()]
    return s.op.send(
        s.system.bond_registry,
        "callBond",
        (series.address, index),
        s.signer(),
        f"calling {isin} on {call_date} at {s.show_cash(price)} per bond",
    ) | {"isin": isin, "call_index": index}


@treasury_command(group, "show", write=False)
@ISIN_ARG
def show(s, isin):
    """The series ISIN: its terms, every coupon (record date, payment date, rate, cash
    per bond, funded and claimed, state), accrued interest now, clean and dirty price,
    redemption and default."""
    from ape import chain

    series = series_of(s, isin)
    state = domain.read_bond(s.system, series, chain.blocks.head.timestamp, schedule=True)
    if not s.as_json:
        render_bond(state, s.cash_decimals, s.cash_symbol, s.console)
    return state
