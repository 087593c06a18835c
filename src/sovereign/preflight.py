"""Simulate a transaction before sending it, and decode why it would revert.

The simulation is a plain ``eth_call`` from the real sender against the pending
block: nothing is signed or sent, and ape's revert call-trace printing is not
triggered. The revert data is decoded against every error in the project's
ABIs (OpenZeppelin's inherited ones included).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ape import chain, project
from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address, to_hex
from web3.exceptions import ContractCustomError, ContractLogicError

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
    for contract_type in project.contracts.values():
        for err in contract_type.errors:
            types = [i.canonical_type for i in err.inputs]
            sig = f"{err.name}({','.join(types)})"
            table[function_signature_to_4byte_selector(sig)] = (
                err.name,
                [i.name for i in err.inputs],
                types,
            )
    return table


def decode_revert(data: str | bytes) -> Revert:
    raw = bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)
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
        return decode_revert(err.data if isinstance(err.data, str) else err.message)
    except ContractLogicError as err:
        return decode_revert(err.data) if err.data else Revert("Error", {"reason": str(err)}, "")
    return None
