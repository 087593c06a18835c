"""T-bills: the series (face and prices in cash per whole bill), the registry, the vault.

Bill amounts are in the series token (``units.token``, whose symbol is the series
code); vault assets are in cash, vault shares in ``units.token`` (see ``Fmt.shares``).
"""

from __future__ import annotations

from sovereign.pauses import VaultPause
from sovereign.sentences._fmt import ZERO_ADDRESS, Entry, Fmt


def _series(f: Fmt) -> str:
    return f"series {f.units.token.symbol}" if f.units.token else "the series"


def _code(f: Fmt) -> str:
    return f.units.token.symbol if f.units.token else "CODE"


def _repayment_short(i: dict, f: Fmt) -> str:
    owed, have = int(i["owed"]), int(i["available"])
    missing = f" the {f.cash(owed - have)} missing" if owed > have else ""
    return (
        f"the repayment pool of {_series(f)} holds {f.cash(have)} of the {f.cash(owed)} owed at "
        f"face; nobody is paid before the grace period ends at {f.when(i['graceEnd'])}: the "
        f"treasury funds{missing} first (ape treasury bills fund {_code(f)})"
    )


def _auction_closed(i: dict, f: Fmt) -> str:
    if int(i["price"]) == 0:
        return f"no auction is open for {_series(f)}: the debt office opens one first"
    return (
        f"the sale of {_series(f)} starts on its issue date, {f.when(i['issueDate'])}; it is now "
        f"{f.when(i['nowTs'])}: wait until then"
    )


def _invalid_terms(i: dict, f: Fmt) -> str:
    issue, maturity, decimals = int(i["issueDate"]), int(i["maturity"]), int(i["decimals"])
    problems = [
        "a zero face value" if int(i["faceValue"]) == 0 else "",
        f"a maturity ({f.when(maturity)}) not after the issue date ({f.when(issue)})"
        if maturity <= issue
        else "",
        f"{decimals} decimals (at most 18)" if decimals > 18 else "",
        "no cash token" if str(i["cash"]).lower() == ZERO_ADDRESS else "",
        "no proceeds recipient" if str(i["proceedsRecipient"]).lower() == ZERO_ADDRESS else "",
    ]
    found = "; ".join(p for p in problems if p) or (
        f"face value {f.cash(i['faceValue'])} per whole bill, issue {f.when(issue)}, maturity "
        f"{f.when(maturity)}, {decimals} decimals, cash {f.addr(i['cash'])}, proceeds to "
        f"{f.addr(i['proceedsRecipient'])}"
    )
    return f"the series terms are refused: {found}"


def _nothing_to_pay(i: dict, f: Fmt) -> str:
    if int(i["amount"]) == 0:
        return (
            f"{_series(f)} has no surplus to return: its pool holds only what the recovery rate "
            "owes the bills still outstanding"
        )
    return (
        f"redeeming {f.token(i['amount'])} would pay nothing: the pool is empty or their share "
        "of it is below one cash unit; redeem more"
    )


def _idle_cash(i: dict, f: Fmt) -> str:
    text = (
        f"the vault holds {f.cash(i['available'])} idle cash, {f.cash(i['requested'])} asked: "
        f"ask for at most {f.cash(i['available'])}"
    )
    if int(i["nextMaturity"]) == 0:
        return text + " (no bill is held that would mature into cash)"
    return text + f", or wait until the next bill matures at {f.when(i['nextMaturity'])}"


def _vault_paused(i: dict, f: Fmt) -> str:
    return (
        f"{f.paused(i['flag'], VaultPause, 'vault')}: the governor must unpause it; the "
        "guardian cannot"
    )


SENTENCES: dict[str, Entry] = {
    # ---------------------------------------------------------------- TBillSeries
    "TBillAlreadyDefaulted": lambda i, f: (
        f"{_series(f)} is already in default: redemptions pay the recovery rate fixed then"
    ),
    "TBillAuctionClosed": _auction_closed,
    "TBillAuctionExhausted": lambda i, f: (
        f"only {f.token(i['remaining'])} remain in the auction, {f.token(i['amount'])} asked: "
        "buy at most that"
    ),
    "TBillFullyFunded": lambda i, f: (
        f"the repayment pool holds {f.cash(i['available'])}, enough for the "
        f"{f.cash(i['owed'])} owed: {_series(f)} is not in default"
    ),
    "TBillInGracePeriod": lambda i, f: (
        f"a default cannot be recorded before the grace period ends at {f.when(i['graceEnd'])} "
        f"(it is now {f.when(i['nowTs'])}): wait until then"
    ),
    "TBillInvalidPrice": lambda i, f: (
        f"the auction price {f.cash(i['price'])} must be above zero and below the face value of "
        f"{f.cash(i['faceValue'])} per whole bill"
    ),
    "TBillInvalidTerms": _invalid_terms,
    "TBillMatured": lambda i, f: (
        f"{_series(f)} matured at {f.when(i['maturity'])}: it is no longer sold (holders redeem "
        "it)"
    ),
    "TBillNotDefaulted": lambda i, f: (
        f"{_series(f)} is not in default: there is no surplus to return"
    ),
    "TBillNotMatured": lambda i, f: (
        f"{_series(f)} matures at {f.when(i['maturity'])}; it is now {f.when(i['nowTs'])}: "
        "wait until then to redeem"
    ),
    "TBillNotRegistry": lambda i, f: (
        f"{f.addr(i['caller'])} is not the series' registry: auctions are opened and closed "
        "through the TBillRegistry, by the debt office"
    ),
    "TBillNothingToPay": _nothing_to_pay,
    "TBillPoolClosed": lambda i, f: (
        f"{_series(f)} is in default: its repayment pool takes no more cash"
    ),
    "TBillPriceAboveLimit": lambda i, f: (
        f"the auction price {f.cash(i['price'])} per whole bill is above the limit of "
        f"{f.cash(i['maxPrice'])}: raise the limit (--max-price) or wait for a lower price"
    ),
    "TBillRepaymentShort": _repayment_short,
    "TBillZeroAmount": lambda i, f: "the amount must not be zero",
    # ---------------------------------------------------------------- TBillRegistry
    "RegistryDuplicateCode": lambda i, f: (
        f"a series with this code exists already, at {f.addr(i['existing'])}: choose another code"
    ),
    "RegistryInvalidAddress": lambda i, f: (
        f"{f.addr(i['account'])} cannot be the registry's cash token or treasury"
    ),
    "RegistryInvalidDates": lambda i, f: (
        f"the maturity {f.when(i['maturity'])} must be after the issue date "
        f"{f.when(i['issueDate'])} and after now ({f.when(i['nowTs'])})"
    ),
    "RegistryUnknownSeries": lambda i, f: (
        f"{f.addr(i['series'])} is not a series of this registry"
    ),
    # ---------------------------------------------------------------- TBillVault
    "VaultAccountFrozen": lambda i, f: (
        f"{f.addr(i['account'])} is frozen on the AML freeze list: compliance must unfreeze it "
        "first (ape treasury compliance unfreeze)"
    ),
    "VaultCashDeliveryMismatch": lambda i, f: (
        f"the vault received {f.cash(i['received'])} instead of {f.cash(i['expected'])}: a token "
        "that delivers less than asked (a fee on transfer) is refused"
    ),
    "VaultInsufficientIdleCash": _idle_cash,
    "VaultInvalidPauseFlags": lambda i, f: (
        f"vault pause flags {f.n(i['flags'])} name no pause: use deposit and withdraw (1, 2)"
    ),
    "VaultMarkdownOutOfBounds": lambda i, f: (
        f"a markdown of {f.bps(i['markdownBps'])} is above the {f.bps(i['max'])} limit: a deeper "
        "loss is a default, not a markdown"
    ),
    "VaultMaturityTooClose": lambda i, f: (
        f"the bill matures at {f.when(i['maturity'])}, less than a day after now "
        f"({f.when(i['nowTs'])}): the vault buys only bills at least a day from maturity"
    ),
    "VaultNoMaturedLot": lambda i, f: (
        f"the vault has no matured lot at index {f.n(i['index'])}: sync it, then pick an index "
        "from maturedLots"
    ),
    "VaultNotADiscount": lambda i, f: (
        f"buying would pay {f.cash(i['cost'])} for {f.cash(i['face'])} of face value: the vault "
        "buys bills only below face"
    ),
    "VaultNotAllowlisted": lambda i, f: (
        f"{f.addr(i['account'])} is not on the vault's KYC allowlist: compliance adds it first "
        "(setAllowlisted)"
    ),
    "VaultPaused": _vault_paused,
    "VaultSeriesMarkedDown": lambda i, f: (
        f"{f.addr(i['series'])} is marked down by {f.bps(i['markdownBps'])}: the vault buys no "
        "more of it until the oracle reporter lifts the markdown"
    ),
    "VaultTooManyLots": lambda i, f: (
        f"the vault holds {f.n(i['max'])} lots already: redeem matured lots first "
        "(ape treasury bills redeem)"
    ),
    "VaultUnknownSeries": lambda i, f: (
        f"{f.addr(i['series'])} is not a series of the registry: the vault buys only its T-bills"
    ),
    # ---------------------------------------------------------------- ERC-4626 (the vault)
    "ERC4626ExceededMaxDeposit": lambda i, f: (
        f"depositing {f.cash(i['assets'])} for {f.addr(i['receiver'])} exceeds the "
        f"{f.cash(i['max'])} the vault accepts now (its deposit cap): deposit at most that, or "
        "the governor raises the cap (setDepositCap)"
    ),
    "ERC4626ExceededMaxMint": lambda i, f: (
        f"minting {f.shares(i['shares'])} for {f.addr(i['receiver'])} exceeds the "
        f"{f.shares(i['max'])} it may mint now: mint at most that"
    ),
    "ERC4626ExceededMaxRedeem": lambda i, f: (
        f"{f.addr(i['owner'])} may redeem at most {f.shares(i['max'])}, "
        f"{f.shares(i['shares'])} asked"
    ),
    "ERC4626ExceededMaxWithdraw": lambda i, f: (
        f"{f.addr(i['owner'])}'s shares are worth {f.cash(i['max'])}, {f.cash(i['assets'])} "
        "asked: withdraw at most that"
    ),
}
