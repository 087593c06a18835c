"""Paying a bond: the treasury funds each coupon from its record date and the principal
for the redemption date; anyone claims a holder's coupons for it (a keeper for the
reserve), fixes a floating rate or records a default; a holder redeems.

The commands anyone may run sign with --account, or on a local chain by default with
the treasury's test account (the registry's ``treasury()``, which funds and receives).
"""

from __future__ import annotations

import click

from sovereign import bonds as domain
from sovereign.cli.base import ADDRESS, AMOUNT, treasury_command
from sovereign.cli.bonds import ISIN_ARG, bond_amount, named, series_of, show_bond
from sovereign.inputs import InputError
from sovereign.operations import OperationRefused, Step, is_local

COUPON = click.option(
    "--coupon", type=click.IntRange(0), help="the coupon's number (0 is the first)"
)


def register(group: click.Group) -> None:
    for command in (fund_coupon, claim, default, fix_rate, fund_principal, redeem):
        group.add_command(command)


_commands = click.Group()


def treasury_signer(s):
    """--account, or on a local chain the treasury's test account."""
    from ape import accounts

    if s.account is not None:
        return s.signer()
    address = s.system.bond_registry.treasury()
    if is_local():
        for account in accounts.test_accounts:
            if account.address == address:
                return account
    raise OperationRefused(
        f"--account is required: name the account that signs (the treasury is {address})"
    )


def _now() -> int:
    from ape import chain

    return chain.pending_timestamp


def _check_coupon(series, coupon: int) -> int:
    count = int(series.couponCountAtIssue())
    if coupon >= count:
        raise InputError(
            f"{series.isin()} has {count} coupons, numbered 0 to {count - 1}; not {coupon}"
        )
    return coupon


@treasury_command(_commands, "fund-coupon", role=None)
@ISIN_ARG
@COUPON
@click.option("--amount", type=AMOUNT, help="cash to add (default: what the coupon lacks)")
def fund_coupon(s, isin, coupon, amount):
    """Fund a coupon of ISIN in settlement cash (default: the earliest whose record date has
    begun and that is not fully funded; the series pulls only what it lacks). The treasury
    signs (on a local chain by default its test account): approval and funding together."""
    series = series_of(s, isin)
    k = domain.coupon_to_fund(series, _now()) if coupon is None else _check_coupon(series, coupon)
    owed, funded = int(series.couponOwed(k)), int(series.couponFunding(k)[0])
    units = s.cash(amount, "the funding") if amount else max(owed - funded, 0)
    if units == 0:
        raise OperationRefused(f"coupon {k} of {isin} is fully funded: nothing to add")
    from sovereign.cli.cash import speak_in

    speak_in(s, s.cash_symbol, s.cash_decimals)  # the errors now are the cash's
    pay = domain.day(series.couponDate(k))
    steps = [
        _cash_approval(s, series, isin, units),
        Step(
            series,
            "fundCoupon",
            (k, units),
            f"funding coupon {k} of {isin} (pays {pay}) with up to {s.show_cash(units)} of "
            f"the {s.show_cash(owed)} owed",
        ),
    ]
    return s.op.run(steps, treasury_signer(s)) | {"isin": isin, "coupon": k, "amount": str(units)}


@treasury_command(_commands, "claim", role=None)
@ISIN_ARG
@click.option(
    "--holder", type=ADDRESS, help="whose coupons (a label, e.g. reserve; default: the signer)"
)
@click.option(
    "--coupon",
    "coupons",
    type=click.IntRange(0),
    multiple=True,
    help="a coupon's number (repeatable; default: every one claimable now)",
)
def claim(s, isin, holder, coupons):
    """Claim the coupons of ISIN due to HOLDER at their record dates: the cash goes to the
    holder, whoever signs (anyone may, e.g. a keeper for the reserve). Each coupon must be
    due and fully funded, and is paid once."""
    series = series_of(s, isin)
    signer = treasury_signer(s)
    who = s.address(holder, "--holder") if holder else signer.address
    chosen = [_check_coupon(series, k) for k in coupons] or domain.coupons_claimable(series, who)
    if not chosen:
        raise OperationRefused(
            f"{named(s, who)} has no coupon of {isin} to claim now (each pays from its "
            "payment date, "
            "once fully funded, to the holders at its record date)"
        )
    total = sum(int(series.claimable(who, k)) for k in chosen)
    listed = ", ".join(str(k) for k in chosen)
    return s.op.send(
        series,
        "claim",
        (who, chosen),
        signer,
        f"claiming coupon{'s' if len(chosen) > 1 else ''} {listed} of {isin} for {named(s, who)} "
        f"({s.show_cash(total)})",
    ) | {"isin": isin, "holder": who, "coupons": chosen, "amount": str(total)}


@treasury_command(_commands, "default", role=None)
@ISIN_ARG
@COUPON
@click.option("--principal", is_flag=True, help="the principal, not a coupon")
def default(s, isin, coupon, principal):
    """Record the default of ISIN on a payment whose grace period has passed unfunded
    (default: the first such coupon, or the principal): every later coupon is cancelled
    and every bond redeems at once for the same share of the recovery pool. Anyone may."""
    series = series_of(s, isin)
    count = int(series.couponCount())
    if principal:
        k = count
    elif coupon is not None:
        k = _check_coupon(series, coupon)
    else:
        k = domain.default_candidate(series, _now())
        if k is None:
            raise OperationRefused(
                f"no payment of {isin} is past its grace period unfunded: nothing to record"
            )
    what = "the principal" if k == count else f"coupon {k}"
    return s.op.send(
        series,
        "markDefault",
        (k,),
        treasury_signer(s),
        f"recording the default of {isin} on {what}",
    ) | {"isin": isin, "coupon": k}


@treasury_command(_commands, "fix-rate", role=None)
@ISIN_ARG
@COUPON
def fix_rate(s, isin, coupon):
    """Fix a floating coupon's rate of ISIN from its reference feed's round in force when
    the coupon starts to accrue (default: the first coupon not fixed yet). Anyone may."""
    series = series_of(s, isin)
    if coupon is None:
        unfixed = [k for k in range(int(series.couponCount())) if not series.couponRate(k)[1]]
        if not unfixed:
            raise OperationRefused(
                f"every coupon rate of {isin} is fixed (or it pays a fixed rate)"
            )
        coupon = unfixed[0]
    k = _check_coupon(series, coupon)
    round_id = domain.fixing_round(series, k)
    return s.op.send(
        series,
        "fixRate",
        (k, round_id),
        treasury_signer(s),
        f"fixing the rate of coupon {k} of {isin} from reference round {round_id}",
    ) | {"isin": isin, "coupon": k, "round": round_id}


@treasury_command(_commands, "fund-principal", role=None)
@ISIN_ARG
@click.argument("amount", type=AMOUNT, required=False)
def fund_principal(s, isin, amount):
    """Put AMOUNT settlement cash into the principal pool of ISIN (default: what it lacks to
    repay every bond at its redemption price). The treasury signs by default."""
    series = series_of(s, isin)
    lacking = max(int(series.principalOwed()) - int(series.principalPool()), 0)
    units = s.cash(amount, "the funding") if amount else lacking
    if units == 0:
        raise OperationRefused(f"the principal pool of {isin} is full: nothing to add")
    from sovereign.cli.cash import speak_in

    speak_in(s, s.cash_symbol, s.cash_decimals)
    steps = [
        _cash_approval(s, series, isin, units),
        Step(
            series,
            "fundPrincipal",
            (units,),
            f"funding the principal of {isin} with up to {s.show_cash(units)}",
        ),
    ]
    return s.op.run(steps, treasury_signer(s)) | {"isin": isin, "amount": str(units)}


@treasury_command(_commands, "redeem", role=None)
@ISIN_ARG
@click.argument("amount", type=AMOUNT)
@click.option("--holder", type=ADDRESS, help="redeem for this holder (e.g. reserve), paid to it")
def redeem(s, isin, amount, holder):
    """Redeem AMOUNT bonds of ISIN: at the redemption price from the redemption date, or
    in default at once for their share of the recovery pool. The holder signs
    (--account), or with --holder anyone redeems for that holder, paid to it (a keeper for
    the reserve; locally the treasury's test account by default)."""
    series = series_of(s, isin)
    units = bond_amount(series, amount)
    if holder is None:
        return s.op.send(
            series, "redeem", (units,), s.signer(), f"redeeming {show_bond(series, units)}"
        ) | {"isin": isin, "amount": str(units)}
    who = s.address(holder, "--holder")
    return s.op.send(
        series,
        "redeemFor",
        (who, units),
        treasury_signer(s),
        f"redeeming {show_bond(series, units)} of {named(s, who)}, paid to it",
    ) | {"isin": isin, "amount": str(units), "holder": who}


def _cash_approval(s, series, isin: str, units: int) -> Step:
    """The approval that lets `series` pull `units` of cash (funding a coupon or the principal)."""
    return Step(
        s.system.cash,
        "approve",
        (series.address, units),
        f"allowing {isin} to pull {s.show_cash(units)}",
    )
