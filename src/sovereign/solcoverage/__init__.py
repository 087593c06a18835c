"""Solidity line and branch coverage from Anvil's execution traces and solc's source maps.

Use: ``ape test -n 2 --dist loadgroup -p sovereign.solcoverage --sol-coverage=reports``.
Without ``--sol-coverage`` the plugin registers its option and does nothing else (no
hook, no import of the tracing code). With it, DIR receives coverage.json,
coverage.md and coverage.html, and the table is printed at the end of the run.

Method (what an auditor should know before trusting the numbers)
================================================================

1. What is traced. In every process that runs tests (each xdist worker, or the only
   process), web3's ``HTTPProvider._make_request`` is wrapped, so every request ape
   sends is seen. Each transaction (``eth_sendRawTransaction``/``eth_sendTransaction``:
   contract calls, deployments, plain ``account.transfer``; reverting ones are mined
   too, since ethereum.local gas_limit is "max") is traced with
   ``debug_traceTransaction`` once mined; each ``eth_call`` (view calls, ape's revert
   replays) is traced with ``debug_traceCall``, same parameters, same block tag. The
   traces are taken by a background thread while the test goes on, but before any
   request that changes the chain (the next transaction, ``evm_revert`` of ape's
   isolation, ``evm_mine``, time travel, ``anvil_*``) goes out, the hook waits until
   every queued trace is done: a call is traced on the state it ran on, a transaction
   before its block is reverted away. ``eth_estimateGas`` is not traced (its execution
   is discarded), nor is anything executed by other processes (the ``ape run``
   subprocesses of tests/e2e, with their own node).
2. Each trace pairs Anvil's ``structLogs`` (stack, memory, storage off: only pc, op and
   depth per step) with ``callTracer``'s call tree, to know which code runs at each
   step: a frame created by CREATE/CREATE2 (or a deployment) runs its init code, a call
   frame runs the code at the callee (``to``; for DELEGATECALL that is the library or
   implementation whose code runs). Details in ``tracer.py``; a trace whose steps and
   call tree do not line up is counted as "unpaired" and not used at all.
   Kept per code: the set of executed program counters, and for each executed JUMPI
   the pc of the next step (taken or fallen through).
3. Mapping. The project is compiled once more with the project's solc wrapper
   (standard JSON, the settings of ape-config.yaml, OpenZeppelin from node_modules)
   for source maps and ASTs; the output is cached under .cache/solcoverage. Executed
   code is matched to a compiled object (runtime code, or init code followed by
   constructor arguments) byte for byte, except inside solc's CBOR metadata blocks and
   immutable slots. A pc becomes an instruction index by walking opcodes (PUSHn carries
   n bytes), the index selects the source-map entry (``s:l:f:j``, empty fields repeat
   the previous entry), which gives the file and byte range.
4. Items. Targets are the sources under contracts/ except contracts/test/ (mocks);
   OpenZeppelin is executed and matched but not reported. From the AST:
   - line items: every statement inside a function, modifier or state-variable
     initializer (expression, variable declaration, return, emit, revert, if, loops,
     break/continue, ``_``, assembly, try), the function/modifier/initializer itself
     (its first line), and nothing else. An instruction is attributed to the innermost
     statement whose range contains its range, and to the enclosing function. A
     statement counts as *hit* when an instruction attributed to it executed. A
     function line counts as hit when one of its entry points executed (the target of
     the dispatcher's jump for its selector, or of an internal call's jump, source-map
     jump type "i") or one of its statements was hit; only a function with neither
     (a modifier, a function the optimizer inlined whole) falls back to "any of its
     instructions executed". A line is counted when one of its items has an
     instruction in the compiled code, and hit when one of those items was hit.
     Anything the optimizer left without instructions of its own (a ``return x;`` that
     became the caller's stack, a call merged with an identical one elsewhere, see 5)
     is listed under "not_in_bytecode" and not counted.
   - branch points, two outcomes each: ``if`` (true body / false: else body or skipping
     the body), ternary (true / false expression), ``&&`` and ``||`` (right operand
     evaluated / short-circuited), ``require`` (fails / passes). Loop conditions are not
     branch points (their bodies are line items; a ``&&`` in them is one).
     An outcome is hit when either (a) the *deciding JUMPI* of the branch point took
     the edge leading to that outcome, or (b) an instruction mapped inside the
     outcome's own region (true body, else body, right operand, ternary arm) executed.
     A deciding JUMPI is a JUMPI whose source range is exactly the branch node's range
     (the legacy code generator's ``ISZERO; PUSH tag; JUMPI`` of an ``if``, the
     short-circuit jump of ``&&``/``||``). Its two successors are told apart statically:
     from each, control is followed (through JUMPDESTs, the condition's own code,
     enclosing and generated code, and static jumps) until it enters the true region,
     the alternative region, or other code of a function (for an ``if`` without else:
     the code after it = false). A JUMPI is used only if exactly one successor leads to
     one outcome and the other does not (one exception, documented in ``analysis.py``:
     an ``if`` whose body has no instruction of its own, like ``if (c) return;``).
     A branch point is counted (2 outcomes in the total) only when both outcomes can
     be observed this way; the others are listed under "not_observable".
5. Shared code. The optimizer merges identical blocks of code of two places and maps
   the survivor to one of them (two functions ending in the same ``_burn(from,
   amount)`` call, two getters with the same ABI encoding), so running one would mark
   the other. A block whose tag is pushed (as a jump target or return address) by the
   code of two different functions, and that is neither function's entry, is taken to
   be such a merge: its instructions are attributed to nothing, neither as compiled
   code nor as executed. Merges inside one function are not detected; they can only
   mark a statement of the same function. Coverage is of the code deployed in tests,
   compiled from the same sources with the same settings; a trace that fails is
   counted and reported, never guessed.

Files: DIR/coverage.json (per file and per contract: lines and branches total/hit,
missed line numbers, missed branch outcomes with line:column and code),
DIR/coverage.md (the table and the gaps), DIR/coverage.html (one page, the table then
every file, lines green/red, branch outcomes hit/total per line). Raw per-worker hits
go to DIR/.solcov-raw/<run>/ and are merged by the controller at session end.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

import pytest

RUN_ENV = "SOVEREIGN_SOLCOV_RUN"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("solcoverage", "Solidity coverage from Anvil traces")
    group.addoption(
        "--sol-coverage",
        metavar="DIR",
        default=None,
        help="trace every transaction and call; write Solidity line/branch coverage to DIR",
    )
    group.addoption(
        "--sol-coverage-gate",
        action="store_true",
        default=False,
        help="fail the run when a contract misses a coverage target or a trace failed",
    )


def pytest_configure(config: pytest.Config) -> None:
    directory = config.getoption("sol_coverage", None)
    if not directory:
        return
    config.pluginmanager.register(_Plugin(config, Path(directory)), "solcoverage-run")


class _Plugin:
    def __init__(self, config: pytest.Config, directory: Path):
        self.config = config
        self.root = Path(config.rootpath)
        self.directory = directory if directory.is_absolute() else self.root / directory
        self.worker = getattr(config, "workerinput", {}).get("workerid")
        self.recorder = None
        self.compiled = None
        self.data = None
        self.error = None
        self.started = time.time()
        if self.worker is None:  # controller, or the only process
            os.environ[RUN_ENV] = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
            self._clean_stale()
            self._start_compile()
        else:
            self._start_tracing()

    @property
    def raw_dir(self) -> Path:
        return self.directory / ".solcov-raw" / os.environ.get(RUN_ENV, "run")

    def _clean_stale(self) -> None:
        base = self.directory / ".solcov-raw"
        if base.is_dir():
            for old in base.iterdir():
                if old.is_dir() and time.time() - old.stat().st_mtime > 86_400:
                    shutil.rmtree(old, ignore_errors=True)

    def _start_compile(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from sovereign.solcoverage.analysis import compile_project

        self._pool = ThreadPoolExecutor(1, thread_name_prefix="solcoverage-solc")
        self.compiled = self._pool.submit(
            compile_project, self.root, self.root / ".cache" / "solcoverage"
        )

    def _start_tracing(self) -> None:
        from sovereign.solcoverage.tracer import Recorder, Tracer, install

        self.recorder = Recorder()
        self.tracer = Tracer(self.recorder)
        install(self.tracer)

    def _distributed(self) -> bool:
        return self.config.pluginmanager.has_plugin("dsession")

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if self.worker is None and not self._distributed():
            self._start_tracing()  # not distributed: this process runs the tests

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus) -> None:
        if self.recorder is not None:
            from sovereign.solcoverage.tracer import uninstall

            self.tracer.drain()
            self.tracer.close()
            uninstall()
            self.raw_dir.mkdir(parents=True, exist_ok=True)
            name = self.worker or "main"
            tmp = self.raw_dir / f"{name}.json.tmp"
            tmp.write_text(json.dumps(self.recorder.to_json()))
            tmp.replace(self.raw_dir / f"{name}.json")
        if self.worker is None:
            try:
                self.data = self._merge()
            except Exception as err:  # report it; the test outcome stands
                self.error = f"{type(err).__name__}: {err}"
            if self.config.getoption("sol_coverage_gate") and self._gate_failures():
                session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _gate_failures(self) -> list[str]:
        """Why the coverage gate (make audit) fails: a contract file under a target,
        a trace that failed, or no report at all."""
        from sovereign.solcoverage.report import _met

        if self.error or not self.data:
            return [f"no coverage report ({self.error or 'no data'})"]
        failures = [f"{path} under target" for path, f in self.data["files"].items() if not _met(f)]
        if self.data["trace_problems"]:
            failures.append(f"{self.data['trace_problems']} traces failed")
        return failures

    def _merge(self) -> dict:
        from sovereign.solcoverage import report
        from sovereign.solcoverage.analysis import Analysis

        output = self.compiled.result()
        self._pool.shutdown()
        analysis = Analysis(output, self.root)
        stats: dict[str, int] = {}
        errors: dict[str, int] = {}
        workers = []
        raw_files = sorted(self.raw_dir.glob("*.json")) if self.raw_dir.is_dir() else []
        for raw_file in raw_files:
            raw = json.loads(raw_file.read_text())
            workers.append(raw_file.stem)
            for k, v in raw.get("stats", {}).items():
                stats[k] = stats.get(k, 0) + v
            for k, v in raw.get("errors", {}).items():
                errors[k] = errors.get(k, 0) + v
            for key, code in raw["codes"].items():
                analysis.add_hits(
                    key,
                    code["kind"],
                    code["code"],
                    raw["pcs"].get(key, ()),
                    [tuple(e) for e in raw["edges"].get(key, ())],
                )
        files = analysis.results()
        warnings = []
        expected = self.config.getoption("numprocesses", None) if self._distributed() else 1
        if isinstance(expected, int) and len(workers) < expected:
            warnings.append(f"raw hits from {len(workers)} of {expected} test processes")
        if analysis.unmatched:
            warnings.append(f"{len(analysis.unmatched)} executed codes match no compiled contract")
        problems = sum(
            v
            for k, v in stats.items()
            if k.endswith(("_failed", "_unpaired")) or k == "frames_without_code"
        )
        data = {
            "targets": {"lines_pct": report.LINE_TARGET, "branches_pct": report.BRANCH_TARGET},
            "total": report.total(files),
            "files": files,
            "contracts": {
                name: {"file": path, **summary}
                for path, f in files.items()
                for name, summary in f["contracts"].items()
            },
            "run": {**stats, "workers": workers, "wall_seconds": round(time.time() - self.started)},
            "trace_problems": problems,
            "warnings": warnings,
            "trace_errors": errors,
            "matched_code": sorted(set(analysis.matched.values())),
            "unmatched": analysis.unmatched,
        }
        sources = {fm.path: fm.text for fm in analysis.files.values()}
        report.write(self.directory, data, sources, analysis.branch_marks())
        if not os.environ.get("SOVEREIGN_SOLCOV_KEEP_RAW"):
            shutil.rmtree(self.raw_dir, ignore_errors=True)
            try:
                self.raw_dir.parent.rmdir()  # gone when no other run uses it
            except OSError:
                pass
        return data

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.worker is not None:
            return
        from sovereign.solcoverage import report

        tr = terminalreporter
        tr.section("Solidity coverage")
        if self.error:
            tr.write_line(f"solidity coverage failed: {self.error}", red=True)
            return
        if not self.data:
            return
        tr.write(report.terminal_table(self.data))
        for path, f in self.data["files"].items():
            if f["lines"]["missed"] or f["branches"]["missed"]:
                tr.write_line(
                    f"{path}: missed lines {report._ranges(f['lines']['missed']) or '-'}; "
                    f"missed branch outcomes {len(f['branches']['missed'])}"
                )
        run = self.data["run"]
        tr.write_line(
            f"traced {run.get('transactions', 0)} transactions and {run.get('calls', 0)} calls "
            f"({run.get('trace_ms', 0) / 1000:.1f} s tracing); "
            f"problems: {self.data['trace_problems']}; "
            f"unmatched code: {len(self.data['unmatched'])}"
        )
        for warning in self.data["warnings"]:
            tr.write_line(f"  warning: {warning}", yellow=True)
        for error, count in sorted(self.data["trace_errors"].items(), key=lambda x: -x[1])[:5]:
            tr.write_line(f"  trace problem x{count}: {error}", yellow=True)
        tr.write_line(f"reports: {self.directory}/coverage.{{json,md,html}}")
        if self.config.getoption("sol_coverage_gate"):
            failures = self._gate_failures()
            for failure in failures:
                tr.write_line(f"coverage gate: {failure}", red=True)
            if not failures:
                tr.write_line("coverage gate: every contract meets its targets", green=True)
