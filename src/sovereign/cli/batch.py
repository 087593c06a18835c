"""Batches of mint and burn instructions from a CSV file, and their journal's verification
(sovereign/batch.py, batchrun.py, batchsync.py)."""

from __future__ import annotations

from pathlib import Path

import click
from ape.cli.choices import AccountAliasPromptChoice

from sovereign.cli.base import confirm, treasury_command
from sovereign.inputs import InputError
from sovereign.operations import is_local, signer

commands = click.Group()
journal_group = click.Group("journal", help="The batch journal: check it against the chain.")


def register(cli: click.Group) -> None:
    for command in commands.commands.values():
        cli.add_command(command)
    cli.add_command(journal_group)


JOURNAL_OPTION = click.option(
    "--journal",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="the journal (JSON lines); default FILE.journal.jsonl",
)
BURNER_OPTION = click.option(
    "--burner",
    "burner_account",
    default=None,
    type=AccountAliasPromptChoice(),
    help="ape account for burn rows (default on a local chain: the burner's test account)",
)


@treasury_command(commands, "batch", role="minter")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@JOURNAL_OPTION
@BURNER_OPTION
@click.option(
    "--window",
    type=click.IntRange(1, 1_000),
    default=256,
    show_default=True,
    help="transactions in flight at once",
)
@click.option(
    "--max-fee-gwei",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="the most a transaction's max fee may reach (default: three times the first)",
)
@click.option(
    "--safe",
    "safe_name",
    metavar="SAFE",
    default=None,
    help="propose the rows as MultiSend transactions of this Safe (an ape Safe alias, a "
    "manifest label or an address; --account is the proposing owner), not send them",
)
@click.option(
    "--chunk-gas",
    type=click.IntRange(200_000, 16_000_000),
    default=None,
    help="with --safe: the most gas one chunk's execTransaction may use (default 15,000,000)",
)
@click.option(
    "--confirmations",
    type=click.IntRange(0, 1_000),
    default=None,
    help="blocks on top of the last receipt before the batch counts as done, its blocks "
    "checked again (default: 0 on a local chain, 3 elsewhere)",
)
def batch(
    s, file, journal, burner_account, window, max_fee_gwei, confirmations, safe_name, chunk_gas
):
    """Execute FILE (CSV: instruction_id,action,recipient,amount; action mint or burn),
    exactly once per id. Every row is validated, checked against the chain (an id used
    on-chain with other terms is refused) and the whole batch simulated before the first
    is sent; then a window of transactions is kept in flight, journaled before each is
    sent. Run the same command again after any stop to resume. Mint rows are signed by
    --account (the minter), burn rows by --burner.

    With --safe, the rows are proposed instead, as Safe transactions of MultiSend chunks
    that fit a block, each approved by the owner --account; the other owners approve and
    execute them with `ape treasury safe`, and running the same command again records the
    executed rows (rows still waiting in a proposal are not proposed again)."""
    from sovereign.batch import read_batch
    from sovereign.batchrun import Settings, run_batch

    op = s.op
    rows = read_batch(file, op)
    if safe_name is not None:
        return _through_safe(s, file, rows, journal, burner_account, safe_name, chunk_gas)
    if chunk_gas is not None:
        raise InputError("--chunk-gas applies only with --safe")
    minter = s.signer("minter")
    burner = signer(burner_account, "burner", s.manifest)
    result = op.header(minter)
    settings = Settings(
        journal=journal or file.with_suffix(".journal.jsonl"),
        window=window,
        max_fee_gwei=max_fee_gwei,
        dry_run=s.dry_run,
        yes=s.yes,
        # A local chain does not reorganise; a real one can, within a few blocks.
        confirmations=(0 if is_local() else 3) if confirmations is None else confirmations,
    )
    summary = run_batch(rows, op, minter, burner, settings, confirm)
    if summary["status"] == "sent":
        s.print(
            f"summary: {summary['rows']} rows, {summary['executed']} executed in "
            f"{summary['blocks']} blocks, {summary['skipped']} skipped (already executed; "
            f"{summary['recovered']} recorded from the chain), gas {summary['gas']:,}; "
            f"journal {settings.journal}"
        )
    return result | summary | {"journal": str(settings.journal)}


def _through_safe(s, file, rows, journal, burner_account, safe_name, chunk_gas):
    from sovereign.batchsafe import CHUNK_GAS, SafeSettings, run_safe_batch
    from sovereign.safeops import SafeSender

    if burner_account is not None:
        raise InputError("--burner has no use with --safe: every row runs as the Safe")
    safe = SafeSender.resolve(safe_name, s.account, s.manifest)
    result = s.op.header(safe)
    settings = SafeSettings(
        journal=journal or file.with_suffix(".journal.jsonl"),
        source=file.name,
        chunk_gas=chunk_gas or CHUNK_GAS,
        dry_run=s.dry_run,
        yes=s.yes,
    )
    summary = run_safe_batch(rows, s.op, safe, settings, confirm)
    return result | summary | {"journal": str(settings.journal)}


@treasury_command(journal_group, "verify", write=False)
@click.argument("journal", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--batch",
    "batch_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="the batch's CSV file: also list its rows executed on-chain but not journaled",
)
@BURNER_OPTION
def verify(s, journal, batch_file, burner_account):
    """Reconcile JOURNAL with the chain and list every difference; nothing is changed.
    Exit 0 when they agree, 8 when they differ (a batch run repairs the journal)."""
    from ape import chain

    from sovereign.batch import read_batch
    from sovereign.batchsync import examine
    from sovereign.inputs import InputError
    from sovereign.journal import Journal, JournalDiffers
    from sovereign.rpc import Rpc

    if not journal.is_file():
        raise InputError(f"{journal}: no such journal")
    op = s.op
    loaded = Journal(journal).load()
    rows = read_batch(batch_file, op) if batch_file else None
    burner = None
    if rows is not None:
        burner = signer(burner_account, "burner", s.manifest).address
    found = examine(loaded.entries, rows, op, Rpc(chain.provider), burner)
    differences = list(found.differences)
    differences += [f"{i}: the id was executed on-chain with other terms" for i in found.conflicts]
    if loaded.torn:
        differences.append(f"{loaded.torn} torn line(s) in the file")
    if loaded.merged:
        differences.append(f"{loaded.merged} repeated line(s) for the same ids")
    for line in differences:
        s.print(line, markup=False, highlight=False)  # ids are the CSV's text, not markup
    executed = sum(1 for e in found.entries.values() if e.get("result") == "executed")
    result = {
        "journal": str(journal),
        "entries": len(loaded.entries),
        "executed_on_chain": len(found.done),
        "differences": differences,
    }
    if differences:
        if s.as_json:
            s.finish(result)
        raise JournalDiffers(
            f"{len(differences)} difference(s) between {journal} and the chain; "
            "run the batch again to repair the journal (a row reusing an id with other "
            "terms must be corrected first)"
        )
    s.print(f"{journal}: {executed} executed instructions, every one as the chain has it")
    return result
