"""The interchange formats: LCOV tracefile (``lcov.info``) and Cobertura XML
(``coverage.xml``), what Codecov, genhtml, CI coverage views and editors read.

Both are built from the same per-file data as coverage.json, so their totals are the
JSON report's: a *line* is a counted line (hit or missed), a *branch* one outcome of a
counted branch point, a *function* a function, modifier or state-variable initializer
whose line is counted. Hits are yes/no (1 or 0), not counts: the tracer keeps which
program counters ran, not how often. A branch point whose condition starts on a later
line than its statement (``if (\\n a || b)``) is reported on the statement's line, so that
every branch sits on a counted line.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path, PurePosixPath

LCOV = "lcov.info"
COBERTURA = "coverage.xml"


def _reported(files: dict) -> list[tuple[str, dict]]:
    """The files with executable code, as in the report's table."""
    return [(path, f) for path, f in files.items() if f["lines"]["total"] or f["branches"]["total"]]


def _line_hits(f: dict) -> dict[int, int]:
    """line -> 1 (hit) or 0 (missed), for every counted line."""
    hits = dict.fromkeys(f["lines"]["missed"], 0)
    hits.update(dict.fromkeys(f.get("_hit_lines", ()), 1))
    return dict(sorted(hits.items()))


def _function_names(functions: list[dict]) -> list[str]:
    """Unique names per file: an overloaded name gets its line (``C.f@12``)."""
    seen = Counter(fn["name"] for fn in functions)
    return [fn["name"] + (f"@{fn['line']}" if seen[fn["name"]] > 1 else "") for fn in functions]


def lcov(data: dict) -> str:
    """An LCOV tracefile: one record per source file (SF), its functions (FN/FNDA,
    FNF/FNH), branch outcomes (BRDA: line, branch point, outcome 0/1, taken: 1, 0,
    or ``-`` when neither outcome ran), lines (DA, LF/LH), then end_of_record."""
    out = ["TN:"]
    for path, f in _reported(data["files"]):
        out.append(f"SF:{path}")
        functions = f.get("_functions", [])
        names = _function_names(functions)
        out += [f"FN:{fn['line']},{name}" for fn, name in zip(functions, names, strict=True)]
        out += [f"FNDA:{int(fn['hit'])},{name}" for fn, name in zip(functions, names, strict=True)]
        out += [f"FNF:{len(functions)}", f"FNH:{sum(fn['hit'] for fn in functions)}"]
        branches = f.get("_branches", [])
        for b in branches:
            for k, hit in enumerate(b["hit"]):
                taken = int(hit) if any(b["hit"]) else "-"
                out.append(f"BRDA:{b['line']},{b['id']},{k},{taken}")
        out += [f"BRF:{2 * len(branches)}", f"BRH:{sum(sum(b['hit']) for b in branches)}"]
        lines = _line_hits(f)
        out += [f"DA:{line},{hit}" for line, hit in lines.items()]
        out += [f"LF:{len(lines)}", f"LH:{sum(lines.values())}", "end_of_record"]
    return "\n".join(out) + "\n"


def _rate(hit: int, total: int) -> str:
    return f"{hit / total:.4f}" if total else "1"


def _counts(fs: list[dict]) -> dict[str, str]:
    lt = sum(f["lines"]["total"] for f in fs)
    lh = sum(f["lines"]["hit"] for f in fs)
    bt = sum(f["branches"]["total"] for f in fs)
    bh = sum(f["branches"]["hit"] for f in fs)
    return {
        "lines-valid": str(lt),
        "lines-covered": str(lh),
        "line-rate": _rate(lh, lt),
        "branches-valid": str(bt),
        "branches-covered": str(bh),
        "branch-rate": _rate(bh, bt),
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ape-solcoverage")
    except PackageNotFoundError:
        return "0"


def cobertura(data: dict, root: Path | None = None) -> str:
    """Cobertura XML (coverage-04.dtd, as coverage.py writes it): a package per folder,
    a class per source file; each counted line with hits 1/0, a line with branch
    outcomes ``branch="true"`` and ``condition-coverage="50% (1/2)"``; line-rate and
    branch-rate per class, package and in total."""
    reported = _reported(data["files"])
    top = {
        **_counts([f for _, f in reported]),
        "version": _version(),
        "timestamp": str(int(time.time() * 1000)),
        "complexity": "0",
    }
    coverage = ET.Element("coverage", {k: top[k] for k in sorted(top)})
    ET.SubElement(ET.SubElement(coverage, "sources"), "source").text = str(root or ".")
    packages = ET.SubElement(coverage, "packages")
    by_folder: dict[str, list[tuple[str, dict]]] = {}
    for path, f in reported:
        by_folder.setdefault(str(PurePosixPath(path).parent), []).append((path, f))
    for folder, members in sorted(by_folder.items()):
        counts = _counts([f for _, f in members])
        package = ET.SubElement(
            packages,
            "package",
            name=folder.replace("/", "."),
            **{"line-rate": counts["line-rate"], "branch-rate": counts["branch-rate"]},
            complexity="0",
        )
        classes = ET.SubElement(package, "classes")
        for path, f in members:
            counts = _counts([f])
            cls = ET.SubElement(
                classes,
                "class",
                name=PurePosixPath(path).name,
                filename=path,
                **{"line-rate": counts["line-rate"], "branch-rate": counts["branch-rate"]},
                complexity="0",
            )
            ET.SubElement(cls, "methods")
            lines = ET.SubElement(cls, "lines")
            outcomes: dict[int, list[bool]] = {}
            for b in f.get("_branches", []):
                outcomes.setdefault(b["line"], []).extend(b["hit"])
            hits = _line_hits(f)
            for line in sorted({*hits, *outcomes}):
                hit = hits.get(line, int(any(outcomes.get(line, ()))))
                attrs = {"number": str(line), "hits": str(hit), "branch": "false"}
                if line in outcomes:
                    got, of = sum(outcomes[line]), len(outcomes[line])
                    attrs["branch"] = "true"
                    attrs["condition-coverage"] = f"{round(100 * got / of)}% ({got}/{of})"
                ET.SubElement(lines, "line", attrs)
    ET.indent(coverage)
    return (
        '<?xml version="1.0" ?>\n'
        '<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">\n'
        + ET.tostring(coverage, encoding="unicode")
        + "\n"
    )
