"""Contract reverts translated into sentences a treasury operator can act on."""

from __future__ import annotations

from sovereign.pauses import Pause, VaultPause
from sovereign.units import format_amount, format_ratio


def _amt(value: int) -> str:
    return format_amount(int(value), 18)


def _hex(value) -> str:
    """bytes32 ids as their text when they are readable ASCII (as operators wrote them)."""
    if isinstance(value, bytes | bytearray):
        text = bytes(value).rstrip(b"\0")
        if text and all(32 <= b < 127 for b in text):
            return text.decode("ascii")
        return "0x" + bytes(value).hex()
    return str(value)


def _paused(flags: type[Pause] | type[VaultPause], flag) -> str:
    """``"minting is paused"``; a flag the Python mirror does not know is "this operation"."""
    known = flags.known(flag)
    if known is None:
        return "this operation is paused"
    what = known.words
    verb = "are" if " and " in what or what.endswith("s") else "is"
    return f"{what} {verb} paused"


# custom error name -> sentence built from its inputs (all values are raw on-chain integers)
_SENTENCES = {
    "ReserveCollateralRatioTooLow": lambda i: (
        f"the collateral ratio would fall to {format_ratio(i['ratioWad'])}, below the "
        f"{format_ratio(i['minimumWad'])} minimum (collateral {_amt(i['collateralValueWad'])} "
        f"against a supply of {_amt(i['supplyAfter'])})"
    ),
    "ReserveInstructionAlreadyExecuted": lambda i: (
        f"instruction {_hex(i['instructionId'])} was already executed"
    ),
    "ReserveInvalidInstructionId": lambda i: "the instruction id must not be zero",
    "ReserveMinterAllowanceExceeded": lambda i: (
        f"minter {i['minter']} has {_amt(i['allowance'])} allowance left, "
        f"{_amt(i['amount'])} asked"
    ),
    "ReserveNotParticipant": lambda i: f"{i['account']} is not a registered participant",
    "ReserveInsufficientCash": lambda i: (
        f"the reserve holds {i['available']} cash units, short of the {i['required']} required"
    ),
    "ReserveAmountBelowCashUnit": lambda i: (
        f"{i['amount']} is below one cash unit ({i['unit']} stablecoin units)"
    ),
    "ReserveRedemptionPaysNothing": lambda i: (
        f"redeeming {_amt(i['amount'])} would pay nothing: the fee of {i['fee']} cash units "
        "takes all of it"
    ),
    "StablecoinAccountFrozen": lambda i: f"account {i['account']} is frozen",
    "StablecoinPaused": lambda i: _paused(Pause, i["flag"]),
    "VaultPaused": lambda i: _paused(VaultPause, i["flag"]),
    "AccessManagedUnauthorized": lambda i: f"{i['caller']} lacks the role for this function",
    "ERC20InsufficientBalance": lambda i: (
        f"{i['sender']} holds {i['balance']} token units, {i['needed']} needed"
    ),
    "ERC20InsufficientAllowance": lambda i: (
        f"{i['spender']} may spend {i['allowance']} token units, {i['needed']} needed"
    ),
    "TBillRepaymentShort": lambda i: (
        f"the series' repayment pool holds {i['available']} cash units of the {i['owed']} "
        f"owed; nobody is paid before the grace period ends at {i['graceEnd']}: the treasury "
        "funds it first (treasury bills fund CODE)"
    ),
    "TBillPoolClosed": lambda i: "the series is in default: its repayment pool takes no more cash",
    "TBillNothingToPay": lambda i: f"redeeming {i['amount']} token units would pay nothing",
    "SovereignConflictingRoles": lambda i: (
        f"{i['account']} holds role {i['heldRole']}, which may not be combined with role "
        f"{i['requestedRole']}"
    ),
    "SovereignDelayTooShort": lambda i: (
        f"role {i['roleId']} must be held with an execution delay of at least "
        f"{i['minimum']} s, {i['executionDelay']} s asked"
    ),
}


def describe(name: str, inputs: dict) -> str:
    """One sentence for the custom error ``name`` with its decoded ``inputs``."""
    sentence = _SENTENCES.get(name)
    if sentence is not None:
        try:
            return sentence(inputs)
        except (KeyError, TypeError, ValueError):
            pass
    args = ", ".join(f"{k}={_hex(v)}" for k, v in inputs.items())
    return f"{name}({args})"
