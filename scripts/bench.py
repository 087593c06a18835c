"""`make bench`: gas benchmarks on the embedded Anvil chain; tables plus JSON under reports/."""

from ape.logging import logger
from rich.console import Console

from sovereign import apefix
from sovereign.bench import (
    VAULT_LADDER,
    report,
    report_curve,
    run_core_bench,
    run_vault_bench,
)
from sovereign.benchbatch import run_batch_bench
from sovereign.benchbond import run_bond_bench
from sovereign.benchcommodity import run_commodity_bench
from sovereign.benchdesk import run_desk_bench


def main():
    logger.set_level("WARNING")
    apefix.apply_all()
    console = Console()
    rows = run_core_bench()
    report(rows, "core", console)
    vault_rows, curve = run_vault_bench()
    report(
        vault_rows,
        "vault",
        console,
        extra={"total_assets_curve": curve, "ladder_held": VAULT_LADDER},
    )
    report_curve(curve, console)
    bond_rows = run_bond_bench(console)
    run_commodity_bench(console)
    run_desk_bench(console)
    run_batch_bench(console)
    failed = [r.operation for r in rows + vault_rows + bond_rows if r.ok is False]
    if failed:
        raise SystemExit(f"gas targets missed: {', '.join(failed)}")
