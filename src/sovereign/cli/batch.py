"""Batches of mint and burn instructions from a CSV file (see sovereign/batch.py)."""

from __future__ import annotations

from pathlib import Path

import click
from ape.cli.choices import AccountAliasPromptChoice

from sovereign.batch import check_batch, journaled_ids, read_batch, run_batch
from sovereign.cli.base import confirm, treasury_command
from sovereign.operations import OperationRefused, PartialBatch, signer

commands = click.Group()


def register(cli: click.Group) -> None:
    for command in commands.commands.values():
        cli.add_command(command)


@treasury_command(commands, "batch", role="minter")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--journal",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="receipt journal (JSON lines); default FILE.journal.jsonl",
)
@click.option(
    "--burner",
    "burner_account",
    default=None,
    type=AccountAliasPromptChoice(),
    help="ape account for burn rows (default on a local chain: the burner's test account)",
)
def batch(s, file, journal, burner_account):
    """Execute FILE (CSV: instruction_id,action,recipient,amount; action mint or burn),
    exactly once per id. Every row is validated and the whole batch simulated before the
    first is sent; run the same command again after a failure to resume. Mint rows are
    signed by --account (the minter), burn rows by --burner."""
    op = s.op
    rows = read_batch(file, op)
    minter = s.signer("minter")
    burner = signer(burner_account, "burner", s.manifest)
    result = op.header(minter)
    todo = check_batch(rows, op, minter, burner)
    s.print(
        f"validated {len(rows)} rows; {len(rows) - len(todo)} already executed "
        "on-chain; the whole batch simulates cleanly"
    )
    result |= {"rows": len(rows), "already_executed": len(rows) - len(todo)}
    if s.dry_run:
        s.print("dry run: nothing sent")
        return result | {"status": "dry-run", "executed": 0}
    if todo and not s.yes and not confirm(f"Send {len(todo)} instructions?"):
        raise OperationRefused("not confirmed; nothing sent")
    journal = journal or file.with_suffix(".journal.jsonl")
    try:
        summary = run_batch(rows, todo, op, minter, burner, journal)
    except Exception as err:  # noqa: BLE001 - any failure mid-way: say how far it got
        # Counted from the journal: the node may be the thing that failed.
        done = (len(rows) - len(todo)) + len(
            journaled_ids(journal) & {r.instruction_id for r in todo}
        )
        reason = (str(err).splitlines() or [type(err).__name__])[0][:160]
        raise PartialBatch(
            f"{done} of {len(rows)} instructions executed, then: {reason}; "
            "run the same command again to resume"
        ) from None
    s.print(
        f"summary: {summary['rows']} rows, {summary['executed']} executed, "
        f"{summary['skipped']} skipped (already executed; {summary['recovered']} journaled "
        f"from chain events), gas {summary['gas']:,}; journal {journal}"
    )
    return result | {"status": "sent", "journal": str(journal), **summary}
