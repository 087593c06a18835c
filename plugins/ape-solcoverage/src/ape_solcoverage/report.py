"""Outputs of ape-solcoverage: coverage.json, coverage.md, coverage.html and the table
printed at the end of the run; lcov.info and coverage.xml come from ``formats``."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

from ape_solcoverage import formats

OUTPUTS = ("coverage.json", "coverage.md", "coverage.html", formats.LCOV, formats.COBERTURA)


def _fmt(pct: float | None) -> str:
    return "n/a" if pct is None else f"{pct:.1f}%"


def met(summary: dict, targets: dict) -> bool:
    """Does a file (or the total) meet ``targets`` ({"lines_pct", "branches_pct"})?"""
    lines, branches = summary["lines"], summary["branches"]
    ok_lines = lines["pct"] is None or lines["pct"] >= targets["lines_pct"]
    ok_branches = branches["pct"] is None or branches["pct"] >= targets["branches_pct"]
    return ok_lines and ok_branches


def _targets_text(targets: dict) -> str:
    return f"lines >= {targets['lines_pct']:g}%, branches >= {targets['branches_pct']:g}%"


def ranges(numbers: list[int]) -> str:
    """[3, 4, 5, 9] -> '3-5, 9'."""
    out = []
    start = prev = None
    for n in numbers:
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append(f"{start}-{prev}" if prev != start else f"{start}")
            start = prev = n
    if start is not None:
        out.append(f"{start}-{prev}" if prev != start else f"{start}")
    return ", ".join(out)


def total(files: dict) -> dict:
    lt = sum(f["lines"]["total"] for f in files.values())
    lh = sum(f["lines"]["hit"] for f in files.values())
    bt = sum(f["branches"]["total"] for f in files.values())
    bh = sum(f["branches"]["hit"] for f in files.values())
    return {
        "lines": {"total": lt, "hit": lh, "pct": round(100 * lh / lt, 2) if lt else None},
        "branches": {"total": bt, "hit": bh, "pct": round(100 * bh / bt, 2) if bt else None},
    }


def rows(files: dict, targets: dict) -> list[tuple]:
    """(file, contracts, lines, branches, met) for every file with executable code."""
    out = []
    for path, f in files.items():
        if not f["lines"]["total"] and not f["branches"]["total"]:
            continue
        out.append(
            (
                path,
                ", ".join(f["contracts"]) or "-",
                f"{_fmt(f['lines']['pct'])} ({f['lines']['hit']}/{f['lines']['total']})",
                f"{_fmt(f['branches']['pct'])} ({f['branches']['hit']}/{f['branches']['total']})",
                "yes" if met(f, targets) else "no",
            )
        )
    return out


def markdown(data: dict, sources: dict[str, bytes] | None = None) -> str:
    files, targets = data["files"], data["targets"]
    t = data["total"]
    out = [
        "# Solidity coverage",
        "",
        f"Targets: {_targets_text(targets)} per file "
        "(branch = one outcome of an if / ternary / && / || / require). Method: "
        "the ape-solcoverage README.",
        "",
        "| contract file | contracts | lines | branches | target met |",
        "|---|---|---|---|---|",
    ]
    for path, contracts, lines, branches, ok in rows(files, targets):
        out.append(f"| `{path}` | {contracts} | {lines} | {branches} | {ok} |")
    out.append(
        f"| **total** | | {_fmt(t['lines']['pct'])} ({t['lines']['hit']}/{t['lines']['total']}) "
        f"| {_fmt(t['branches']['pct'])} ({t['branches']['hit']}/{t['branches']['total']}) "
        f"| {'yes' if met(t, targets) else 'no'} |"
    )
    out += ["", "## Not covered", ""]
    for path, f in files.items():
        missed_lines = f["lines"]["missed"]
        missed_branches = f["branches"]["missed"]
        if not missed_lines and not missed_branches:
            continue
        out.append(f"### `{path}`")
        out.append("")
        if missed_lines:
            out.append(f"- lines: {ranges(missed_lines)}")
            text = (sources or {}).get(path)
            if text is not None:
                lines = text.decode("utf-8", "replace").split("\n")
                for n in missed_lines:
                    code = " ".join(lines[n - 1].split()) if n <= len(lines) else ""
                    out.append(f"  - line {n}: `{code[:100]}`")
        for b in missed_branches:
            out.append(
                f"- branch line {b['line']}:{b['column']} `{b['kind']}` "
                f"**{b['outcome']}** never taken: `{b['code']}`"
            )
        out.append("")
    stats = data.get("run", {})
    out += [
        "## Run",
        "",
        f"- transactions traced: {stats.get('transactions', 0)}, calls traced: "
        f"{stats.get('calls', 0)}, EVM steps: {stats.get('steps', 0)}, "
        f"trace time: {stats.get('trace_ms', 0) / 1000:.1f} s (summed over workers)",
        f"- traces not recorded (failed or unpaired): {data.get('trace_problems', 0)}",
        f"- executed code not matched to a compiled contract: {len(data.get('unmatched', []))}",
        "",
    ]
    return "\n".join(out)


def terminal_table(data: dict, width: int = 120) -> str:
    from rich.console import Console
    from rich.table import Table

    targets = data["targets"]
    table = Table(title=f"Solidity coverage (targets: {_targets_text(targets)})")
    for name in ("contract file", "contracts", "lines", "branches", "target met"):
        table.add_column(name)
    for row in rows(data["files"], targets):
        table.add_row(*row)
    t = data["total"]
    table.add_row(
        "total",
        "",
        f"{_fmt(t['lines']['pct'])} ({t['lines']['hit']}/{t['lines']['total']})",
        f"{_fmt(t['branches']['pct'])} ({t['branches']['hit']}/{t['branches']['total']})",
        "yes" if met(t, targets) else "no",
        style="bold",
    )
    buffer = io.StringIO()
    Console(file=buffer, width=width, force_terminal=False, color_system=None).print(table)
    return buffer.getvalue()


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table.summary { border-collapse: collapse; margin-bottom: 2em; }
table.summary td, table.summary th { border: 1px solid #ccc; padding: 4px 10px; text-align: left; }
.no { color: #b00; font-weight: bold; } .yes { color: #070; font-weight: bold; }
table.src { border-collapse: collapse; font-family: ui-monospace, monospace; font-size: 12px; }
table.src td { padding: 0 6px; white-space: pre; vertical-align: top; }
td.ln { color: #888; text-align: right; user-select: none; }
td.br { color: #555; }
tr.hit td.code { background: #dff5dd; } tr.miss td.code { background: #f9d4d4; }
tr.part td.br { background: #ffe08a; font-weight: bold; }
tr.full td.br { color: #070; }
h2 { margin-top: 2em; font-size: 1.1em; }
"""


def html_page(data: dict, sources: dict[str, bytes], branches_by_line: dict) -> str:
    files, targets = data["files"], data["targets"]
    t = data["total"]
    ok = "yes" if met(t, targets) else "no"
    out = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Solidity coverage</title>",
        f"<style>{_CSS}</style></head><body><h1>Solidity coverage</h1>",
        f"<p>Targets: {html.escape(_targets_text(targets))} per file. "
        "Green: a line whose code ran; red: a line whose code never ran; "
        "the column after the line number shows branch outcomes hit/total on that line "
        "(yellow: some outcome never taken; hover for which).</p>",
        "<table class='summary'><tr><th>contract file</th><th>contracts</th><th>lines</th>"
        "<th>branches</th><th>target met</th></tr>",
    ]
    for path, contracts, lines, branches, file_ok in rows(files, targets):
        out.append(
            f"<tr><td><a href='#{html.escape(path)}'>{html.escape(path)}</a></td>"
            f"<td>{html.escape(contracts)}</td><td>{lines}</td><td>{branches}</td>"
            f"<td class='{file_ok}'>{file_ok}</td></tr>"
        )
    out.append(
        f"<tr><th>total</th><th></th><th>{_fmt(t['lines']['pct'])}</th>"
        f"<th>{_fmt(t['branches']['pct'])}</th><th class='{ok}'>{ok}</th></tr></table>"
    )
    for path, f in files.items():
        if not f["lines"]["total"] and not f["branches"]["total"]:
            continue
        missed = set(f["lines"]["missed"])
        hit = set(f.get("_hit_lines", []))
        out.append(
            f"<h2 id='{html.escape(path)}'>{html.escape(path)} &mdash; lines "
            f"{_fmt(f['lines']['pct'])}, branches {_fmt(f['branches']['pct'])}</h2>"
            "<table class='src'>"
        )
        text = sources[path].decode("utf-8", "replace").split("\n")
        per_line = branches_by_line.get(path, {})
        for n, line in enumerate(text, start=1):
            cls = "hit" if n in hit else "miss" if n in missed else ""
            marker, title = "", ""
            if n in per_line:
                got = sum(h for h, _ in per_line[n])
                of = len(per_line[n])
                marker = f"{got}/{of}"
                cls += " part" if got < of else " full"
                title = "; ".join(label for h, label in per_line[n] if not h)
                title = f" title='never: {html.escape(title)}'" if title else ""
            out.append(
                f"<tr class='{cls.strip()}'><td class='ln'>{n}</td><td class='br'{title}>"
                f"{marker}</td><td class='code'>{html.escape(line)}</td></tr>"
            )
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


def public(data: dict) -> dict:
    """The report without the per-file fields kept for the other outputs (``_*``)."""
    out = json.loads(json.dumps(data))
    for path, f in out["files"].items():
        out["files"][path] = {k: v for k, v in f.items() if not k.startswith("_")}
    return out


def write(
    directory: Path,
    data: dict,
    sources: dict[str, bytes],
    branches_by_line: dict,
    root: Path | None = None,
) -> None:
    """Every output into ``directory``; ``root``: the project folder Cobertura names
    as the sources' base."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "coverage.json").write_text(json.dumps(public(data), indent=1) + "\n")
    (directory / "coverage.md").write_text(markdown(data, sources))
    (directory / "coverage.html").write_text(html_page(data, sources, branches_by_line))
    (directory / formats.LCOV).write_text(formats.lcov(data))
    (directory / formats.COBERTURA).write_text(formats.cobertura(data, root))
