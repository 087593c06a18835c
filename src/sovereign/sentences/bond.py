"""Coupon bonds: the series (prices and coupons in cash per whole bond), the registry,
the value feed.

Bond amounts are in the series token (``units.token``, whose symbol is the ISIN); cash
amounts and prices in the settlement cash; dates as UTC times.
"""

from __future__ import annotations

from sovereign.sentences._fmt import Entry, Fmt


def _bond(f: Fmt) -> str:
    return f"bond {f.units.token.symbol}" if f.units.token else "the bond"


def _isin(f: Fmt) -> str:
    return f.units.token.symbol if f.units.token else "ISIN"


# BondTerms.validate's reasons -> what the rule is, given the refused value.
_TERMS: dict[str, object] = {
    "name": lambda v, f: "the name and the ISIN must not be empty",
    "decimals": lambda v, f: f"the bond token has at most 18 decimals, not {f.n(v)}",
    "faceValue": lambda v, f: (
        f"the face value {f.cash(v)} must be above zero and at most 10^30 cash units"
    ),
    "frequency": lambda v, f: f"coupons are paid 1, 2 or 4 times a year, not {f.n(v)}",
    "dayCount": lambda v, f: "the day count must be ACT/365F, ACT/360, 30/360 or ACT/ACT-ICMA",
    "couponRate": lambda v, f: (
        "a fixed coupon rate is at most 100% a year, and a floating bond has none"
    ),
    "margin": lambda v, f: "a margin belongs to a floating bond only, and is within ±100%",
    "referenceDecimals": lambda v, f: (f"the reference feed has {f.n(v)} decimals: at most 18"),
    "issueDate": lambda v, f: f"the issue date {f.when(v)} must be a whole UTC day (00:00)",
    "firstCouponDate": lambda v, f: (
        f"the first coupon date {f.when(v)} must be a whole UTC day after the issue date"
    ),
    "maturity": lambda v, f: (
        f"the maturity {f.when(v)} must be a whole UTC day, not before the first coupon"
    ),
    "maturityOffSchedule": lambda v, f: (
        f"the maturity {f.when(v)} is not a whole number of coupon periods after the first "
        "coupon date: move one of them"
    ),
    "couponCount": lambda v, f: f"{f.n(v)} coupons are more than the 200 a series may have",
    "firstPeriodTooLong": lambda v, f: (
        f"the first period, from the issue date {f.when(v)}, is longer than two coupon "
        "periods: issue later or pay the first coupon earlier"
    ),
    "recordDays": lambda v, f: (
        f"a record date {f.n(v)} days before each coupon: at most 30, and shorter than the "
        "first period"
    ),
    "calls": lambda v, f: "each call date needs one call price, and a bond has at most 16 calls",
    "callNoticeDays": lambda v, f: f"a call notice of {f.n(v)} days: at most 365",
    "callDate": lambda v, f: (
        f"the call date {f.when(v)} must be a coupon date before the maturity, the call dates "
        "increasing"
    ),
    "callPrice": lambda v, f: (
        f"the call price {f.cash(v)} must be above zero and at most twice the face value"
    ),
}


def _invalid_terms(i: dict, f: Fmt) -> str:
    reason = f.ident(i["reason"])
    rule = _TERMS.get(reason)
    if rule is None:
        return f"the bond's terms are refused ({reason}, value {f.n(i['value'])})"
    return f"the bond's terms are refused: {rule(int(i['value']), f)}"


_SALE = {
    "closed": "no auction is open: the debt office opens one first (ape treasury bonds auction)",
    "not issued": "it is not issued yet: the sale starts on its issue date",
    "redeemed": "it has reached its redemption date",
    "called": "it was called",
    "defaulted": "it is in default",
    "rate not fixed": "the current coupon's floating rate is not fixed yet "
    "(ape treasury bonds fix-rate)",
}


def _sale_closed(i: dict, f: Fmt) -> str:
    reason = f.ident(i["reason"])
    why = _SALE.get(reason, reason)
    return f"{_bond(f)} is not for sale: {why}"


def _call_refused(i: dict, f: Fmt) -> str:
    if int(i["callDate"]) == 0:
        return f"{_bond(f)} has no call option number {f.n(i['index'])}"
    return (
        f"the call of {_bond(f)} on {f.when(i['callDate'])} must be made by "
        f"{f.when(i['noticeBy'])} (its notice period), and only once, before any default; it "
        f"is now {f.when(i['nowTs'])}"
    )


def _principal_short(i: dict, f: Fmt) -> str:
    owed, have = int(i["owed"]), int(i["available"])
    return (
        f"the principal pool of {_bond(f)} holds {f.cash(have)} of the {f.cash(owed)} owed; "
        f"nobody is paid before the grace period ends at {f.when(i['graceEnd'])}: the treasury "
        f"funds the {f.cash(max(owed - have, 0))} missing first (ape treasury bonds "
        f"fund-principal {_isin(f)})"
    )


def _fixing(i: dict, f: Fmt) -> str:
    if int(i["updatedAt"]) == 0:
        return (
            f"reference round {f.n(i['roundId'])} is not the one in force at the fixing time "
            f"{f.when(i['fixingTime'])} (none published yet, or the fixing time has not come)"
        )
    return (
        f"reference round {f.n(i['roundId'])}, published {f.when(i['updatedAt'])}, is not the "
        f"one in force at the fixing time {f.when(i['fixingTime'])}"
    )


SENTENCES: dict[str, Entry] = {
    # ---------------------------------------------------------------- BondSeries
    "BondAlreadyClaimed": lambda i, f: (
        f"{f.addr(i['holder'])} has claimed coupon {f.n(i['coupon'])} of {_bond(f)} already"
    ),
    "BondAuctionExhausted": lambda i, f: (
        f"only {f.token(i['remaining'])} remain in the auction, {f.token(i['amount'])} asked: "
        "buy at most that"
    ),
    "BondBadReferenceRate": lambda i, f: (
        "the reference feed's answer is out of range for a rate: its reporter must correct it"
    ),
    "BondBeforeRecordDate": lambda i, f: (
        f"coupon {f.n(i['coupon'])} of {_bond(f)} is funded from its record date, "
        f"{f.when(i['recordDate'])}, when the holders it pays are known; it is now "
        f"{f.when(i['nowTs'])}"
    ),
    "BondCallRefused": _call_refused,
    "BondCouponFullyFunded": lambda i, f: (
        f"coupon {f.n(i['coupon'])} of {_bond(f)} is fully funded already ({f.cash(i['owed'])})"
    ),
    "BondCouponNotDue": lambda i, f: (
        f"coupon {f.n(i['coupon'])} of {_bond(f)} pays from {f.when(i['payDate'])}; it is now "
        f"{f.when(i['nowTs'])}: claim it then"
    ),
    "BondCouponNotFunded": lambda i, f: (
        f"coupon {f.n(i['coupon'])} of {_bond(f)} holds {f.cash(i['funded'])} of the "
        f"{f.cash(i['owed'])} owed: it is paid only when fully funded (ape treasury bonds "
        f"fund-coupon {_isin(f)})"
    ),
    "BondDefaulted": lambda i, f: (
        f"{_bond(f)} is in default: no more funding; every bond redeems for its share of the "
        "recovery pool"
    ),
    "BondInGracePeriod": lambda i, f: (
        f"a default cannot be recorded before the grace period ends at {f.when(i['graceEnd'])} "
        f"(it is now {f.when(i['nowTs'])})"
    ),
    "BondInvalidArgument": lambda i, f: (
        f"the {f.ident(i['name'])} given is zero: the series needs a cash token, a proceeds "
        "recipient and an auction price above zero"
    ),
    "BondInvalidTerms": _invalid_terms,
    "BondNotFloating": lambda i, f: f"{_bond(f)} pays a fixed rate: there is no rate to fix",
    "BondNotInDefault": lambda i, f: (
        f"{_bond(f)} is not in default: the payment is funded ({f.ident(i['reason'])})"
    ),
    "BondNotRedeemable": lambda i, f: (
        f"{_bond(f)} redeems from {f.when(i['redemptionDate'])}; it is now {f.when(i['nowTs'])}"
    ),
    "BondNotRegistry": lambda i, f: (
        f"{f.addr(i['caller'])} is not the series' registry: auctions and calls go through the "
        "BondRegistry, by the debt office"
    ),
    "BondNothingToClaim": lambda i, f: (
        f"{f.addr(i['holder'])} held no {_isin(f)} at the record date of coupon "
        f"{f.n(i['coupon'])}: nothing to claim"
    ),
    "BondNothingToPay": lambda i, f: (
        f"{f.token(i['amount'])} would pay or cost nothing (below one cash unit, or nothing "
        "left to fund): use a larger amount"
    ),
    "BondPriceAboveLimit": lambda i, f: (
        f"the clean price {f.cash(i['price'])} per bond is above the limit of "
        f"{f.cash(i['maxPrice'])}: raise the limit (--max-price) or wait for a lower price"
    ),
    "BondPrincipalShort": _principal_short,
    "BondRateAlreadyFixed": lambda i, f: (
        f"the rate of coupon {f.n(i['coupon'])} is fixed already, at "
        f"{f.bps(int(i['rateWad']) // 10**14)} a year"
    ),
    "BondRateNotFixed": lambda i, f: (
        f"the floating rate of coupon {f.n(i['coupon'])} of {_bond(f)} is not fixed yet (ape "
        f"treasury bonds fix-rate {_isin(f)})"
    ),
    "BondSaleClosed": _sale_closed,
    "BondUnknownCoupon": lambda i, f: (
        f"{_bond(f)} has {f.n(i['couponCount'])} coupons to pay (numbered from 0), not number "
        f"{f.n(i['coupon'])}"
    ),
    "BondWrongFixingRound": _fixing,
    "BondZeroAmount": lambda i, f: "the amount must not be zero",
    "CheckpointUnorderedInsertion": lambda i, f: (
        "a balance checkpoint was written out of order: a bug, nothing was changed"
    ),
    # ---------------------------------------------------------------- BondRegistry
    "RegistryWrongSeriesCode": lambda i, f: (
        "the creation code given is not BondSeries' (the registry accepts only the code it was "
        "deployed with): this toolkit version's contracts differ from the deployment's"
    ),
    "RegistryHaircutOutOfBounds": lambda i, f: (
        f"maturity tier {f.n(i['tier'])}'s haircut {f.bps(i['value'])} must be at most "
        f"{f.bps(i['max'])} and not below the shorter tier's {f.bps(i['previous'])}"
    ),
    # ---------------------------------------------------------------- BondValueFeed
    "BondFeedInvalidDecimals": lambda i, f: (
        f"a token or feed with {f.n(i['decimals'])} decimals: the bond's feed takes at most 18"
    ),
}
