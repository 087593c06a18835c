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
    return [_dummy(inp.type, inp.components, filler_address) for inp in abi.inputs]


def _dummy(t: str, components, filler_address: str):
    if t == "tuple":  # a struct: a dummy for each of its fields
        return tuple(_dummy(c.type, c.components, filler_address) for c in components)
    if t.endswith("]") and not t.endswith("[]"):  # a fixed-size array, e.g. uint16[5]
        base, size = t[: t.rindex("[")], int(t[t.rindex("[") + 1 : -1])
        return [_dummy(base, components, filler_address) for _ in range(size)]
    if t.endswith("[]"):
        return []
    if t == "address":
        return filler_address
    if t.startswith("uint") or t.startswith("int"):
        return 1
    if t == "bytes32":
        return ref("dummy")
    if t == "bool":
        return True
    if t in ("string", "bytes"):
        return "x" if t == "string" else b"x"
    raise NotImplementedError(f"no dummy for {t}")
