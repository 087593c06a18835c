"""`ape run treasury`: treasury operations against a deployed system.

    ape run treasury status  [--json]
    ape run treasury mint RECIPIENT AMOUNT --id MINT-0001
    ape run treasury redeem AMOUNT --id R-0001 --account exchange
    ape run treasury burn AMOUNT --id BURN-0001
    ape run treasury batch instructions.csv [--journal receipts.jsonl]
    ape run treasury participants add|remove ADDRESS --ref LIC-0042
    ape run treasury oracle report FEED PRICE
    ape run treasury pause|unpause mint,redeem,transfer
    ape run treasury roles show [--json]

Every command takes --network (default: the embedded local Anvil); writes take
--account (default on local chains: the Anvil test account holding the role),
--dry-run and --yes. The system is found from the network's manifest
(deployments/); see `ape run deploy`.
"""

from __future__ import annotations

import json
from functools import wraps
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand
from ape.logging import logger

from sovereign import apefix
from sovereign.inputs import InputError, parse_amount, resolve_address
from sovereign.manifest import ManifestError, load_manifest, load_system, manifest_path
from sovereign.operations import (
    OperationRefused,
    Operator,
    check_batch,
    instruction_id,
    read_batch,
    run_batch,
    signer,
)
from sovereign.rolematrix import read_role_matrix, render_role_matrix, role_matrix_json
from sovereign.status import make_console, read_status, render_status
from sovereign.units import format_amount

PAUSE_FLAGS = {"mint": 1, "redeem": 2, "transfer": 4}
# "-5" must reach the amount parser (which refuses it clearly), not click's option parser.
AMOUNTS = {"ignore_unknown_options": True}


def _operator(dry_run=False, yes=False) -> Operator:
    logger.set_level("WARNING")
    apefix.apply_all()
    manifest = load_manifest(manifest_path())
    return Operator(
        load_system(manifest),
        manifest,
        make_console(),
        dry_run=dry_run,
        yes=yes,
        confirm=lambda prompt: click.confirm(prompt, default=False),
    )


def one_line_errors(fn):
    """Operator mistakes and refused writes end the command with one clear line."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (InputError, OperationRefused, ManifestError) as err:
            raise click.ClickException(str(err)) from None

    return wrapper


def write_options(fn):
    fn = click.option("--yes", is_flag=True, help="do not ask for confirmation")(fn)
    fn = click.option("--dry-run", is_flag=True, help="preflight only; send nothing")(fn)
    fn = click.option("--account", "alias", default=None, help="ape account alias")(fn)
    return fn


@click.group()
def cli():
    """Treasury operations on the deployed sovereign stablecoin."""


@cli.command(cls=ConnectedProviderCommand)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@one_line_errors
def status(as_json):
    """Supply, collateral value and ratio, assets and feed ages, pauses, the T-bill ladder."""
    op = _operator()
    state = read_status(op.system)
    state["minter_allowances"] = {
        op.manifest["holders"]["minter"]: int(
            op.system.reserve.minterAllowance(op.manifest["holders"]["minter"])
        )
    }
    if as_json:
        click.echo(json.dumps(state, indent=2))
    else:
        render_status(state, op.console)


@cli.command(cls=ConnectedProviderCommand, context_settings=AMOUNTS)
@click.argument("recipient")
@click.argument("amount")
@click.option("--id", "ident", required=True, help="instruction id (unique, up to 32 ASCII)")
@write_options
@one_line_errors
def mint(recipient, amount, ident, alias, dry_run, yes):
    """Mint AMOUNT stablecoin to the licensed participant RECIPIENT."""
    op = _operator(dry_run, yes)
    to = resolve_address(recipient, op.labels)
    units = op.coin_amount(amount)
    sender = signer(alias, "minter", op.manifest)
    op.send(
        op.system.reserve,
        "mint",
        (to, units, instruction_id(ident)),
        sender,
        f"minting {op.describe_coin(units)} to {to} ({ident})",
    )


@cli.command(cls=ConnectedProviderCommand, context_settings=AMOUNTS)
@click.argument("amount")
@click.option("--id", "ident", required=True, help="instruction id (unique per participant)")
@write_options
@one_line_errors
def redeem(amount, ident, alias, dry_run, yes):
    """Redeem AMOUNT stablecoin for settlement cash (the signer is the participant)."""
    op = _operator(dry_run, yes)
    units = op.coin_amount(amount)
    if alias is None:
        raise OperationRefused("--account is required: the participant who redeems signs")
    sender = signer(alias, "", op.manifest)
    op.send(
        op.system.reserve,
        "redeem",
        (units, instruction_id(ident)),
        sender,
        f"redeeming {op.describe_coin(units)} ({ident})",
    )


@cli.command(cls=ConnectedProviderCommand, context_settings=AMOUNTS)
@click.argument("amount")
@click.option("--id", "ident", required=True, help="instruction id")
@write_options
@one_line_errors
def burn(amount, ident, alias, dry_run, yes):
    """Burn AMOUNT of the treasury's (the burner's) own stablecoin."""
    op = _operator(dry_run, yes)
    units = op.coin_amount(amount)
    sender = signer(alias, "burner", op.manifest)
    op.send(
        op.system.reserve,
        "burn",
        (units, instruction_id(ident)),
        sender,
        f"burning {op.describe_coin(units)} ({ident})",
    )


@cli.command(cls=ConnectedProviderCommand)
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--journal",
    type=click.Path(path_type=Path),
    default=None,
    help="receipt journal (JSON lines); default FILE.journal.jsonl",
)
@click.option("--minter", "minter_alias", default=None, help="account for mint rows")
@click.option("--burner", "burner_alias", default=None, help="account for burn rows")
@click.option("--dry-run", is_flag=True, help="validate and simulate only")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@one_line_errors
def batch(file, journal, minter_alias, burner_alias, dry_run, yes):
    """Execute FILE.csv (instruction_id,action,recipient,amount), resumably."""
    op = _operator(dry_run, yes)
    rows = read_batch(file, op)
    minter = signer(minter_alias, "minter", op.manifest)
    burner = signer(burner_alias, "burner", op.manifest)
    op.header(minter)
    todo = check_batch(rows, op, minter, burner)
    op.console.print(
        f"validated {len(rows)} rows; {len(rows) - len(todo)} already executed "
        f"on-chain; the whole batch simulates cleanly"
    )
    if dry_run:
        op.console.print("dry run: nothing sent")
        return
    if todo and not yes and not click.confirm(f"Send {len(todo)} instructions?", default=False):
        raise OperationRefused("not confirmed; nothing sent")
    journal = journal or file.with_suffix(".journal.jsonl")
    summary = run_batch(rows, todo, op, minter, burner, journal)
    op.console.print(
        f"summary: {summary['rows']} rows, {summary['executed']} executed, "
        f"{summary['skipped']} skipped (already executed; {summary['recovered']} journaled "
        f"from chain events), gas {summary['gas']:,}; "
        f"journal {journal}"
    )


@cli.group()
def participants():
    """License or de-list authorized participants (AML-registered exchanges)."""


@participants.command("add", cls=ConnectedProviderCommand)
@click.argument("address")
@click.option("--ref", "reference", required=True, help="licence reference")
@write_options
@one_line_errors
def participants_add(address, reference, alias, dry_run, yes):
    op = _operator(dry_run, yes)
    who = resolve_address(address, op.labels)
    op.send(
        op.system.reserve,
        "registerParticipant",
        (who, instruction_id(reference)),
        signer(alias, "registrar", op.manifest),
        f"licensing {who} ({reference})",
    )


@participants.command("remove", cls=ConnectedProviderCommand)
@click.argument("address")
@click.option("--ref", "reference", required=True, help="reason reference")
@write_options
@one_line_errors
def participants_remove(address, reference, alias, dry_run, yes):
    op = _operator(dry_run, yes)
    who = resolve_address(address, op.labels)
    op.send(
        op.system.reserve,
        "removeParticipant",
        (who, instruction_id(reference)),
        signer(alias, "registrar", op.manifest),
        f"de-listing {who} ({reference})",
    )


@cli.group()
def oracle():
    """The oracle stub's price feeds."""


@oracle.command("report", cls=ConnectedProviderCommand, context_settings=AMOUNTS)
@click.argument("feed")
@click.argument("price")
@write_options
@one_line_errors
def oracle_report(feed, price, alias, dry_run, yes):
    """Report PRICE (per whole asset) to FEED (a symbol from the manifest, e.g. SB30)."""
    op = _operator(dry_run, yes)
    if feed not in op.system.feeds:
        raise InputError(f"no feed {feed!r}; known: {', '.join(sorted(op.system.feeds)) or 'none'}")
    contract = op.system.feeds[feed]
    answer = parse_amount(price, int(contract.decimals()), f"the {feed} feed")
    op.send(
        contract,
        "report",
        (answer,),
        signer(alias, "oracle-reporter", op.manifest),
        f"reporting {price} for {feed}",
    )


def _flags(text: str) -> int:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in PAUSE_FLAGS]
    if not names or unknown:
        raise InputError(f"pause flags must be among {', '.join(PAUSE_FLAGS)}; got {text!r}")
    value = 0
    for name in names:
        value |= PAUSE_FLAGS[name]
    return value


@cli.command(cls=ConnectedProviderCommand)
@click.argument("what")
@write_options
@one_line_errors
def pause(what, alias, dry_run, yes):
    """Pause WHAT (mint,redeem,transfer): the guardian, at once."""
    op = _operator(dry_run, yes)
    op.send(
        op.system.stablecoin,
        "pause",
        (_flags(what),),
        signer(alias, "guardian", op.manifest),
        f"pausing {what}",
    )


@cli.command(cls=ConnectedProviderCommand)
@click.argument("what")
@write_options
@one_line_errors
def unpause(what, alias, dry_run, yes):
    """Unpause WHAT: the governor, through its delay (schedule, then execute)."""
    op = _operator(dry_run, yes)
    op.send(
        op.system.stablecoin,
        "unpause",
        (_flags(what),),
        signer(alias, "governor", op.manifest),
        f"unpausing {what}",
    )


@cli.group()
def roles():
    """The role matrix."""


@roles.command("show", cls=ConnectedProviderCommand)
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def roles_show(as_json):
    op = _operator()
    matrix = read_role_matrix(op.system)
    if as_json:
        click.echo(role_matrix_json(matrix))
    else:
        render_role_matrix(matrix, op.console)


@roles.command("grant", cls=ConnectedProviderCommand)
@click.argument("role")
@click.argument("address")
@click.option(
    "--delay",
    "execution_delay",
    default=0,
    type=click.IntRange(0, 2**32 - 1),
    help="the holder's execution delay [seconds]",
)
@write_options
@one_line_errors
def roles_grant(role, address, execution_delay, alias, dry_run, yes):
    """Grant ROLE (a label, e.g. minter) to ADDRESS: the admin, through its delay."""
    op = _operator(dry_run, yes)
    role_id = _role(role)
    who = resolve_address(address, op.labels)
    op.send(
        op.system.manager,
        "grantRole",
        (role_id, who, execution_delay),
        signer(alias, "governor", op.manifest),
        f"granting {role} to {who}",
    )


@roles.command("revoke", cls=ConnectedProviderCommand)
@click.argument("role")
@click.argument("address")
@write_options
@one_line_errors
def roles_revoke(role, address, alias, dry_run, yes):
    """Revoke ROLE from ADDRESS: the admin, through its delay."""
    op = _operator(dry_run, yes)
    who = resolve_address(address, op.labels)
    op.send(
        op.system.manager,
        "revokeRole",
        (_role(role), who),
        signer(alias, "governor", op.manifest),
        f"revoking {role} from {who}",
    )


def _role(label: str) -> int:
    from sovereign.roles import Role

    known = {r.label: int(r) for r in Role if r not in (Role.ADMIN, Role.PUBLIC)}
    if label not in known:
        raise InputError(f"unknown role {label!r}; roles: {', '.join(known)}")
    return known[label]


@cli.group()
def compliance():
    """AML freezes and court-ordered seizures (the compliance officer)."""


@compliance.command("freeze", cls=ConnectedProviderCommand)
@click.argument("address")
@click.option("--case", "case", required=True, help="AML case reference")
@write_options
@one_line_errors
def compliance_freeze(address, case, alias, dry_run, yes):
    op = _operator(dry_run, yes)
    who = resolve_address(address, op.labels)
    op.send(
        op.system.stablecoin,
        "freeze",
        (who, instruction_id(case)),
        signer(alias, "compliance", op.manifest),
        f"freezing {who} ({case})",
    )


@compliance.command("unfreeze", cls=ConnectedProviderCommand)
@click.argument("address")
@click.option("--case", "case", required=True, help="AML case reference")
@write_options
@one_line_errors
def compliance_unfreeze(address, case, alias, dry_run, yes):
    op = _operator(dry_run, yes)
    who = resolve_address(address, op.labels)
    op.send(
        op.system.stablecoin,
        "unfreeze",
        (who, instruction_id(case)),
        signer(alias, "compliance", op.manifest),
        f"unfreezing {who} ({case})",
    )


@compliance.command("seize", cls=ConnectedProviderCommand, context_settings=AMOUNTS)
@click.argument("source")
@click.argument("destination")
@click.argument("amount")
@click.option("--case", "case", required=True, help="court order reference")
@write_options
@one_line_errors
def compliance_seize(source, destination, amount, case, alias, dry_run, yes):
    """Move AMOUNT from the frozen SOURCE to DESTINATION under a court order."""
    op = _operator(dry_run, yes)
    src, dst = resolve_address(source, op.labels), resolve_address(destination, op.labels)
    units = op.coin_amount(amount)
    op.send(
        op.system.stablecoin,
        "seize",
        (src, dst, units, instruction_id(case)),
        signer(alias, "compliance", op.manifest),
        f"seizing {op.describe_coin(units)} from {src} to {dst} ({case})",
    )


@cli.group()
def bills():
    """T-bill series and the vault's ladder."""


def _series(op, code: str):
    from ape import project

    address = op.system.registry.seriesByCode(code)
    if int(address, 16) == 0:
        raise InputError(f"no T-bill series with code {code!r}")
    return project.TBillSeries.at(address)


@bills.command("issue", cls=ConnectedProviderCommand, context_settings=AMOUNTS)
@click.argument("code")
@click.option("--days", required=True, type=click.IntRange(1, 3650), help="days to maturity")
@click.option("--price", required=True, help="auction price per 1.00 of face, e.g. 0.9875")
@click.option("--amount", required=True, help="face amount offered")
@write_options
@one_line_errors
def bills_issue(code, days, price, amount, alias, dry_run, yes):
    """Create series CODE (face 1.00 cash per token) and open its auction: the debt office."""
    from ape import chain

    op = _operator(dry_run, yes)
    decimals = int(op.system.cash.decimals())
    price_units = parse_amount(price, decimals, "the price")
    offered = parse_amount(amount, decimals, "the series")
    office = signer(alias, "debt-office", op.manifest)
    now = chain.pending_timestamp
    op.send(
        op.system.registry,
        "createSeries",
        (code, decimals, 10**decimals, now, now + days * 86_400),
        office,
        f"creating series {code} maturing in {days} days",
    )
    if not dry_run:
        op.send(
            op.system.registry,
            "openAuction",
            (_series(op, code).address, price_units, offered),
            office,
            f"opening the {code} auction at {price} for {amount}",
        )


@bills.command("buy", cls=ConnectedProviderCommand, context_settings=AMOUNTS)
@click.argument("code")
@click.argument("amount")
@click.option("--max-price", required=True, help="highest price per 1.00 of face")
@write_options
@one_line_errors
def bills_buy(code, amount, max_price, alias, dry_run, yes):
    """The vault buys AMOUNT face of series CODE at its auction: the vault manager."""
    op = _operator(dry_run, yes)
    series = _series(op, code)
    decimals = int(series.decimals())
    units = parse_amount(amount, decimals, code)
    limit = parse_amount(max_price, int(op.system.cash.decimals()), "the price")
    op.send(
        op.system.vault,
        "buy",
        (series.address, units, limit),
        signer(alias, "vault-manager", op.manifest),
        f"buying {amount} of {code}",
    )


@bills.command("fund", cls=ConnectedProviderCommand, context_settings=AMOUNTS)
@click.argument("code")
@click.argument("amount", required=False)
@write_options
@one_line_errors
def bills_fund(code, amount, alias, dry_run, yes):
    """Put AMOUNT cash into series CODE's repayment pool (default: what is missing to
    repay every outstanding bill at face): the treasury, which received the proceeds."""
    op = _operator(dry_run, yes)
    series = _series(op, code)
    cash = op.system.cash
    decimals = int(cash.decimals())
    missing = max(int(series.outstandingFace()) - int(series.pool()), 0)
    units = parse_amount(amount, decimals, "the funding") if amount else missing
    if units == 0:
        raise OperationRefused(f"{code} is fully funded: nothing to add")
    treasury_address = op.system.registry.treasury()
    payer = signer(alias, "treasury", {"holders": {"treasury": treasury_address}})
    shown = format_amount(units, decimals)
    # Two transactions: the allowance, then the pull. The second is simulated only
    # once the first is mined, so a dry run checks the allowance step alone.
    op.send(cash, "approve", (series.address, units), payer, f"allowing {code} to pull {shown}")
    if not dry_run:
        op.send(series, "fundRepayment", (units,), payer, f"funding {code} with {shown}")


@bills.command("redeem", cls=ConnectedProviderCommand)
@click.argument("code")
@write_options
@one_line_errors
def bills_redeem(code, alias, dry_run, yes):
    """The vault redeems its matured holding of series CODE: the vault manager."""
    from ape import chain

    op = _operator(dry_run, yes)
    series = _series(op, code)
    manager = signer(alias, "vault-manager", op.manifest)
    vault = op.system.vault
    if all(lot.series != series.address for lot in vault.maturedLots()):
        if int(series.maturity()) > chain.blocks.head.timestamp:
            raise OperationRefused(f"{code} has not matured yet")
        op.send(vault, "sync", (), manager, "moving matured bills out of the accruing set")
    index = [lot.series for lot in vault.maturedLots()].index(series.address)
    op.send(vault, "redeemMatured", (index,), manager, f"redeeming the matured {code}")
