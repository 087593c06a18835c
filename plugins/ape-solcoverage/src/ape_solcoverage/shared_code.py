"""Function entry points, and code shared by functions (the optimizer's merged blocks).

The instructions of shared code are attributed to nothing (README, "Method" 5).
"""

from __future__ import annotations

from ape_solcoverage.items import FileModel, Unit
from ape_solcoverage.sourcemap import JUMP, JUMPDEST, JUMPI, PUSH0, PUSH1, TERMINATORS, Program


def entries_and_shared(
    files: dict[int, FileModel], prog: Program
) -> tuple[dict[int, Unit], set[int]]:
    """Entry points of functions, and code shared by several functions.

    Entry: the target of a static jump into a function's code from the dispatcher
    (code outside any function) or from a call (source-map jump type "i").
    Shared: the optimizer merges identical blocks of two functions and maps the
    survivor to one of them (e.g. the ABI encoding of two functions returning the
    same types), so running one marks the other. A block whose tag is pushed (as
    jump target or return address) by code of two different functions, and that is
    no function's entry, is such a block: its instructions are attributed to
    nothing, neither as compiled nor as executed.

    Returns (entry pc -> function, the pcs of shared code)."""
    n = len(prog)
    fn_of = [_function_at(files, prog, i) for i in range(n)]
    entries: dict[int, Unit] = {}
    shared: set[int] = set()
    pushers: dict[int, set[int]] = {}
    for i in range(n):
        op = prog.op(i)
        if PUSH1 <= op <= PUSH1 + 3:  # tags fit in 4 bytes
            pc = prog.pcs[i]
            value = int.from_bytes(prog.code[pc + 1 : pc + op - PUSH0 + 1], "big")
            j = prog.index.get(value)
            if j is not None and j < n and prog.op(j) == JUMPDEST and fn_of[i] is not None:
                pushers.setdefault(value, set()).add(id(fn_of[i]))
        elif op in (JUMP, JUMPI):
            target = prog.static_jump_target(i)
            j = prog.index.get(target) if target is not None else None
            if j is None or j >= n or prog.op(j) != JUMPDEST:
                continue
            callee = fn_of[j]
            caller = fn_of[i]
            if callee is not None and callee is not caller:
                if caller is None or prog.entries[i].jump == "i":
                    entries[target] = callee
                    callee.entry_mapped = True
    for tag, functions in pushers.items():
        if len(functions) < 2 or tag in entries:
            continue
        i = prog.index[tag]
        shared.add(prog.pcs[i])
        i += 1
        while i < n and prog.op(i) != JUMPDEST:
            shared.add(prog.pcs[i])
            if prog.op(i) in (JUMP, JUMPI) or prog.op(i) in TERMINATORS:
                break
            i += 1
    return entries, shared


def _function_at(files: dict[int, FileModel], prog: Program, i: int) -> Unit | None:
    e = prog.entries[i]
    fm = files.get(e.file)
    return fm.attribute(e.start, e.length)[1] if fm is not None else None
