"""ape-solcoverage: Solidity line and branch coverage from Anvil's execution traces and
solc's source maps, as a pytest plugin for ``ape test``.

Use: ``ape test --sol-coverage=reports [--sol-coverage-gate]`` (with pytest-xdist too:
``ape test -n 2 --sol-coverage=reports``). Installed, the plugin is loaded by pytest's
``pytest11`` entry point. Without ``--sol-coverage`` it registers its options and does
nothing else: no hook, no import of the tracing code. With it, DIR receives
coverage.json, coverage.md, coverage.html, lcov.info and coverage.xml (Cobertura), and
the table is printed at the end of the run.

The method (what is traced, how code is matched and mapped, what counts as a line and
as a branch outcome, what is left out) is in the package's README.md, section
"Method"; the options are in ``settings.py``.

Modules: ``plugin`` (the pytest side: start, merge, gate, summary); in the test
processes ``tracer`` (the request hook and the trace queue) and ``traces`` (one trace:
fetch, pair steps with calls, record); in the controller ``compiler`` (the coverage
compile), ``items`` (the coverage items of a source file, from its AST),
``shared_code`` (function entries, code shared by functions), ``decisions`` (deciding
JUMPIs), ``analysis`` (matching executed code, marking items) and ``summary`` (the
counts); ``sourcemap`` (pure bytecode and source-map helpers), ``report`` (json, md,
html, terminal) and ``formats`` (lcov, Cobertura XML).
"""

from __future__ import annotations

from ape_solcoverage.settings import INI


def pytest_addoption(parser) -> None:
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
        help="fail the run when a file misses a coverage target or a trace failed",
    )
    for name, (kind, default, help_text) in INI.items():
        parser.addini(name, help_text, type=kind, default=default)


def pytest_configure(config) -> None:
    if not config.getoption("sol_coverage", None):
        return
    from ape_solcoverage.plugin import Plugin
    from ape_solcoverage.settings import Settings

    config.pluginmanager.register(Plugin(config, Settings.from_pytest(config)), "solcoverage-run")
