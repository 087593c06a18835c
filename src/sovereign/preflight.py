"""Simulate transactions before sending them, and decode why one would revert.

One step is a plain ``eth_call`` from the real sender against the pending block:
nothing is signed or sent, and ape's revert call-trace printing is not triggered.
Several steps (approve then fund; schedule then, after the delay, execute) are
simulated together with ``eth_simulateV1``: each step sees the state the steps
before it leave, and a step can run in a later block at a later time. A node
without ``eth_simulateV1`` (Hardhat's) cannot promise that a later step will pass,
so a plan of several steps is refused there rather than half sent. Revert data is
decoded against every error of the system's contracts (OpenZeppelin's inherited
ones included).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ape import chain
from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address, to_hex
from web3.exceptions import ContractCustomError, ContractLogicError

from sovereign.artifacts import all_types
from sovereign.errors import describe


@dataclass(frozen=True)
class Revert:
    name: str
    inputs: dict
    raw: str

    @property
    def sentence(self) -> str:
        return describe(self.name, self.inputs)


@cache
def _error_table() -> dict[bytes, tuple[str, list[str], list[str]]]:
    table = {}
    for contract_type in all_types():
        for err in contract_type.errors:
            types = [i.canonical_type for i in err.inputs]
            sig = f"{err.name}({','.join(types)})"
            table[function_signature_to_4byte_selector(sig)] = (
                err.name,
                [i.name for i in err.inputs],
                types,
            )
    return table


def _revert_bytes(data) -> bytes:
    """Revert data as nodes give it: hex text, bytes, or (Hardhat) a dict holding it."""
    if isinstance(data, dict):
        data = data.get("data") or data.get("result") or ""
        if isinstance(data, dict):
            return _revert_bytes(data)
    if isinstance(data, str):
        text = data[2:] if data.startswith("0x") else data
        try:
            return bytes.fromhex(text)
        except ValueError:
            return b""
    return bytes(data or b"")


def decode_revert(data) -> Revert:
    raw = _revert_bytes(data)
    hexed = to_hex(raw)
    if len(raw) < 4:
        return Revert("EmptyRevert", {}, hexed)
    if raw[:4] == bytes.fromhex("08c379a0"):  # Error(string)
        return Revert("Error", {"reason": decode(["string"], raw[4:])[0]}, hexed)
    if raw[:4] == bytes.fromhex("4e487b71"):  # Panic(uint256)
        return Revert("Panic", {"code": decode(["uint256"], raw[4:])[0]}, hexed)
    entry = _error_table().get(raw[:4])
    if entry is None:
        return Revert(f"UnknownError_{raw[:4].hex()}", {}, hexed)
    name, names, types = entry
    values = [
        to_checksum_address(v) if t == "address" else v
        for t, v in zip(types, decode(types, raw[4:]), strict=True)
    ]
    return Revert(name, dict(zip(names, values, strict=True)), hexed)


def simulate(contract, method: str, *args, sender) -> Revert | None:
    """``None`` when the call would succeed, else the decoded revert."""
    data = getattr(contract, method).encode_input(*args)
    tx = {
        "from": str(sender.address if hasattr(sender, "address") else sender),
        "to": str(contract.address),
        "data": to_hex(data),
    }
    try:
        chain.provider.web3.eth.call(tx, "pending")
    except ContractCustomError as err:
        return decode_revert(err.data or err.message)
    except ContractLogicError as err:
        return decode_revert(err.data) if err.data else Revert("Error", {"reason": str(err)}, "")
    return None


@dataclass(frozen=True)
class Call:
    """One step of a plan: ``contract.method(*args)`` from ``sender``, optionally not
    before ``not_before`` (a UNIX time: a scheduled operation's execution)."""

    contract: object
    method: str
    args: tuple
    sender: object
    not_before: int = 0

    def tx(self) -> dict:
        data = getattr(self.contract, self.method).encode_input(*self.args)
        sender = self.sender.address if hasattr(self.sender, "address") else self.sender
        return {"from": str(sender), "to": str(self.contract.address), "data": to_hex(data)}


class CannotSimulate(Exception):
    """The node cannot simulate several steps in sequence."""


def simulate_plan(calls: list[Call]) -> tuple[int, Revert] | None:
    """``None`` when every step would succeed in order, else (index, revert) of the
    first that would fail. One step is an ``eth_call``; more use ``eth_simulateV1``."""
    if len(calls) == 1 and not calls[0].not_before:
        c = calls[0]
        revert = simulate(c.contract, c.method, *c.args, sender=c.sender)
        return None if revert is None else (0, revert)
    blocks, head = [], chain.blocks.head
    for call in calls:
        block = {"calls": [call.tx()]}
        if call.not_before:
            block["blockOverrides"] = {"time": hex(max(call.not_before, head.timestamp + 1))}
        blocks.append(block)
    try:
        answer = chain.provider.make_request(
            "eth_simulateV1", [{"blockStateCalls": blocks, "validation": False}, "latest"]
        )
    except Exception as err:  # noqa: BLE001 - every provider words "method not found" its own way
        raise CannotSimulate(
            f"the node cannot simulate {len(calls)} steps in sequence (eth_simulateV1: "
            f"{str(err).splitlines()[0][:120]}); nothing was sent"
        ) from None
    for index, block in enumerate(answer):
        result = block["calls"][0]
        if int(result["status"], 16) == 1:
            continue
        data = result.get("returnData") or (result.get("error") or {}).get("data") or "0x"
        return index, decode_revert(data)
    return None
