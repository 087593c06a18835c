"""The controller half of `sovereign.solcoverage`: compile with source maps, read the
coverage items from the AST, match executed code to compiled code, and count.

See the package docstring for the method; the names here follow it: *items* (line
items: statements, function/modifier entries, state-variable initializers),
*branch points* with two *outcomes*, *mapped* (the compiled code has an instruction
for it) and *hit* (such an instruction executed).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from sovereign.sourcemap import (
    JUMP,
    JUMPDEST,
    JUMPI,
    PUSH0,
    PUSH1,
    TERMINATORS,
    LineIndex,
    Program,
    decompress_source_map,
    matches_compiled,
    metadata_regions,
)

REVERT = 0xFD
STATEMENT_TYPES = frozenset(
    {
        "ExpressionStatement",
        "VariableDeclarationStatement",
        "Return",
        "EmitStatement",
        "RevertStatement",
        "IfStatement",
        "ForStatement",
        "WhileStatement",
        "DoWhileStatement",
        "Break",
        "Continue",
        "PlaceholderStatement",
        "InlineAssembly",
        "TryStatement",
        "Throw",
    }
)
OUTCOME_LABELS = {
    "if": ("true", "false"),
    "ternary": ("true", "false"),
    "&&": ("right operand evaluated", "short-circuit (left false)"),
    "||": ("right operand evaluated", "short-circuit (left true)"),
    "require": ("fails (reverts)", "passes"),
}
OUT, STOP = "out", "stop"

# ---------------------------------------------------------------------- compiling


def compiler_input(root: Path) -> tuple[dict, Path]:
    """The standard-JSON input: every contract under contracts/ with ape-config.yaml's
    settings; OpenZeppelin resolved from node_modules (where ape's dependency points)."""
    import yaml

    config = yaml.safe_load((root / "ape-config.yaml").read_text()) or {}
    sol = config.get("solidity") or {}
    contracts = root / (config.get("contracts_folder") or "contracts")
    local_deps = {
        f"{d.get('name')}/{d.get('version')}": d.get("local")
        for d in config.get("dependencies") or []
        if d.get("local")
    }
    remappings = []
    for remap in sol.get("import_remapping") or []:
        prefix, _, target = remap.partition("=")
        local = local_deps.get(target.strip("/"))
        path = os.path.relpath(root / local, root) if local else target
        remappings.append(f"{prefix.rstrip('/')}/={path.rstrip('/')}/")
    sources = {}
    for folder, dirs, files in os.walk(contracts):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".sol"):
                path = Path(folder) / name
                sources[path.relative_to(root).as_posix()] = {"content": path.read_text()}
    outputs = [
        "evm.bytecode.object",
        "evm.bytecode.sourceMap",
        "evm.deployedBytecode.object",
        "evm.deployedBytecode.sourceMap",
        "evm.deployedBytecode.immutableReferences",
    ]
    settings = {
        "optimizer": {
            "enabled": bool(sol.get("optimize", True)),
            "runs": int(sol.get("optimization_runs", 200)),
        },
        "remappings": remappings,
        "outputSelection": {"*": {"*": outputs, "": ["ast"]}},
    }
    if sol.get("evm_version"):
        settings["evmVersion"] = sol["evm_version"]
    if sol.get("via_ir"):
        settings["viaIR"] = True
    compiler = Path(os.environ.get("SOLCX_BINARY_PATH", root / "tools/solc/bin"))
    compiler = compiler / f"solc-v{sol.get('version', '0.8.30')}"
    return {"language": "Solidity", "sources": sources, "settings": settings}, compiler


def compile_project(root: Path, cache_dir: Path) -> dict:
    """solc's standard-JSON output for the project, cached by the hash of its input
    and of the compiler wrapper (the compile takes ~40 s through solcjs)."""
    data, compiler = compiler_input(root)
    payload = json.dumps(data, sort_keys=True).encode()
    digest = hashlib.sha256(payload)
    digest.update(compiler.read_bytes() if compiler.exists() else compiler.name.encode())
    for stamp in (root / "node_modules/solc/package.json",):
        if stamp.exists():
            digest.update(stamp.read_bytes())
    cached = cache_dir / f"solc-{digest.hexdigest()[:24]}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    done = subprocess.run(
        [str(compiler), "--standard-json", "--base-path", str(root)],
        input=payload,
        capture_output=True,
        cwd=root,
        check=False,
    )
    if done.returncode != 0 or not done.stdout:
        raise RuntimeError(f"solc failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    output = json.loads(done.stdout)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise RuntimeError("solc: " + "\n".join(e.get("formattedMessage", "") for e in errors))
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(output))
    tmp.replace(cached)
    for old in sorted(cache_dir.glob("solc-*.json"), key=lambda p: p.stat().st_mtime)[:-3]:
        old.unlink(missing_ok=True)  # keep the three most recent compiles
    return output


# ---------------------------------------------------------------------- the AST


def _range(node: dict) -> tuple[int, int, int]:
    s, length, f = (int(x) for x in node["src"].split(":")[:3])
    return s, s + length, f


@dataclass
class Unit:
    """A line item: a statement, or a function/modifier/initializer as a whole."""

    start: int
    end: int
    line: int
    kind: str
    contract: str | None
    label: str = ""
    mapped: bool = False  # an instruction is attributed to it
    hit: bool = False  # such an instruction executed
    entry_mapped: bool = False  # functions: an entry point (see _entries_and_shared)
    entry_hit: bool = False


@dataclass
class Branch:
    id: int
    kind: str  # if, ternary, &&, ||, require
    own: tuple[int, int]  # the node's own range; its deciding JUMPI maps exactly here
    primary: tuple[int, int] | None  # outcome 0's region (true body, right operand)
    alternative: tuple[int, int] | None  # outcome 1's region (else body, false branch)
    line: int
    column: int
    contract: str | None
    text: str
    observable: list[bool] = field(default_factory=lambda: [False, False])
    hit: list[bool] = field(default_factory=lambda: [False, False])
    deciders: int = 0  # JUMPIs mapped to it whose two successors were told apart

    @property
    def counted(self) -> bool:
        return all(self.observable)


class FileModel:
    """The coverage items of one source file."""

    def __init__(self, path: str, file_id: int, text: bytes, ast: dict):
        self.path = path
        self.file_id = file_id
        self.text = text
        self.lines = LineIndex(text)
        self.statements: list[Unit] = []
        self.functions: list[Unit] = []
        self.branches: list[Branch] = []
        self.contracts: list[tuple[str, int, int, str]] = []  # name, start, end, kind
        self._visit(ast, None, False)
        self.statements.sort(key=lambda u: (u.start, -u.end))
        self.functions.sort(key=lambda u: (u.start, -u.end))
        self._stmt_starts = [u.start for u in self.statements]
        self._fn_starts = [u.start for u in self.functions]
        self.deciding = {(b.own[0], b.own[1] - b.own[0]): b for b in self.branches}
        self._cache: dict[tuple[int, int], tuple] = {}

    # -- extraction

    def _unit(self, node: dict, kind: str, contract: str | None, label: str = "") -> Unit:
        s, e, _ = _range(node)
        return Unit(s, e, self.lines.line(s), kind, contract, label)

    def _snippet(self, s: int, e: int, tail: bool = False) -> str:
        """The code, on one line; a long one cut to 80 characters (keeping its end for
        ``&&``/``||``, whose nested operators share their start)."""
        text = self.text[s:e].decode("utf-8", "replace")
        text = " ".join(text.split())
        if len(text) <= 80:
            return text
        return "..." + text[-77:] if tail else text[:77] + "..."

    def _visit(self, node, contract: str | None, executable: bool) -> None:
        if isinstance(node, list):
            for child in node:
                self._visit(child, contract, executable)
            return
        if not isinstance(node, dict):
            return
        t = node.get("nodeType")
        if t == "ContractDefinition":
            s, e, _ = _range(node)
            contract = node.get("name")
            self.contracts.append((contract, s, e, node.get("contractKind", "contract")))
        elif t in ("FunctionDefinition", "ModifierDefinition"):
            if not node.get("body"):
                return
            label = node.get("name") or node.get("kind", "")
            kind = "modifier" if t == "ModifierDefinition" else "function"
            self.functions.append(self._unit(node, kind, contract, label))
            executable = True
        elif t == "VariableDeclaration" and node.get("stateVariable"):
            if node.get("constant") or node.get("value") is None:
                return
            self.functions.append(self._unit(node, "initializer", contract, node.get("name", "")))
            executable = True
        if executable and t:
            if t in STATEMENT_TYPES:
                self.statements.append(self._unit(node, "statement", contract, t))
            self._branch(node, t, contract)
        for key, child in node.items():
            if isinstance(child, dict | list) and key != "documentation":
                self._visit(child, contract, executable)

    def _branch(self, node: dict, t: str, contract: str | None) -> None:
        primary = alternative = None
        if t == "IfStatement":
            kind = "if"
            primary = _range(node["trueBody"])[:2]
            if node.get("falseBody"):
                alternative = _range(node["falseBody"])[:2]
            text_node = node["condition"]
        elif t == "Conditional":
            kind = "ternary"
            primary = _range(node["trueExpression"])[:2]
            alternative = _range(node["falseExpression"])[:2]
            text_node = node
        elif t == "BinaryOperation" and node.get("operator") in ("&&", "||"):
            kind = node["operator"]
            primary = _range(node["rightExpression"])[:2]
            text_node = node
        elif (
            t == "FunctionCall"
            and (node.get("expression") or {}).get("nodeType") == "Identifier"
            and node["expression"].get("name") == "require"
        ):
            kind = "require"
            text_node = node
        else:
            return
        s, e, _ = _range(node)
        ts, te, _ = _range(text_node)
        line = self.lines.line(s)
        column = s - self.lines._starts[line - 1] + 1
        self.branches.append(
            Branch(
                len(self.branches),
                kind,
                (s, e),
                primary,
                alternative,
                line,
                column,
                contract,
                self._snippet(ts, te, tail=kind in ("&&", "||")),
            )
        )

    # -- attribution of an instruction's source range

    @staticmethod
    def _innermost(units: list[Unit], starts: list[int], s: int, e: int) -> Unit | None:
        i = bisect_right(starts, s) - 1
        while i >= 0:
            u = units[i]
            if u.end >= e:
                return u
            i -= 1
        return None

    def attribute(self, s: int, length: int) -> tuple:
        """(innermost statement, enclosing function/modifier/initializer, the branch
        outcome regions the range lies in) for an instruction mapped to [s, s+length)."""
        key = (s, length)
        hit = self._cache.get(key)
        if hit is None:
            e = s + length
            anchors = []
            for b in self.branches:
                if b.primary and b.primary[0] <= s and e <= b.primary[1]:
                    anchors.append((b, 0))
                if b.alternative and b.alternative[0] <= s and e <= b.alternative[1]:
                    anchors.append((b, 1))
            hit = (
                self._innermost(self.statements, self._stmt_starts, s, e),
                self._innermost(self.functions, self._fn_starts, s, e),
                tuple(anchors),
            )
            self._cache[key] = hit
        return hit

    def function_status(self, u: Unit) -> tuple[bool, bool]:
        """(mapped, hit) of a function/modifier/initializer line. Entered = one of its
        entry points ran, or one of its statements ran. Only a function with neither
        (fully inlined, or a modifier) falls back to: any of its instructions ran."""
        inner = [s for s in self.statements if u.start <= s.start and s.end <= u.end]
        if u.entry_mapped or any(s.mapped for s in inner):
            return True, u.entry_hit or any(s.hit for s in inner)
        return u.mapped, u.hit

    def contract_of(self, offset: int) -> str | None:
        for name, s, e, _ in self.contracts:
            if s <= offset < e:
                return name
        return None


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


def is_target(path: str) -> bool:
    """The project's own sources: contracts/, without the test mocks."""
    return path.startswith("contracts/") and not path.startswith("contracts/test/")


class Analysis:
    def __init__(self, output: dict, root: Path, targets=is_target):
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

    def _function_at(self, prog: Program, i: int) -> Unit | None:
        e = prog.entries[i]
        fm = self.files.get(e.file)
        return fm.attribute(e.start, e.length)[1] if fm is not None else None

    def _entries_and_shared(self, c: Compiled) -> None:
        """Entry points of functions, and code shared by several functions.

        Entry: the target of a static jump into a function's code from the dispatcher
        (code outside any function) or from a call (source-map jump type "i").
        Shared: the optimizer merges identical blocks of two functions and maps the
        survivor to one of them (e.g. the ABI encoding of two functions returning the
        same types), so running one marks the other. A block whose tag is pushed (as
        jump target or return address) by code of two different functions, and that is
        no function's entry, is such a block: its instructions are attributed to
        nothing, neither as compiled nor as executed."""
        prog = c.program
        n = len(prog)
        fn_of = [self._function_at(prog, i) for i in range(n)]
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
                        c.entries[target] = callee
                        callee.entry_mapped = True
        for tag, functions in pushers.items():
            if len(functions) < 2 or tag in c.entries:
                continue
            i = prog.index[tag]
            c.shared.add(prog.pcs[i])
            i += 1
            while i < n and prog.op(i) != JUMPDEST:
                c.shared.add(prog.pcs[i])
                if prog.op(i) in (JUMP, JUMPI) or prog.op(i) in TERMINATORS:
                    break
                i += 1

    def _mark_mapped(self, c: Compiled) -> None:
        prog = c.program
        self._entries_and_shared(c)
        with_code: set[tuple[int, int]] = set()  # (branch id(), outcome) with instructions
        jumpis = []
        for i in range(len(prog)):
            e = prog.entries[i]
            fm = self.files.get(e.file)
            if fm is None or prog.pcs[i] in c.shared:
                continue
            stmt, fn, anchors = fm.attribute(e.start, e.length)
            if stmt is not None:
                stmt.mapped = True
            if fn is not None:
                fn.mapped = True
            for b, k in anchors:
                b.observable[k] = True
                with_code.add((id(b), k))
            if prog.op(i) == JUMPI:
                b = fm.deciding.get((e.start, e.length))
                if b is not None:
                    jumpis.append((i, b, fm))
        deciders: dict[int, tuple[Branch, int, int]] = {}
        for i, b, fm in jumpis:
            outcome = self._classify(prog, i, b, fm, (id(b), 0) in with_code)
            if outcome is not None:
                deciders[prog.pcs[i]] = (b, *outcome)
                b.deciders += 1
                b.observable[0] = b.observable[1] = True
        c.deciders = deciders

    def _walk(self, prog: Program, i: int, b: Branch, fm: FileModel) -> int | str:
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

    def _classify(
        self, prog: Program, i: int, b: Branch, fm: FileModel, primary_has_code: bool
    ) -> tuple[int, int] | None:
        """(outcome of falling through, outcome of jumping) for a JUMPI mapped to the
        branch point, or None when the two successors cannot be told apart."""
        fall = self._walk(prog, i + 1, b, fm)
        target = prog.static_jump_target(i)
        j = prog.index.get(target) if target is not None else None
        taken = self._walk(prog, j, b, fm) if j is not None else STOP
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
            stmt, fn, anchors = fm.attribute(e.start, e.length)
            if stmt is not None:
                stmt.hit = True
            if fn is not None:
                fn.hit = True
            for b, k in anchors:
                b.hit[k] = True
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
            per.update(_summarise(fm, None))
            for name, _, _, _ in fm.contracts:
                summary = _summarise(fm, name)
                summary.pop("_hit_lines")
                if summary["lines"]["total"] or summary["branches"]["total"]:
                    per["contracts"][name] = summary
            files[fm.path] = per
        return files


def _summarise(fm: FileModel, contract: str | None) -> dict:
    def mine(x) -> bool:
        return contract is None or x.contract == contract

    status: dict[int, list[tuple[bool, bool]]] = {}  # line -> [(mapped, hit)] of its items
    for u in fm.statements:
        if mine(u):
            status.setdefault(u.line, []).append((u.mapped, u.hit))
    for u in fm.functions:
        if mine(u):
            status.setdefault(u.line, []).append(fm.function_status(u))
    mapped = sorted(ln for ln, items in status.items() if any(m for m, _ in items))
    hit = [ln for ln in mapped if any(h for m, h in status[ln] if m)]
    missed = [ln for ln in mapped if not any(h for m, h in status[ln] if m)]
    unmapped = sorted(ln for ln, items in status.items() if not any(m for m, _ in items))
    branches = [b for b in fm.branches if mine(b)]
    counted = [b for b in branches if b.counted]
    missed_branches = []
    for b in counted:
        for k in (0, 1):
            if not b.hit[k]:
                missed_branches.append(
                    {
                        "line": b.line,
                        "column": b.column,
                        "kind": b.kind,
                        "outcome": OUTCOME_LABELS[b.kind][k],
                        "code": b.text,
                    }
                )
    return {
        "_hit_lines": hit,
        "lines": {
            "total": len(mapped),
            "hit": len(hit),
            "pct": _pct(len(hit), len(mapped)),
            "missed": missed,
            "not_in_bytecode": unmapped,
        },
        "branches": {
            "total": 2 * len(counted),
            "hit": sum(sum(b.hit) for b in counted),
            "pct": _pct(sum(sum(b.hit) for b in counted), 2 * len(counted)),
            "missed": missed_branches,
            "not_observable": [
                {"line": b.line, "column": b.column, "kind": b.kind, "code": b.text}
                for b in branches
                if not b.counted
            ],
        },
    }


def _pct(hit: int, total: int) -> float | None:
    return round(100.0 * hit / total, 2) if total else None
