"""Helpers for tests that go through ape: readable ids, time travel, dummy arguments."""

from __future__ import annotations

from ape import chain

from sovereign.units import text_to_bytes32


def ref(text: str) -> bytes:
    """A readable bytes32 id / case reference."""
    return text_to_bytes32(text)


def travel(seconds: int) -> None:
    """Move the chain's clock forward and mine a block at the new time."""
    chain.mine(1, timestamp=chain.pending_timestamp + seconds)


def dummy_args(abi, filler_address: str) -> list:
    """Plausible arguments for every input of ``abi`` (used to hit access checks)."""
    out = []
    for inp in abi.inputs:
        t = inp.type
        if t == "address":
            out.append(filler_address)
        elif t.startswith("uint") or t.startswith("int"):
            out.append(1)
        elif t == "bytes32":
            out.append(ref("dummy"))
        elif t == "bool":
            out.append(True)
        elif t.endswith("[]"):
            out.append([])
        elif t in ("string", "bytes"):
            out.append("x" if t == "string" else b"x")
        else:
            raise NotImplementedError(f"no dummy for {t}")
    return out
