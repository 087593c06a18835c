"""The counts of a source file or of a contract: lines, branch outcomes and functions.

Total, hit and percent of each, with what was missed and what is not counted.
"""

from __future__ import annotations

from ape_solcoverage.items import OUTCOME_LABELS, Branch, FileModel


def summarise(fm: FileModel, contract: str | None) -> dict:
    def mine(x) -> bool:
        return contract is None or x.contract == contract

    status: dict[int, list[tuple[bool, bool]]] = {}  # line -> [(mapped, hit)] of its items
    for u in fm.statements:
        if mine(u):
            status.setdefault(u.line, []).append((u.mapped, u.hit))
    functions = []  # counted functions, modifiers and initializers
    for u in fm.functions:
        if mine(u):
            fn_mapped, fn_hit = fm.function_status(u)
            status.setdefault(u.line, []).append((fn_mapped, fn_hit))
            if fn_mapped:
                name = f"{u.contract}.{u.label}" if u.contract else u.label
                functions.append({"name": name, "line": u.line, "hit": fn_hit})
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
    fn_hit = sum(f["hit"] for f in functions)
    return {
        "_hit_lines": hit,
        # for the line-oriented formats (lcov, Cobertura): every counted outcome
        "_branches": [
            {"id": b.id, "line": _anchor_line(fm, b, set(mapped)), "hit": list(b.hit)}
            for b in counted
        ],
        "_functions": functions,
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
        "functions": {
            "total": len(functions),
            "hit": fn_hit,
            "pct": _pct(fn_hit, len(functions)),
            "missed": [{"name": f["name"], "line": f["line"]} for f in functions if not f["hit"]],
        },
    }


def _anchor_line(fm: FileModel, b: Branch, counted_lines: set[int]) -> int:
    """The line a branch point is reported on in line-oriented formats: its own line
    when that is a counted line, else the line of the innermost counted statement or
    function around it (a condition that starts on the line after its ``if``)."""
    if b.line in counted_lines:
        return b.line
    s, e = b.own
    around = [
        u
        for u in (*fm.statements, *fm.functions)
        if u.start <= s and e <= u.end and u.line in counted_lines
    ]
    return max(around, key=lambda u: u.start).line if around else b.line


def _pct(hit: int, total: int) -> float | None:
    return round(100.0 * hit / total, 2) if total else None
