"""OpenZeppelin's utilities (Address, SafeCast, SafeERC20, ReentrancyGuard) and the
revert kinds that are not custom errors (``Error(string)``, ``Panic(uint256)``, empty)."""

from __future__ import annotations

from sovereign.sentences._fmt import Entry, Fmt

_PANICS = {
    0x00: "a generic compiler panic",
    0x01: "a failed assertion",
    0x11: "an arithmetic overflow or underflow",
    0x12: "a division or modulo by zero",
    0x21: "an out-of-range enum value",
    0x22: "a corrupt storage byte array",
    0x31: "a pop from an empty array",
    0x32: "an array index out of bounds",
    0x41: "too much memory allocated",
    0x51: "a call to an uninitialised function",
}


def _panic(i: dict, f: Fmt) -> str:
    code = int(i["code"])
    what = _PANICS.get(code, "an unknown panic")
    return f"the contract stopped on {what} (panic 0x{code:02x}): nothing was changed"


def _downcast(i: dict, f: Fmt) -> str:
    bits = int(i["bits"])
    return (
        f"the value {f.n(i['value'])} does not fit in {bits} bits (at most "
        f"{f.n(2**bits - 1)}): nothing was changed"
    )


SENTENCES: dict[str, Entry] = {
    "AddressEmptyCode": lambda i, f: (
        f"{f.addr(i['target'])} has no code: the call went to an address without a contract"
    ),
    "FailedCall": lambda i, f: "the call made on the caller's behalf failed without a reason",
    "InsufficientBalance": lambda i, f: (
        f"the AccessManager holds {f.ether(i['balance'])}, {f.ether(i['needed'])} needed for "
        "the value sent with the call: send the value with the transaction"
    ),
    "SafeCastOverflowedUintDowncast": _downcast,
    "SafeERC20FailedOperation": lambda i, f: (
        f"a transfer of the token {f.addr(i['token'])} failed (it reverted or returned false): "
        "check the balance and the allowance"
    ),
    "ReentrancyGuardReentrantCall": lambda i, f: (
        "the contract was called again in the middle of a call (re-entrancy): refused"
    ),
    # not custom errors: what preflight.decode_revert names the other reverts
    "Error": lambda i, f: "the contract refused: " + " ".join(str(i["reason"]).split()),
    "Panic": _panic,
    "EmptyRevert": lambda i, f: "the call reverted without a reason",
}
