"""`make bench`: gas benchmarks on the embedded Anvil chain; tables plus JSON under reports/."""

from ape.logging import logger
from rich.console import Console

from sovereign.apefix import cache_test_account_derivation
from sovereign.bench import report, run_core_bench


def main():
    logger.set_level("WARNING")
    cache_test_account_derivation()
    console = Console()
    rows = run_core_bench()
    report(rows, "core", console)
    failed = [r.operation for r in rows if r.ok is False]
    if failed:
        raise SystemExit(f"gas targets missed: {', '.join(failed)}")
