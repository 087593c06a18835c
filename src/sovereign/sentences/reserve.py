"""Issuance: the Reserve (stablecoin units, cash units, WAD values) and its price feeds."""

from __future__ import annotations

from sovereign.sentences._fmt import Entry, Fmt
from sovereign.units import WAD

# ReserveParameterOutOfBounds' names (bytes32 text) -> what they are
_PARAMETERS = {
    "heartbeat": "the heartbeat",
    "haircutBps": "the haircut",
    "concentrationCapBps": "the concentration cap",
    "feedDecimals": "the feed's decimals",
    "assetDecimals": "the asset's decimals",
    "cashDecimals": "the cash token's decimals",
    "redemptionFeeBps": "the redemption fee",
    "minCollateralRatioWad": "the minimum collateral ratio",
}


def _parameter(i: dict, f: Fmt) -> str:
    name = f.ident(i["name"])
    if name == "heartbeat":
        show = f.duration
    elif name.endswith("Bps"):
        show = f.bps
    elif name.endswith("Wad"):
        show = f.ratio
    else:
        show = f.n
    what = _PARAMETERS.get(name, f"parameter {name}")
    return (
        f"{what} of {show(i['value'])} is outside its bounds, {show(i['min'])} to "
        f"{show(i['max'])}: choose a value within them"
    )


def _ratio(i: dict, f: Fmt) -> str:
    value, minimum = int(i["collateralValueWad"]), int(i["minimumWad"])
    ceiling = value * WAD // minimum if minimum > 0 else None  # the reserve's own floor division
    carries = f"; at most {f.coin(ceiling)} may be outstanding" if ceiling is not None else ""
    return (
        f"the collateral ratio would fall to {f.ratio(i['ratioWad'])}, below the "
        f"{f.ratio(minimum)} minimum (collateral {f.value(value)} against a supply of "
        f"{f.coin(i['supplyAfter'])}{carries}): add collateral first, or mint or withdraw less"
    )


def _short_cash(i: dict, f: Fmt) -> str:
    need, have = int(i["required"]), int(i["available"])
    top_up = f" by {f.cash(need - have)}" if need > have else ""
    return (
        f"the reserve holds {f.cash(have)}, short of the {f.cash(need)} this redemption pays: "
        f"the treasury tops up the reserve's cash{top_up} first"
    )


def _deviation(i: dict, f: Fmt) -> str:
    return (
        f"the reported price {f.price(i['answer'])} moves {f.bps(i['deviationBps'])} from "
        f"{f.price(i['anchor'])}, an answer within the deviation window, beyond the "
        f"{f.bps(i['maxDeviationBps'])} limit: report a closer price, or the governor forces it "
        "(forceReport)"
    )


SENTENCES: dict[str, Entry] = {
    # ---------------------------------------------------------------- Reserve
    "ReserveAlreadyParticipant": lambda i, f: (
        f"{f.addr(i['account'])} is already a registered participant"
    ),
    "ReserveAmountBelowCashUnit": lambda i, f: (
        f"{f.coin(i['amount'])} is below the smallest cash unit, {f.cash(1)} "
        f"({f.coin(i['unit'])}): redeem at least {f.coin(i['unit'])}"
    ),
    "ReserveCollateralRatioTooLow": _ratio,
    "ReserveInstructionAlreadyExecuted": lambda i, f: (
        f"instruction {f.ident(i['instructionId'])} was already executed: nothing is done twice; "
        "give a new instruction id for a new operation"
    ),
    "ReserveInsufficientCash": _short_cash,
    "ReserveInvalidAddress": lambda i, f: (
        f"{f.addr(i['account'])} cannot be used here: it is the zero address (or the stablecoin "
        "itself, as collateral)"
    ),
    "ReserveInvalidInstructionId": lambda i, f: (
        "the instruction id must not be empty: give every instruction a reference"
    ),
    "ReserveMinterAllowanceExceeded": lambda i, f: (
        f"minter {f.addr(i['minter'])} has {f.coin(i['allowance'])} allowance left, "
        f"{f.coin(i['amount'])} asked: the governor must raise its allowance first "
        "(setMinterAllowance)"
    ),
    "ReserveNotParticipant": lambda i, f: (
        f"{f.addr(i['account'])} is not a registered participant: the registrar registers it "
        "first (ape treasury participants add)"
    ),
    "ReserveParameterOutOfBounds": _parameter,
    "ReserveDeskQueueNotEmpty": lambda i, f: (
        f"the redemption desk {f.addr(i['desk'])} still has requests queued: it is replaced "
        "or removed only once its queue is paid or cancelled"
    ),
    "ReserveRedeemThroughDesk": lambda i, f: (
        f"redemptions go through the redemption desk, {f.addr(i['desk'])}, not the reserve "
        f"directly ({f.addr(i['caller'])} called it): ape treasury redeem uses it"
    ),
    "ReserveRedemptionPaysNothing": lambda i, f: (
        f"redeeming {f.coin(i['amount'])} would pay nothing: the fee of {f.cash(i['fee'])} "
        "takes all of it; redeem more"
    ),
    "ReserveTooManyAssets": lambda i, f: (
        f"the collateral list is full ({f.n(i['max'])} assets): the governor removes an asset "
        "first"
    ),
    "ReserveUnknownCollateral": lambda i, f: (
        f"{f.addr(i['asset'])} is not a listed collateral asset"
    ),
    "ReserveZeroAmount": lambda i, f: "the amount must not be zero",
    # ---------------------------------------------------------------- ReportedPriceFeed
    "FeedDeviationTooLarge": _deviation,
    "FeedInvalidAnswer": lambda i, f: (
        f"the price {f.price(i['answer'])} is refused: a price must be positive (and below "
        "int192's maximum)"
    ),
    "FeedInvalidDecimals": lambda i, f: (
        f"a feed may have at most 18 decimals, {f.n(i['decimals'])} asked"
    ),
    "FeedInvalidDeviationWindow": lambda i, f: (
        f"a deviation window of {f.duration(i['window'])} is outside 3,600 s (1 hour) to "
        "604,800 s (7 days)"
    ),
    "FeedInvalidMaxDeviation": lambda i, f: (
        f"a maximum deviation of {f.bps(i['maxDeviationBps'])} is outside 0.10% to 50.00%"
    ),
    "FeedNoReference": lambda i, f: (
        "the feed has no price yet: its first price is the governor's (forceReport)"
    ),
    "FeedNoSuchRound": lambda i, f: f"the feed has no round {f.n(i['roundId'])}",
    "FeedTooManyReports": lambda i, f: (
        f"{f.n(i['reports'])} reports already fall within the {f.duration(i['window'])} "
        "deviation window: wait, or the governor forces the price (forceReport)"
    ),
}
