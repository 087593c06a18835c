"""The coverage items of a source file, from its AST, and which an instruction belongs to.

*Line items* are statements, function/modifier entries and state-variable
initializers; *branch points* have two *outcomes* (README, "Method" 4). Each item is
*mapped* when the compiled code has an instruction attributed to it and *hit* when such
an instruction executed.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from ape_solcoverage.sourcemap import LineIndex

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
    entry_mapped: bool = False  # functions: an entry point (see shared_code)
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

    def mark(self, s: int, length: int, executed: bool) -> tuple:
        """Mark what an instruction mapped to [s, s+length) is attributed to (see
        ``attribute``): as mapped (the compiled code has it), or when ``executed`` as
        hit. Returns the branch outcome regions the range lies in."""
        stmt, fn, anchors = self.attribute(s, length)
        for u in (stmt, fn):
            if u is not None:
                if executed:
                    u.hit = True
                else:
                    u.mapped = True
        for b, k in anchors:
            (b.hit if executed else b.observable)[k] = True
        return anchors

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
