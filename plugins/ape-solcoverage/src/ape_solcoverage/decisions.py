"""Deciding JUMPIs: follow control from each successor to the branch outcome it leads to.

A deciding JUMPI is one whose source range is exactly its branch point's (the legacy
code generator's ``ISZERO; PUSH tag; JUMPI`` of an ``if``, the short-circuit jump of
``&&``/``||``). It is used only when exactly one of its successors leads to one outcome
and the other does not, with the one exception of ``classify`` (an ``if`` whose body has
no instruction of its own); see README, "Method" 4.
"""

from __future__ import annotations

from ape_solcoverage.items import Branch, FileModel
from ape_solcoverage.sourcemap import JUMP, JUMPDEST, JUMPI, TERMINATORS, Program

REVERT = 0xFD
OUT, STOP = "out", "stop"


def walk(prog: Program, i: int, b: Branch, fm: FileModel) -> int | str:
    """Follow control from instruction ``i`` until it enters one of the branch's
    outcome regions (0 or 1), reaches other code of a function (OUT) or cannot be
    followed statically (STOP). Passed through: JUMPDESTs, the branch point's own
    code (its condition), enclosing code (the function, an enclosing statement),
    code outside any function (a constant's value) and generated code."""
    fid = fm.file_id
    seen: set[int] = set()
    n = len(prog)
    for _ in range(256):
        if i >= n:
            return STOP
        op = prog.op(i)
        e = prog.entries[i]
        if op != JUMPDEST and e.file == fid:
            s, t = e.start, e.start + e.length
            if b.primary and b.primary[0] <= s and t <= b.primary[1]:
                return 0
            if b.alternative and b.alternative[0] <= s and t <= b.alternative[1]:
                return 1
            inside = b.own[0] <= s and t <= b.own[1]
            encloses = s <= b.own[0] and b.own[1] <= t
            if not inside and not encloses and fm.attribute(e.start, e.length)[1]:
                return OUT
        if op == REVERT and b.kind == "require":
            return 0
        if op == JUMP:
            target = prog.static_jump_target(i)
            j = prog.index.get(target) if target is not None else None
            if j is None or j in seen:
                return STOP
            seen.add(j)
            i = j
            continue
        if op == JUMPI or op in TERMINATORS:
            return STOP
        i += 1
    return STOP


def classify(
    prog: Program, i: int, b: Branch, fm: FileModel, primary_has_code: bool
) -> tuple[int, int] | None:
    """(outcome of falling through, outcome of jumping) for a JUMPI mapped to the
    branch point, or None when the two successors cannot be told apart."""
    fall = walk(prog, i + 1, b, fm)
    target = prog.static_jump_target(i)
    j = prog.index.get(target) if target is not None else None
    taken = walk(prog, j, b, fm) if j is not None else STOP
    if fall == 0 and taken != 0:
        return 0, 1
    if taken == 0 and fall != 0:
        return 1, 0
    if b.alternative is not None:
        if fall == 1 and taken not in (0, 1):
            return 1, 0
        if taken == 1 and fall not in (0, 1):
            return 0, 1
    elif b.kind == "if" and not primary_has_code and {fall, taken} == {OUT, STOP}:
        # `if (c) return;`: the body has no instruction of its own (its jump to the
        # function's exit is the JUMPI's target); the successor that reaches the
        # statements after the `if` is "false", the other one "true".
        return (1, 0) if fall == OUT else (0, 1)
    return None
