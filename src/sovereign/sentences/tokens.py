"""Tokens: OpenZeppelin's ERC-20, permits and signatures, the stablecoin, the settlement cash.

ERC-20 amounts are in the token the command acts on (``units.token``, default the coin).
"""

from __future__ import annotations

from sovereign.pauses import Pause
from sovereign.sentences._fmt import Entry, Fmt


def _balance(i: dict, f: Fmt) -> str:
    have, need = int(i["balance"]), int(i["needed"])
    text = f"{f.addr(i['sender'])} holds {f.token(have)}, {f.token(need)} needed"
    if need > have:
        text += f": it is {f.token(need - have)} short; fund it first"
    return text


def _allowance(i: dict, f: Fmt) -> str:
    return (
        f"{f.addr(i['spender'])} may spend {f.token(i['allowance'])}, {f.token(i['needed'])} "
        f"needed: the owner approves at least {f.token(i['needed'])} first"
    )


def _paused(i: dict, f: Fmt) -> str:
    flag = int(i["flag"])
    known = Pause.known(flag)
    names = known.names() if known is not None else []
    command = f" (ape treasury unpause {','.join(names)})" if names else ""
    return (
        f"{f.paused(flag, Pause, f.units.coin.symbol)}: the governor must unpause it{command}; "
        "the guardian cannot"
    )


SENTENCES: dict[str, Entry] = {
    # ---------------------------------------------------------------- ERC-20
    "ERC20InsufficientBalance": _balance,
    "ERC20InsufficientAllowance": _allowance,
    "ERC20InvalidApprover": lambda i, f: (
        f"{f.addr(i['approver'])} cannot grant an allowance of {f.symbol()}"
    ),
    "ERC20InvalidReceiver": lambda i, f: (
        f"{f.symbol()} cannot be sent to {f.addr(i['receiver'])}: give another recipient"
    ),
    "ERC20InvalidSender": lambda i, f: f"{f.symbol()} cannot be sent from {f.addr(i['sender'])}",
    "ERC20InvalidSpender": lambda i, f: (
        f"{f.addr(i['spender'])} cannot be given an allowance of {f.symbol()}"
    ),
    # ---------------------------------------------------------------- permits and signatures
    "ERC2612ExpiredSignature": lambda i, f: (
        f"the permit expired at {f.when(i['deadline'])}: the owner signs a new one with a later "
        "deadline"
    ),
    "ERC2612InvalidSigner": lambda i, f: (
        f"the permit was signed by {f.addr(i['signer'])}, not by the owner {f.addr(i['owner'])}: "
        "the owner signs it (for this token, chain and the owner's current nonce)"
    ),
    "InvalidAccountNonce": lambda i, f: (
        f"the nonce used is not {f.addr(i['account'])}'s current nonce {f.n(i['currentNonce'])}: "
        "sign again with the current nonce"
    ),
    "ECDSAInvalidSignature": lambda i, f: (
        "the signature is invalid (it recovers no signer): sign it again"
    ),
    "ECDSAInvalidSignatureLength": lambda i, f: (
        f"the signature is {f.n(i['length'])} bytes long, 65 expected: sign it again"
    ),
    "ECDSAInvalidSignatureS": lambda i, f: (
        f"the signature's s value {f.ident(i['s'])} is in the upper half of the curve order (a "
        "malleable signature): sign it again with a standard signer"
    ),
    "InvalidShortString": lambda i, f: "a stored short string is invalid (a token name encoding)",
    "StringTooLong": lambda i, f: (
        f'the text "{i["str"]}" is too long for a short string (at most 31 bytes)'
    ),
    # ---------------------------------------------------------------- SovereignStablecoin
    "StablecoinAccountFrozen": lambda i, f: (
        f"account {f.addr(i['account'])} is frozen: compliance must unfreeze it first "
        "(ape treasury compliance unfreeze)"
    ),
    "StablecoinAccountNotFrozen": lambda i, f: (
        f"account {f.addr(i['account'])} is not frozen: only a frozen account is unfrozen or "
        "seized from (compliance freezes it first)"
    ),
    "StablecoinCannotFreeze": lambda i, f: (
        f"{f.addr(i['account'])} cannot be frozen: it is the zero address or the reserve"
    ),
    "StablecoinInvalidPauseFlags": lambda i, f: (
        f"pause flags {f.n(i['flags'])} name no pause: use mint, redeem and transfer (1, 2, 4)"
    ),
    "StablecoinInvalidReserve": lambda i, f: "the reserve address must not be the zero address",
    "StablecoinInvalidSeizure": lambda i, f: (
        f"a seizure of {f.coin(i['amount'])} to {f.addr(i['to'])} is refused: it must move a "
        "non-zero amount to a non-zero address"
    ),
    "StablecoinNotReserve": lambda i, f: (
        f"{f.addr(i['caller'])} is not the reserve: only the reserve mints and burns "
        f"{f.units.coin.symbol}"
    ),
    "StablecoinPaused": _paused,
    "StablecoinReserveAlreadySet": lambda i, f: (
        f"the reserve is already set to {f.addr(i['reserve'])}: it is set once"
    ),
    # ---------------------------------------------------------------- SettlementCash
    "SettlementCashInvalidDecimals": lambda i, f: (
        f"settlement cash may have at most 18 decimals, {f.n(i['decimals'])} asked"
    ),
    "SettlementCashZeroAmount": lambda i, f: (
        f"the amount of {f.units.cash.symbol} to issue or retire must not be zero"
    ),
}
