"""ERC conformance of the tokens and the vault, by slither-check-erc, gated by an allowlist.

    .venv-audit/bin/python tools/audit/check_erc.py [--force] [--cli]

Checks each (contract, standard) pair in CHECKS and writes reports/check-erc.md. Exit
status: 0 when every issue found is in the `erc_allowlist:` section of
audit/slither-triage.yaml; 1 on any other issue, or on an allowlist entry that matches no
issue any more (stale); 2 when the tools or the inputs are missing or broken.

slither-check-erc checks the interface a standard prescribes: every function present with
its parameter and return types, view where it must be, the prescribed events declared,
indexed and emitted by the functions that must emit them, and for ERC-20 the approve
race. It does not check behaviour; the unit tests do.

By default the checks run in this process: one slither analysis of the project, then
slither-check-erc's own check functions (slither.tools.erc_conformance) for every pair,
which is what `slither-check-erc PROJECT CONTRACT --erc STANDARD` runs, without compiling
and analysing the project once per pair (one run instead of seven, ~25 s instead of ~3
min). `--cli` runs the slither-check-erc command once per pair instead, to cross-check.
Results are cached in .cache/audit/ under a hash of everything the analysis reads.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from audit_common import (
    INSTALL_HINT,
    ROOT,
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
    store,
    write_compiler_input,
)

PROG = "check_erc"
REPORT_MD = ROOT / "reports" / "check-erc.md"

# (contract, standard). The brief's set, plus ERC-2612 on SettlementCash (it has permit
# too) and ERC-20 on TBillVault (its shares; slither's ERC-4626 list checks the ERC-20
# functions but not the Transfer/Approval events nor the approve race).
CHECKS = [
    ("SovereignStablecoin", "ERC20"),
    ("SovereignStablecoin", "ERC2612"),
    ("SettlementCash", "ERC20"),
    ("SettlementCash", "ERC2612"),
    ("TBillSeries", "ERC20"),
    ("TBillVault", "ERC4626"),
    ("TBillVault", "ERC20"),
]


def _issues(ret: dict) -> list[dict]:
    """slither-check-erc's JSON (issue kind -> outputs) as a flat list."""
    issues = []
    for kind, outputs in sorted(ret.items()):
        for output in outputs:
            text = " ".join(output.get("description", "").replace("[ ]", "").split())
            issues.append({"kind": kind, "description": text})
    return issues


def _passed(log: str) -> int:
    return sum(1 for line in log.splitlines() if "[✓]" in line)


def run_in_process() -> dict:
    try:
        from slither import Slither
        from slither.tools.erc_conformance.__main__ import ADDITIONAL_CHECKS
        from slither.tools.erc_conformance.erc.ercs import generic_erc_checks
        from slither.utils.erc import ERCS
    except ImportError:
        python = Path(sys.executable)
        hint = (
            "run it with .venv-audit/bin/python"
            if (ROOT / ".venv-audit" / "bin" / "python").is_file()
            else INSTALL_HINT
        )
        raise AuditError(f"slither is not importable by {python}: {hint}") from None

    # The checks report through this logger (✓ and [ ] lines): keep them for the report.
    log = logging.getLogger("Slither-conformance")
    log.handlers.clear()
    log.propagate = False
    log.setLevel(logging.INFO)
    stream = io.StringIO()
    log.addHandler(logging.StreamHandler(stream))
    logging.getLogger("CryticCompile").setLevel(logging.ERROR)

    target = write_compiler_input("check-erc-input.json")
    try:
        slither = Slither(
            rel(target),
            compile_force_framework="solc-json",
            solc=rel(solc_wrapper()),
            solc_disable_warnings=True,
        )
    except Exception as exc:  # crytic-compile's InvalidCompilation and friends
        message = str(exc).strip().splitlines()
        print("\n".join(message[-12:]), file=sys.stderr)
        raise AuditError(f"slither could not analyse the project ({type(exc).__name__})") from None
    results = {}
    for contract_name, standard in CHECKS:
        contracts = slither.get_contract_from_name(contract_name)
        if len(contracts) != 1:
            raise AuditError(f"contract {contract_name} not found (or not unique) in contracts/")
        stream.seek(0)
        stream.truncate()
        ret: dict[str, list] = defaultdict(list)
        functions, events = ERCS[standard]
        generic_erc_checks(contracts[0], functions, events, ret)
        if standard in ADDITIONAL_CHECKS:
            ADDITIONAL_CHECKS[standard](contracts[0], ret)
        results[f"{contract_name}:{standard}"] = {
            "issues": _issues(ret),
            "passed": _passed(stream.getvalue()),
        }
    return results


def run_cli() -> dict:
    tool = audit_tool("slither-check-erc")
    target = write_compiler_input("check-erc-input.json")
    out = target.with_name("check-erc-output.json")
    results = {}
    for contract_name, standard in CHECKS:
        out.unlink(missing_ok=True)
        cmd = [
            str(tool),
            rel(target),
            contract_name,
            "--erc",
            standard,
            "--compile-force-framework",
            "solc-json",
            "--solc",
            rel(solc_wrapper()),
            "--solc-disable-warnings",
            "--json",
            rel(out),
        ]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        try:
            data = json.loads(out.read_text())
        except (OSError, ValueError):
            data = {}
        if not data.get("success"):
            tail = (data.get("error") or proc.stderr or proc.stdout).strip().splitlines()[-12:]
            print("\n".join(tail), file=sys.stderr)
            raise AuditError(f"slither-check-erc failed for {contract_name} {standard}")
        results[f"{contract_name}:{standard}"] = {
            "issues": _issues(data["results"]["erc-conformance"]),
            "passed": _passed(proc.stdout + proc.stderr),
        }
    return results


def _allowed(entry: Entry, contract: str, standard: str, issue: dict) -> bool:
    return (
        contract in entry.items("contract")
        and entry.fields["standard"].upper() == standard
        and entry.fields["issue"] == issue["kind"]
        and all(m in issue["description"] for m in entry.items("match"))
    )


def write_markdown(results, allow, stale, failures, meta) -> None:
    out = [
        "# ERC conformance (slither-check-erc)",
        "",
        f"Generated by `tools/audit/check_erc.py` with slither-check-erc's checks "
        f"(slither {meta['slither']}, {meta['mode']}), solc {meta['solc']} through the npm "
        "wrapper. Allowlist: the `erc_allowlist:` section of `audit/slither-triage.yaml`.",
        "",
        f"**Result: {'FAIL' if failures else 'PASS'}.** It fails on any conformance issue "
        "that is not allowlisted with a justification, and on an allowlist entry that matches "
        "no issue any more.",
        "",
        "slither-check-erc checks the interface each standard prescribes: every function "
        "present with its parameter and return types, `view` where required, the standard's "
        "events declared with their indexed parameters and emitted by the functions that must "
        "emit them, and for ERC-20 the approve race condition. It does not check behaviour "
        "(rounding, limits, reverts): the unit tests do.",
        "",
    ]
    if failures:
        out += ["Why it fails:", ""] + [f"- {md_cell(line, 400)}" for line in failures] + [""]
    out += [
        "| contract | standard | checks passed | result | issues |",
        "|---|---|---|---|---|",
    ]
    for contract, standard in CHECKS:
        r = results[f"{contract}:{standard}"]
        issues = r["issues"]
        bad = [i for i in issues if not i["allowed_by"]]
        if not issues:
            verdict = "pass"
        elif not bad:
            verdict = f"pass ({len(issues)} allowlisted)"
        else:
            verdict = f"**FAIL** ({len(bad)} not allowlisted)"
        listed = "; ".join(
            f"`{i['kind']}`" + (f" (A{i['allowed_by']})" if i["allowed_by"] else " (**new**)")
            for i in issues
        )
        out.append(f"| {contract} | {standard} | {r['passed']} | {verdict} | {listed or '–'} |")
    out += ["", "## Issues", ""]
    any_issue = False
    for contract, standard in CHECKS:
        for i in results[f"{contract}:{standard}"]["issues"]:
            any_issue = True
            status = (
                f"allowlisted (A{i['allowed_by']})" if i["allowed_by"] else "**not allowlisted**"
            )
            out.append(
                f"- {contract} {standard} `{i['kind']}`: {md_cell(i['description'], 300)}; {status}"
            )
    if not any_issue:
        out.append("None.")
    if stale:
        out += ["", "## Stale allowlist entries (fail the check)", ""]
        for e, contract in stale:
            out.append(
                f"- A{e.index} {contract} {e.fields['standard']} `{e.fields['issue']}`: no such "
                "issue any more; remove the contract from the entry."
            )
    out += ["", "## Allowlist justifications", ""]
    for e in allow:
        contracts = ", ".join(e.items("contract"))
        out += [
            f"**A{e.index}** {contracts}, {e.fields['standard']} `{e.fields['issue']}`: "
            f"{e.fields['reason']}",
            "",
        ]
    if not allow:
        out.append("None.")
    out += [
        "",
        "To accept a new issue: add an entry to `erc_allowlist:` (contract, standard, issue: "
        "the kind in backticks above, optional match: text of the issue, reason). Better: "
        "make the contract conform.",
        "",
        f"Analysis: {meta['run']}.",
        "",
    ]
    REPORT_MD.parent.mkdir(parents=True, exist_ok=True)
    REPORT_MD.write_text("\n".join(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="analyse even if cached")
    parser.add_argument(
        "--cli", action="store_true", help="run the slither-check-erc command once per check"
    )
    parser.add_argument("--triage", type=Path, default=TRIAGE_FILE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    start = time.monotonic()
    mode = "the slither-check-erc command, once per check" if args.cli else "in one process"
    try:
        allow = load_triage(args.triage)["erc_allowlist"]
        audit_tool("slither-check-erc")  # the tool must be installed in either mode
        key = input_key("check-erc", json.dumps(CHECKS), "cli" if args.cli else "lib")
        cache_name = "check-erc-cli.json" if args.cli else "check-erc.json"
        results = None if args.force else cached(cache_name, key)
        from_cache = results is not None
        if results is None:
            results = run_cli() if args.cli else run_in_process()
            store(cache_name, key, results)
        elapsed = time.monotonic() - start
        solc = solc_wrapper().name.removeprefix("solc-v")
    except AuditError as exc:
        fail_setup(PROG, str(exc))

    used: set[tuple[int, str]] = set()
    failures = []
    for contract, standard in CHECKS:
        for issue in results[f"{contract}:{standard}"]["issues"]:
            entry = next((e for e in allow if _allowed(e, contract, standard, issue)), None)
            issue["allowed_by"] = entry.index if entry else None
            if entry:
                used.add((entry.index, contract))
            else:
                failures.append(f"{contract} {standard}: {issue['kind']}: {issue['description']}")
    stale = [(e, c) for e in allow for c in e.items("contract") if (e.index, c) not in used]
    for e, contract in stale:
        failures.append(
            f"STALE allowlist A{e.index} ({contract} {e.fields['standard']} {e.fields['issue']}) "
            "matches no issue: remove it"
        )
    run = "from the cache (no input changed)" if from_cache else seconds(elapsed)
    meta = {"slither": package_version("slither-analyzer"), "mode": mode, "solc": solc, "run": run}
    write_markdown(results, allow, stale, failures, meta)

    n_issues = sum(len(r["issues"]) for r in results.values())
    print(
        f"{PROG}: {'FAIL' if failures else 'PASS'}: {len(CHECKS)} checks, {n_issues} issues "
        f"({n_issues - len([f for f in failures if not f.startswith('STALE')])} allowlisted), "
        f"{len(stale)} stale allowlist entries; analysis {run}; total "
        f"{seconds(time.monotonic() - start)}; see {rel(REPORT_MD)}",
        flush=True,
    )
    for line in failures:
        print(f"{PROG}: {line}", file=sys.stderr)
    if failures:
        print(
            f"{PROG}: make the contract conform, or allowlist the issue with a reason in "
            f"{rel(TRIAGE_FILE)} (erc_allowlist:)",
            file=sys.stderr,
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
