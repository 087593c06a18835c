"""Slither over the project's contracts, gated by the committed triage file.

    .venv-audit/bin/python tools/audit/slither_gate.py [--force]

Writes reports/slither.json (slither's own JSON, every finding, OpenZeppelin's included)
and reports/slither.md (the project's findings, each new, triaged or regressed, plus the
fixed ones). Exit status: 0 when the gate passes; 1 when a High or Medium finding is
neither fixed nor triaged in audit/slither-triage.yaml, when a finding recorded as fixed
is back (any impact), or when a triage entry matches nothing any more (stale); 2 when the
tools or the inputs are missing or broken. Low, Informational and Optimization findings
are listed but never fail the gate.

A finding is identified by its detector and its place: Contract.function (or the event,
state variable or contract it names), never by line numbers, so that unrelated edits do
not un-triage it. Which findings are the project's: those whose first (primary) element
is in contracts/, outside contracts/test/. slither's own --filter-paths drops a finding
when any of its elements lies in a filtered path, and every `restricted` function reaches
OpenZeppelin's AccessManaged, so filtering node_modules/ there hides real findings in our
code (a Medium reentrancy-no-eth in TBillVault.buy among them); --filter-paths is given
for contracts/test/ only, and OpenZeppelin's own findings are left out here.

slither's result is cached in .cache/audit/ under a hash of everything it reads (the
sources, OpenZeppelin's version, the compiler, slither, this script): a re-run with no
contract change only re-applies the triage file. --force runs slither again.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from audit_common import (
    ROOT,
    TEST_CONTRACTS,
    TRIAGE_FILE,
    AuditError,
    Entry,
    audit_tool,
    cached,
    fail_setup,
    input_key,
    load_triage,
    md_cell,
    package_version,
    rel,
    seconds,
    solc_wrapper,
    sources,
    store,
    strip_source_refs,
    write_compiler_input,
)

PROG = "slither_gate"
REPORT_JSON = ROOT / "reports" / "slither.json"
REPORT_MD = ROOT / "reports" / "slither.md"
IMPACTS = ["High", "Medium", "Low", "Informational", "Optimization"]
GATED = {"High", "Medium"}
CACHE_NAME = "slither.json"
CALL_STACK = "Calls stack containing the loop:"


@dataclass
class Finding:
    detector: str
    impact: str
    confidence: str
    where: str  # Contract.name
    where_sig: str  # Contract.name(types) for functions, else == where
    location: str  # file#Lx-Ly of the most specific element
    summary: str  # one line of the description, without source references
    text: str  # the whole description, without source references
    count: int = 1  # identical rows (e.g. calls-loop, once per call path)
    status: str = "new"
    triage: list[Entry] = field(default_factory=list)

    @property
    def key(self) -> tuple:
        # The same statement reached through several call paths is one row.
        return (self.detector, self.where_sig, self.text.split(CALL_STACK)[0].strip())


def _summary(text: str) -> str:
    """The description's first line; when it ends with a colon, also its first detail item
    (the call, the statement) and, for short descriptions, its last line (the variable...)."""
    lines = [line.strip() for line in text.split(CALL_STACK)[0].splitlines() if line.strip()]
    if not lines:
        return ""
    if not lines[0].endswith(":") or len(lines) == 1:
        return lines[0]
    items = [line.lstrip("- ") for line in lines[1:] if line.startswith("- ")] or [lines[1]]
    parts = [lines[0], items[0]]
    last = lines[-1].lstrip("- ")
    if len(lines) <= 8 and last not in parts:
        parts.append(last)
    return " … ".join(parts)


def _function_of(elem: dict) -> dict:
    """The enclosing function of a node or local variable, else the element itself."""
    parent = elem.get("type_specific_fields", {}).get("parent")
    inside_function = parent is not None and parent["type"] in ("function", "modifier")
    if elem["type"] in ("node", "variable") and inside_function:
        return parent
    return elem


def _place(elem: dict) -> tuple[str, str]:
    elem = _function_of(elem)
    tsf = elem.get("type_specific_fields", {})
    parent = tsf.get("parent")
    if elem["type"] == "contract":
        return elem["name"], elem["name"]
    if parent and parent.get("type") == "contract":
        where = f"{parent['name']}.{elem['name']}"
        sig = tsf.get("signature")
        return where, f"{parent['name']}.{sig}" if sig else where
    name = Path(elem.get("source_mapping", {}).get("filename_relative", "?")).name
    return name, name


def _location(elements: list[dict]) -> str:
    elem = next((e for e in elements if e["type"] == "node"), elements[0])
    sm = elem.get("source_mapping", {})
    lines = sm.get("lines") or [0]
    span = f"L{lines[0]}" if lines[0] == lines[-1] else f"L{lines[0]}-L{lines[-1]}"
    return f"{sm.get('filename_relative', '?')}#{span}"


def ours(result: dict) -> bool:
    elements = result.get("elements") or []
    if not elements:
        return False
    path = elements[0].get("source_mapping", {}).get("filename_relative", "")
    return path.startswith("contracts/") and not path.startswith(TEST_CONTRACTS)


def findings_from(raw: dict) -> tuple[list[Finding], int]:
    """The project's findings, identical ones merged; and how many were OpenZeppelin's."""
    merged: dict[tuple, Finding] = {}
    theirs = 0
    for result in raw.get("results", {}).get("detectors", []):
        if not ours(result):
            theirs += 1
            continue
        where, sig = _place(result["elements"][0])
        text = strip_source_refs(result["description"]).strip()
        finding = Finding(
            detector=result["check"],
            impact=result["impact"],
            confidence=result["confidence"],
            where=where,
            where_sig=sig,
            location=_location(result["elements"]),
            summary=_summary(text) or result["check"],
            text=text,
        )
        if finding.key in merged:
            merged[finding.key].count += 1
        else:
            merged[finding.key] = finding
    order = {impact: i for i, impact in enumerate(IMPACTS)}
    found = sorted(merged.values(), key=lambda f: (order.get(f.impact, 9), f.detector, f.where))
    return found, theirs


def _matches(entry: Entry, finding: Finding) -> str | None:
    """The `where` item of `entry` that covers `finding`, or None."""
    if entry.fields["detector"] != finding.detector:
        return None
    if not all(m in finding.text for m in entry.items("match")):
        return None
    for item in entry.items("where"):
        if item in (finding.where, finding.where_sig):
            return item
    return None


def apply_triage(found: list[Finding], triage: dict[str, list[Entry]]):
    """Sets each finding's status; returns the stale (entry, where) pairs and the fixed
    entries that no finding matches (the ones that stay fixed)."""
    used: set[tuple[str, int, str]] = set()
    for finding in found:
        for entry in triage["fixed"]:
            item = _matches(entry, finding)
            if item is not None:
                finding.status = "regressed"
                finding.triage.append(entry)
                used.add((entry.section, entry.index, item))
        for entry in triage["triaged"]:
            item = _matches(entry, finding)
            if item is not None:
                if finding.status == "new":
                    finding.status = "triaged"
                finding.triage.append(entry)
                used.add((entry.section, entry.index, item))
    stale = [
        (entry, item)
        for entry in triage["triaged"]
        for item in entry.items("where")
        if (entry.section, entry.index, item) not in used
    ]
    still_fixed = [
        entry
        for entry in triage["fixed"]
        if not any((entry.section, entry.index, item) in used for item in entry.items("where"))
    ]
    return stale, still_fixed


def run_slither(force: bool) -> tuple[dict, bool, float]:
    """slither's JSON output (from the cache when nothing it reads changed)."""
    slither = audit_tool("slither")
    solc = solc_wrapper()
    key = input_key("slither-gate")
    if not force and (raw := cached(CACHE_NAME, key)) is not None:
        return raw, True, 0.0
    target = write_compiler_input("slither-input.json")
    out = target.with_name("slither-output.json")
    out.unlink(missing_ok=True)
    cmd = [
        str(slither),
        rel(target),
        "--compile-force-framework",
        "solc-json",
        "--solc",
        rel(solc),
        "--filter-paths",
        TEST_CONTRACTS,
        "--json",
        rel(out),
        "--disable-color",
    ]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    try:
        raw = json.loads(out.read_text())
    except (OSError, ValueError):
        raw = None
    if not raw or not raw.get("success"):
        error = (raw or {}).get("error") or proc.stderr.strip() or proc.stdout.strip()
        tail = [line for line in str(error).splitlines() if line.strip()][-12:]
        print("\n".join(tail), file=sys.stderr)
        raise AuditError(f"slither failed (exit {proc.returncode}); the command: {' '.join(cmd)}")
    store(CACHE_NAME, key, raw)
    return raw, False, elapsed


# ---------------------------------------------------------------- the report


def _entry_ref(entries: list[Entry]) -> str:
    return ", ".join(f"{'F' if e.section == 'fixed' else 'T'}{e.index}" for e in entries)


def write_markdown(found, theirs, stale, still_fixed, triage, failures, meta) -> None:
    counts = Counter((f.impact, f.status) for f in found)
    statuses = ["new", "regressed", "triaged"]
    out = [
        "# Slither: static analysis of the contracts",
        "",
        f"Generated by `tools/audit/slither_gate.py` with slither {meta['slither']} "
        f"(crytic-compile {meta['crytic']}), solc {meta['solc']} through the npm wrapper, "
        f"over {meta['sources']} sources in `contracts/` (the mocks in `contracts/test/` are not "
        f"analysed). {theirs} findings located in OpenZeppelin (`node_modules/`) are left out "
        "here; `reports/slither.json` holds slither's full output. Triage: "
        "`audit/slither-triage.yaml`.",
        "",
        f"**Gate: {'FAIL' if failures else 'PASS'}.** It fails on a High or Medium finding "
        "that is neither fixed nor triaged (status *new*), on a fixed finding that is back "
        "(*regressed*, any impact), and on a stale triage entry (one that matches no finding "
        "any more: a stale justification would otherwise cover whatever new finding next "
        "lands in the same function). **Low, Informational and Optimization findings are "
        "listed for review but never fail the gate.**",
        "",
    ]
    if failures:
        out += ["Why it fails:", ""] + [f"- {md_cell(line, 400)}" for line in failures] + [""]
    out += [
        "## Summary",
        "",
        "| impact | " + " | ".join(statuses) + " |",
        "|---|" + "---|" * len(statuses),
    ]
    for impact in IMPACTS:
        row = [
            str(sum(f.count for f in found if (f.impact, f.status) == (impact, s)))
            for s in statuses
        ]
        if any(counts[(impact, s)] for s in statuses) or impact in GATED:
            out.append(f"| {impact} | " + " | ".join(row) + " |")
    out += [
        "",
        "Counts are findings as slither reports them; the table below merges identical ones "
        "(×N: the same statement reached through N call paths). Fixed in the contracts (and "
        f"recorded in the triage file): {len(still_fixed)}.",
        "",
        "## Findings",
        "",
        "| # | status | impact | confidence | detector | where | location | finding |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, f in enumerate(found, 1):
        status = f.status if not f.triage else f"{f.status} ({_entry_ref(f.triage)})"
        summary = f.summary + (f" (×{f.count})" if f.count > 1 else "")
        out.append(
            f"| {n} | {status} | {f.impact} | {f.confidence} | `{f.detector}` | "
            f"`{md_cell(f.where, 60)}` | `{f.location}` | {md_cell(summary)} |"
        )
    if still_fixed:
        out += ["", "## Fixed in the contracts", ""]
        out += ["| ref | detector | where | the fix |", "|---|---|---|---|"]
        for e in still_fixed:
            out.append(
                f"| F{e.index} | `{e.fields['detector']}` | "
                f"{', '.join(f'`{w}`' for w in e.items('where'))} | "
                f"{md_cell(e.fields['fix'], 600)} |"
            )
    if stale:
        out += ["", "## Stale triage entries (fail the gate)", ""]
        for e, item in stale:
            out.append(
                f"- T{e.index} `{e.fields['detector']}` at `{item}`: matches no finding; "
                "if the code was fixed, move it to `fixed:`, else correct `where`/`match`."
            )
    out += ["", "## Triage justifications", ""]
    for e in triage["triaged"]:
        match = "".join(f", matching “{md_cell(m, 80)}”" for m in e.items("match"))
        places = ", ".join(f"`{w}`" for w in e.items("where"))
        detector = e.fields["detector"]
        out += [f"**T{e.index}** `{detector}` at {places}{match}: {e.fields['reason']}", ""]
    out += [
        "## Reading and triaging",
        "",
        "- *new*: not covered by the triage file. High/Medium: fix the contract, or add a "
        "`triaged:` entry with the reason it is safe. Low and below: review; fix when cheap "
        "and real, else triage it so that the next reader does not repeat the review.",
        "- *triaged (Tn)*: covered by entry Tn above; the reason is the project's claim, to "
        "be checked by the auditor.",
        "- *regressed (Fn)*: a finding recorded as fixed is back.",
        "- Details of every finding (the full description, call paths): "
        "`reports/slither.json`, or `.venv-audit/bin/slither` by hand (see the script's doc).",
        "",
        f"slither run: {meta['run']}.",
        "",
    ]
    REPORT_MD.parent.mkdir(parents=True, exist_ok=True)
    REPORT_MD.write_text("\n".join(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="run slither even if cached")
    parser.add_argument("--triage", type=Path, default=TRIAGE_FILE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        triage = load_triage(args.triage)
        raw, from_cache, elapsed = run_slither(args.force)
        n_sources = len(sources())
    except AuditError as exc:
        fail_setup(PROG, str(exc))
    REPORT_JSON.parent.mkdir(parents=True, exist_ok=True)
    REPORT_JSON.write_text(json.dumps(raw, indent=1))
    found, theirs = findings_from(raw)
    stale, still_fixed = apply_triage(found, triage)

    failures = []
    for f in found:
        if f.status == "regressed":
            failures.append(
                f"REGRESSED {f.impact} {f.detector} {f.where} ({f.location}): {f.summary} "
                f"(recorded as fixed: {_entry_ref(f.triage)})"
            )
        elif f.status == "new" and f.impact in GATED:
            failures.append(f"NEW {f.impact} {f.detector} {f.where} ({f.location}): {f.summary}")
    for entry, item in stale:
        failures.append(
            f"STALE triage T{entry.index} ({entry.fields['detector']} at {item}) matches no "
            "finding: move it to fixed: if the code was fixed, else correct it"
        )
    run = (
        "from the cache (no input changed)"
        if from_cache
        else f"{seconds(elapsed)} (compile and analysis)"
    )
    meta = {
        "slither": package_version("slither-analyzer"),
        "crytic": package_version("crytic-compile"),
        "solc": solc_wrapper().name.removeprefix("solc-v"),
        "sources": n_sources,
        "run": run,
    }
    write_markdown(found, theirs, stale, still_fixed, triage, failures, meta)

    by_status = Counter(f.status for f in found)
    gated_new = sum(1 for f in found if f.status == "new" and f.impact in GATED)
    print(
        f"{PROG}: {'FAIL' if failures else 'PASS'}: {len(found)} findings in contracts/ "
        f"({by_status['triaged']} triaged, {by_status['new']} new of which {gated_new} "
        f"High/Medium, {by_status['regressed']} regressed), {len(still_fixed)} fixed, "
        f"{len(stale)} stale triage; slither {run}; total {seconds(time.monotonic() - start)}; "
        f"see {rel(REPORT_MD)}",
        flush=True,
    )
    for line in failures:
        print(f"{PROG}: {line}", file=sys.stderr)
    if failures:
        print(
            f"{PROG}: fix the contract, or triage the finding in {rel(TRIAGE_FILE)} "
            "(detector, where: Contract.function, reason)",
            file=sys.stderr,
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
