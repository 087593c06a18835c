"""From EVM program counters to Solidity source: the pure pieces of ape-solcoverage.

Nothing here talks to a chain or a compiler; every function takes bytes or strings
and is unit-tested in the plugin's ``tests/test_solcoverage.py``.

- ``Program``: a bytecode split into instructions (``PUSHn`` carries ``n`` data bytes,
  so the instruction *index* that solc's source map counts is not the program
  counter), with the decompressed source map beside it.
- ``decompress_source_map``: solc's ``s:l:f:j:m`` list, where an empty field repeats the
  previous entry's value and a missing trailing field too.
- ``LineIndex``: byte offset (solc counts UTF-8 bytes) to 1-based line.
- ``metadata_regions`` / ``matches_compiled``: compare code seen on chain with compiled
  code, ignoring the CBOR metadata blocks (every one, not only the trailing one: a
  contract that deploys another embeds the other's creation code and its metadata)
  and the immutable slots that the constructor fills in.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

JUMPI = 0x57
JUMP = 0x56
JUMPDEST = 0x5B
PUSH0 = 0x5F
PUSH1 = 0x60
PUSH32 = 0x7F
# Instructions after which control does not fall through to the next one.
TERMINATORS = frozenset({0x00, 0xF3, 0xFD, 0xFE, 0xFF})  # STOP RETURN REVERT INVALID SELFDESTRUCT

# solc's metadata: a CBOR map {"ipfs": <34 bytes>, "solc": <3 bytes>} followed by its
# two-byte length (0x0033). Other encodings (bzzr, experimental, no metadata) end in
# their own length too; only this one is searched for inside code.
_CBOR_IPFS = re.compile(rb"\xa2\x64ipfs\x58\x22.{34}\x64solc\x43.{3}\x00\x33", re.DOTALL)
CBOR_IPFS_LENGTH = 53


def push_size(op: int) -> int:
    """Number of immediate data bytes after opcode ``op`` (PUSH1..PUSH32; 0 otherwise)."""
    return op - PUSH0 if PUSH1 <= op <= PUSH32 else 0


def instruction_pcs(code: bytes) -> list[int]:
    """The program counter of every instruction, in order (index = instruction index)."""
    pcs = []
    pc = 0
    n = len(code)
    while pc < n:
        pcs.append(pc)
        op = code[pc]
        pc += 1 + (op - PUSH0 if PUSH1 <= op <= PUSH32 else 0)
    return pcs


def pc_to_index(code: bytes) -> dict[int, int]:
    """Program counter -> instruction index (only instruction starts are keys)."""
    return {pc: i for i, pc in enumerate(instruction_pcs(code))}


@dataclass(frozen=True, slots=True)
class SourceMapEntry:
    start: int  # byte offset in the source
    length: int
    file: int  # source id (-1: compiler-generated, no source)
    jump: str  # "i" into a function, "o" out of one, "-" a plain jump or none
    modifier_depth: int = 0


def decompress_source_map(source_map: str) -> list[SourceMapEntry]:
    """solc's compressed source map: entries separated by ';', fields by ':'; an empty
    or missing field takes the value of the previous entry."""
    out: list[SourceMapEntry] = []
    s, length, f, j, m = 0, 0, -1, "-", 0
    if not source_map:
        return out
    for item in source_map.split(";"):
        if item:
            parts = item.split(":")
            if parts[0]:
                s = int(parts[0])
            if len(parts) > 1 and parts[1]:
                length = int(parts[1])
            if len(parts) > 2 and parts[2]:
                f = int(parts[2])
            if len(parts) > 3 and parts[3]:
                j = parts[3]
            if len(parts) > 4 and parts[4]:
                m = int(parts[4])
        out.append(SourceMapEntry(s, length, f, j, m))
    return out


class LineIndex:
    """Byte offset -> 1-based line number for one source file (solc counts bytes)."""

    def __init__(self, text: bytes):
        self._starts = [0] + [i + 1 for i, b in enumerate(text) if b == 0x0A]
        self.text = text

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)

    @property
    def line_count(self) -> int:
        return len(self._starts)


def metadata_regions(code: bytes) -> list[tuple[int, int]]:
    """Byte ranges [start, end) of every solc IPFS metadata block (with its length)."""
    return [(m.start(), m.end()) for m in _CBOR_IPFS.finditer(code)]


def strip_trailing_metadata(code: bytes) -> bytes:
    """Code without the trailing CBOR metadata, when the last two bytes give its length."""
    if len(code) >= 2:
        n = int.from_bytes(code[-2:], "big")
        if 0 < n <= len(code) - 2 and code[-2 - n] & 0xE0 == 0xA0:  # a CBOR map
            return code[: -2 - n]
    return code


def matches_compiled(
    executed: bytes,
    compiled: bytes,
    masked: list[tuple[int, int]],
    prefix: bool = False,
) -> bool:
    """Does code seen on chain come from this compiled object? Bytes in ``masked``
    ranges (metadata, immutables) may differ. ``prefix``: the executed code may go on
    past the compiled object (init code followed by constructor arguments)."""
    if prefix:
        if len(executed) < len(compiled):
            return False
        executed = executed[: len(compiled)]
    elif len(executed) != len(compiled):
        return False
    if not masked:
        return executed == compiled
    pos = 0
    for start, end in sorted(masked):
        if executed[pos:start] != compiled[pos:start]:
            return False
        pos = max(pos, end)
    return executed[pos:] == compiled[pos:]


@dataclass
class Program:
    """One compiled bytecode object with its source map, indexed by program counter."""

    code: bytes
    entries: list[SourceMapEntry]
    pcs: list[int] = field(init=False)
    index: dict[int, int] = field(init=False)

    def __post_init__(self) -> None:
        self.pcs = instruction_pcs(self.code)
        self.index = {pc: i for i, pc in enumerate(self.pcs)}

    def __len__(self) -> int:
        # Only instructions the source map covers (the metadata and, for creation
        # code, the runtime code appended as data are not instructions of this object).
        return min(len(self.pcs), len(self.entries))

    def entry_at(self, pc: int) -> SourceMapEntry | None:
        i = self.index.get(pc)
        if i is None or i >= len(self.entries):
            return None
        return self.entries[i]

    def op(self, i: int) -> int:
        return self.code[self.pcs[i]]

    def static_jump_target(self, i: int) -> int | None:
        """Destination of the JUMP/JUMPI at instruction ``i`` when the previous
        instruction pushes it (the legacy code generator's ``PUSH tag; JUMP(I)``)."""
        if i == 0:
            return None
        pc = self.pcs[i - 1]
        op = self.code[pc]
        if PUSH1 <= op <= PUSH32:
            return int.from_bytes(self.code[pc + 1 : pc + 1 + push_size(op)], "big")
        return None
