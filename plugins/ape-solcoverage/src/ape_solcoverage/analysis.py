"""The controller's analysis: match executed code to compiled code, mark items mapped/hit.

See the README's "Method" section; the names here follow it: *items* (line items:
statements, function/modifier entries, state-variable initializers), *branch points*
with two *outcomes*, *mapped* (the compiled code has an instruction for it) and *hit*
(such an instruction executed). The other steps: ``compiler`` (the coverage compile),
``items`` (the items of a source file, from its AST), ``shared_code`` (function entries
and merged code), ``decisions`` (deciding JUMPIs) and ``summary`` (the counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ape_solcoverage.decisions import classify
from ape_solcoverage.items import OUTCOME_LABELS, Branch, FileModel, Unit
from ape_solcoverage.settings import target_filter
from ape_solcoverage.shared_code import entries_and_shared
from ape_solcoverage.sourcemap import (
    JUMPI,
    Program,
    decompress_source_map,
    matches_compiled,
    metadata_regions,
)
from ape_solcoverage.summary import summarise

# ---------------------------------------------------------------------- compiled code


@dataclass
class Compiled:
    path: str
    name: str
    kind: str  # runtime or init
    program: Program
    masks: list[tuple[int, int]]
    deciders: dict[int, tuple[Branch, int, int]] | None = None  # JUMPI pc -> outcomes
    entries: dict[int, Unit] = field(default_factory=dict)  # entry pc -> function
    shared: set[int] = field(default_factory=set)  # pcs of code shared by functions

    @property
    def label(self) -> str:
        return f"{self.path}:{self.name} ({self.kind})"


def _compiled_objects(output: dict) -> list[Compiled]:
    out = []
    for path, contracts in (output.get("contracts") or {}).items():
        for name, c in contracts.items():
            evm = c.get("evm") or {}
            for kind, part in (("init", "bytecode"), ("runtime", "deployedBytecode")):
                obj = evm.get(part) or {}
                code_hex = obj.get("object") or ""
                if not code_hex or "__" in code_hex:  # empty, or unlinked libraries
                    continue
                code = bytes.fromhex(code_hex)
                masks = metadata_regions(code)
                for refs in (obj.get("immutableReferences") or {}).values():
                    masks.extend((r["start"], r["start"] + r["length"]) for r in refs)
                program = Program(code, decompress_source_map(obj.get("sourceMap") or ""))
                out.append(Compiled(path, name, kind, program, masks))
    return out


# ---------------------------------------------------------------------- the analysis


class Analysis:
    def __init__(self, output: dict, root: Path, targets=None):
        """``targets``: which source names are reported (``Settings.is_target``); by
        default every source under contracts/."""
        targets = targets or target_filter("contracts")
        self.root = root
        self.files: dict[int, FileModel] = {}
        for path, src in (output.get("sources") or {}).items():
            if targets(path):
                text = (root / path).read_bytes()
                self.files[src["id"]] = FileModel(path, src["id"], text, src["ast"])
        self.compiled = _compiled_objects(output)
        self.unmatched: list[dict] = []
        self.matched: dict[str, str] = {}
        self.notes: list[str] = []
        for c in self.compiled:
            self._mark_mapped(c)

    # -- what the compiled code can reach

    def _mark_mapped(self, c: Compiled) -> None:
        prog = c.program
        c.entries, c.shared = entries_and_shared(self.files, prog)
        with_code: set[tuple[int, int]] = set()  # (branch id(), outcome) with instructions
        jumpis = []
        for i in range(len(prog)):
            e = prog.entries[i]
            fm = self.files.get(e.file)
            if fm is None or prog.pcs[i] in c.shared:
                continue
            for b, k in fm.mark(e.start, e.length, executed=False):
                with_code.add((id(b), k))
            if prog.op(i) == JUMPI:
                b = fm.deciding.get((e.start, e.length))
                if b is not None:
                    jumpis.append((i, b, fm))
        deciders: dict[int, tuple[Branch, int, int]] = {}
        for i, b, fm in jumpis:
            outcome = classify(prog, i, b, fm, (id(b), 0) in with_code)
            if outcome is not None:
                deciders[prog.pcs[i]] = (b, *outcome)
                b.deciders += 1
                b.observable[0] = b.observable[1] = True
        c.deciders = deciders

    # -- what ran

    def match(self, kind: str, code: bytes) -> Compiled | None:
        best = None
        for c in self.compiled:
            if c.kind != kind:
                continue
            compiled = c.program.code
            if matches_compiled(code, compiled, c.masks, prefix=kind == "init"):
                if best is None or len(compiled) > len(best.program.code):
                    best = c
        return best

    def add_hits(self, key: str, kind: str, code_hex: str, pcs, edges) -> None:
        code = bytes.fromhex(code_hex)
        c = self.match(kind, code)
        if c is None:
            self.unmatched.append({"key": key, "kind": kind, "bytes": len(code), "pcs": len(pcs)})
            return
        self.matched[key] = c.label
        prog = c.program
        n = len(prog)
        shared, entries = c.shared, c.entries
        for pc in pcs:
            i = prog.index.get(pc)
            if i is None or i >= n or pc in shared:
                continue
            if pc in entries:
                entries[pc].entry_hit = True
            e = prog.entries[i]
            fm = self.files.get(e.file)
            if fm is None:
                continue
            fm.mark(e.start, e.length, executed=True)
        for pc, nxt in edges:
            decider = c.deciders.get(pc)
            if decider is not None:
                b, fall, taken = decider
                b.hit[fall if nxt == pc + 1 else taken] = True

    # -- results

    def branch_marks(self) -> dict[str, dict[int, list[tuple[bool, str]]]]:
        """path -> line -> [(hit, "kind outcome: code")] for every counted outcome."""
        out: dict[str, dict[int, list[tuple[bool, str]]]] = {}
        for fm in self.files.values():
            for b in fm.branches:
                if b.counted:
                    for k in (0, 1):
                        label = f"{b.kind} {OUTCOME_LABELS[b.kind][k]} ({b.text})"
                        out.setdefault(fm.path, {}).setdefault(b.line, []).append((b.hit[k], label))
        return out

    def results(self) -> dict:
        files = {}
        for fm in sorted(self.files.values(), key=lambda f: f.path):
            per = {"contracts": {}}
            per.update(summarise(fm, None))
            for name, _, _, _ in fm.contracts:
                summary = {k: v for k, v in summarise(fm, name).items() if k[0] != "_"}
                if summary["lines"]["total"] or summary["branches"]["total"]:
                    per["contracts"][name] = summary
            files[fm.path] = per
        return files
