"""The pytest side of ape-solcoverage, registered only with ``--sol-coverage``.

The controller (the only process, or xdist's controller) compiles the project in a
background thread as soon as the run starts; every process that runs tests installs
the tracing hook. At the end each test process writes its raw hits to
DIR/.solcov-raw/<run>/<worker>.json, and the controller merges them, counts and writes
the reports.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid

import pytest

from ape_solcoverage.settings import Settings

RUN_ENV = "SOLCOVERAGE_RUN"  # the run's id, inherited by the xdist workers
KEEP_RAW_ENV = "SOLCOVERAGE_KEEP_RAW"  # set: the raw per-worker hits are kept


class Plugin:
    def __init__(self, config: pytest.Config, settings: Settings):
        self.config = config
        self.settings = settings
        self.root = settings.root
        self.directory = settings.directory
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
    def raw_dir(self):
        return self.directory / ".solcov-raw" / os.environ.get(RUN_ENV, "run")

    def _clean_stale(self) -> None:
        base = self.directory / ".solcov-raw"
        if base.is_dir():
            for old in base.iterdir():
                if old.is_dir() and time.time() - old.stat().st_mtime > 86_400:
                    shutil.rmtree(old, ignore_errors=True)

    def _start_compile(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from ape_solcoverage.compiler import compile_project

        self._pool = ThreadPoolExecutor(1, thread_name_prefix="solcoverage-solc")
        self.compiled = self._pool.submit(compile_project, self.settings)

    def _start_tracing(self) -> None:
        from ape_solcoverage.tracer import Tracer, install
        from ape_solcoverage.traces import Recorder

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
            from ape_solcoverage.tracer import uninstall

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
            if self.settings.gate and self._gate_failures():
                session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _gate_failures(self) -> list[str]:
        """Why the coverage gate fails: a source file under a target, a trace that
        failed, or no report at all."""
        from ape_solcoverage.report import met

        if self.error or not self.data:
            return [f"no coverage report ({self.error or 'no data'})"]
        targets = self.data["targets"]
        failures = [
            f"{path} under target" for path, f in self.data["files"].items() if not met(f, targets)
        ]
        if self.data["trace_problems"]:
            failures.append(f"{self.data['trace_problems']} traces failed")
        return failures

    def _merge(self) -> dict:
        from ape_solcoverage import report
        from ape_solcoverage.analysis import Analysis
        from ape_solcoverage.compiler import contracts_folder

        output = self.compiled.result()
        self._pool.shutdown()
        targets = self.settings.is_target(contracts_folder(self.root))
        analysis = Analysis(output, self.root, targets)
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
            "targets": {
                "lines_pct": self.settings.line_target,
                "branches_pct": self.settings.branch_target,
            },
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
        report.write(self.directory, data, sources, analysis.branch_marks(), self.root)
        if not os.environ.get(KEEP_RAW_ENV):
            shutil.rmtree(self.raw_dir, ignore_errors=True)
            try:
                self.raw_dir.parent.rmdir()  # gone when no other run uses it
            except OSError:
                pass
        return data

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.worker is not None:
            return
        from ape_solcoverage import report

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
                    f"{path}: missed lines {report.ranges(f['lines']['missed']) or '-'}; "
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
        tr.write_line(f"reports: {self.directory}/{{{','.join(report.OUTPUTS)}}}")
        if self.settings.gate:
            failures = self._gate_failures()
            for failure in failures:
                tr.write_line(f"coverage gate: {failure}", red=True)
            if not failures:
                tr.write_line("coverage gate: every file meets its targets", green=True)
