"""The machinery of ``make demo`` (scripts/demo.py tells the story).

``Treasury`` runs an ``ape treasury …`` command line in this process, exactly as
printed, on the chain the demo is connected to; ``Clock`` moves that chain's time;
``snapshot`` reads the story's key figures; ``render_before_after`` and
``render_role_holders`` print the closing tables.

How one command line reaches the demo's own Anvil: ``ape treasury`` parses
``--network ethereum:local:foundry`` (its default) into a *new* ape-foundry
provider, which would start a second Anvil on a free port (``host: auto`` in
ape-config.yaml). With ``APE_FOUNDRY_HOST`` set to the demo's node, ape-foundry
connects that provider to it instead; ape's provider context then finds the
connection already open (same connection id) and uses the demo's provider itself.
Every command therefore reads and writes the demo's chain: after each one the demo
checks that its own provider is still the active one and that a sent write added
blocks to its chain. The connection is the shell's too: ``APE_FOUNDRY_HOST=<uri>
SOVEREIGN_DEPLOYMENTS=<folder> ape treasury …`` runs the same command from another
terminal against the demo's node while it runs.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
from contextlib import contextmanager
from dataclasses import dataclass, field

import click
from ape import chain
from rich.console import Console
from rich.table import Table

from sovereign import events
from sovereign.status import read_status
from sovereign.units import format_amount, format_ratio

DAY = 86_400


class StoryBroken(SystemExit):
    """The story did not go as told (a command refused that should pass, or the reverse)."""


@contextmanager
def _no_node_scan_for_borrowed_providers(own_provider):
    """ape 0.8.51 work-around, for the in-process commands only.

    The provider a command parses is connected to the demo's node and then, the
    connection being already open, disconnected again (``push_provider``); that
    disconnect removes the provider's entries from ape's disk registry of node
    processes (``.ape/processes/nodes.json``), computing each entry's match through
    pydantic settings. The provider owns no process and its address is reset first,
    so nothing ever matches: the call is a no-op, yet it costs ~20 ms per entry ever
    registered (2 s a command with the 110 entries of long-gone nodes found here)
    and rewrites a file other ape processes share. It is skipped for providers that
    own no process and are not the demo's; the demo's own provider is untouched."""
    from ape.managers.networks import NodeProcessMap

    original = NodeProcessMap.remove_provider

    def remove_provider(self, provider):
        if provider is not own_provider and getattr(provider, "process", None) is None:
            return
        original(self, provider)

    NodeProcessMap.remove_provider = remove_provider
    try:
        yield
    finally:
        NodeProcessMap.remove_provider = original


@dataclass
class Treasury:
    """``ape treasury ARGS``, run in this process against the demo's chain."""

    console: Console
    commands: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.provider = chain.provider
        self.uri = self.provider.uri
        self._saved = os.environ.get("APE_FOUNDRY_HOST")
        os.environ["APE_FOUNDRY_HOST"] = self.uri

    def close(self) -> None:
        if self._saved is None:
            os.environ.pop("APE_FOUNDRY_HOST", None)
        else:
            os.environ["APE_FOUNDRY_HOST"] = self._saved

    def __call__(self, *args: str, refused: bool = False) -> str | None:
        """Run the command; return None when it succeeded, or its one-line error when
        it was refused. ``refused`` says which the story expects; the other ends it."""
        from sovereign.cli import cli

        line = "ape treasury " + " ".join(shlex.quote(a) for a in args)
        self.commands.append(line)
        self.console.print(f"  [bold green]$ {line}[/]", highlight=False, soft_wrap=True)
        error = None
        head = chain.blocks.head.number
        with _no_node_scan_for_borrowed_providers(self.provider):
            try:
                cli.main(list(args), prog_name="ape treasury", standalone_mode=False)
            except click.ClickException as err:
                error = f"Error: {err.format_message()} (exit {err.exit_code})"
        # The command ran on the demo's node: its provider is still the active one, and
        # a write that was sent is in the demo's chain.
        if chain.provider is not self.provider or chain.provider.uri != self.uri:
            raise StoryBroken(f"BUG: {line} left the demo's provider ({chain.provider.uri})")
        if "--yes" in args and error is None and chain.blocks.head.number <= head:
            raise StoryBroken(f"BUG: {line} sent nothing to the demo's chain (block {head})")
        if error:
            self.console.print(f"  [red]{error}[/]", highlight=False, soft_wrap=True)
        if refused and error is None:
            raise StoryBroken(f"BUG: {line} was accepted; the story expects a refusal")
        if not refused and error is not None:
            raise StoryBroken(f"BUG: {line} was refused: {error}")
        return error


class Clock:
    """The local chain's clock, moved by the demo (not a treasury command)."""

    def __init__(self, console: Console):
        self.console = console

    def advance(self, days: int, why: str) -> None:
        span = "1 day" if days == 1 else f"{days} days"
        self.console.print(f"  [magenta](the clock moves {span}: {why})[/]", highlight=False)
        chain.mine(1, timestamp=chain.blocks.head.timestamp + days * DAY)

    def advance_hours(self, hours: int, why: str) -> None:
        span = "1 hour" if hours == 1 else f"{hours} hours"
        self.console.print(f"  [magenta](the clock moves {span}: {why})[/]", highlight=False)
        chain.mine(1, timestamp=chain.blocks.head.timestamp + hours * 3_600)

    @staticmethod
    def today() -> dt.date:
        return dt.datetime.fromtimestamp(chain.blocks.head.timestamp, dt.UTC).date()

    def advance_to(self, day: dt.date, why: str) -> None:
        """Move to the same time of day on ``day`` (a later date)."""
        self.advance((day - self.today()).days, f"to {day}, {why}")


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, for days of the month up to 27 (no month-end rule)."""
    assert day.day <= 27, day
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)


# ------------------------------------------------------------------ a bond in the reserve


def bond_reading(system, series, label: str) -> dict[str, str]:
    """The bond's accrued interest, maturity haircut and counted value in the reserve, and
    the collateral ratio, now: one row of the bond chapter's table."""
    from sovereign.bonds import reserve_counted, signed_cash
    from sovereign.sentences._fmt import Fmt

    state = read_status(system)
    cash = state["cash"]
    counted = reserve_counted(system.reserve, series.address)
    value, ratio = state["collateral_value_wad"], state["collateral_ratio_wad"]
    accrued = series.accruedInterest(chain.blocks.head.timestamp)
    haircut = system.bond_feeds[str(series.isin())].valuation()[3]
    return {
        "date": Clock.today().isoformat(),
        "moment": label,
        "accrued per bond": signed_cash(accrued, cash["decimals"]),
        "maturity haircut": Fmt.bps(haircut),
        "bond counted": format_amount(counted["counted_value_wad"], 18, 2) if counted else "-",
        "redemption cash": format_amount(cash["reserve_balance"], cash["decimals"], 2),
        "collateral value": format_amount(value, 18, 2) if value is not None else "n/a",
        "collateral ratio": format_ratio(ratio) if ratio is not None else "n/a",
    }


def render_readings(rows: list[dict[str, str]], symbol: str, console: Console) -> None:
    table = Table(title=f"The bond in the reserve, date by date (amounts in {symbol})")
    for col in rows[0]:
        table.add_column(col, justify="left" if col in ("date", "moment") else "right")
    for row in rows:
        table.add_row(*row.values())
    console.print(table)


# ------------------------------------------------------------------ the figures


def frozen_accounts(system, from_block: int) -> list[str]:
    """Every account frozen now, from the stablecoin's freeze events."""
    coin = system.stablecoin
    seen = []
    for log in events.scan(coin.AccountFrozen, from_block):
        if log.account not in seen:
            seen.append(log.account)
    return [a for a in seen if coin.frozen(a)]


def snapshot(system, manifest: dict, names: dict[str, str]) -> dict[str, str]:
    """The story's key figures, each shown exactly with its symbol."""
    state = read_status(system, manifest)
    coin = state["stablecoin"]["symbol"]
    cash, decimals = state["cash"]["symbol"], state["cash"]["decimals"]
    stale = [a["symbol"] for a in state["assets"] if not a["fresh"] and a["balance"]]
    value, ratio = state["collateral_value_wad"], state["collateral_ratio_wad"]
    if "mint" in state["paused"]:
        mintable = f"0.00 {coin} (minting is paused)"
    else:
        mintable = f"{format_amount(state['mintable_now'], 18)} {coin}"
    frozen = frozen_accounts(system, events.deployment_block(manifest))
    nav = state["vault"]["nav"] if state["vault"] else 0
    return {
        f"{coin} supply": f"{format_amount(state['stablecoin']['total_supply'], 18)} {coin}",
        "Collateral value (haircut, capped)": f"{format_amount(value, 18)} {cash}"
        + (f" ({', '.join(stale)}: no usable price, counted 0)" if stale else ""),
        "Collateral ratio": format_ratio(ratio),
        "Minimum ratio": format_ratio(state["min_collateral_ratio_wad"]),
        "Mintable now": mintable,
        "Redemption cash (reserve)": (
            f"{format_amount(state['cash']['reserve_balance'], decimals)} {cash}"
        ),
        "T-bill vault NAV": f"{format_amount(nav, decimals)} {cash}",
        "Paused": ", ".join(state["paused"]) or "nothing",
        "Frozen accounts": ", ".join(f"{names.get(a, '?')} {a}" for a in frozen) or "none",
    }


def render_before_after(
    before: dict[str, str], after: dict[str, str], labels: tuple[str, str], console: Console
) -> None:
    table = Table(title="Before and after")
    table.add_column("figure", style="bold")
    table.add_column(labels[0], justify="right")
    table.add_column(labels[1], justify="right")
    for key, value in after.items():
        table.add_row(key, before.get(key, "-"), value)
    console.print(table)


def holder_names(manifest: dict, extra: dict[str, str]) -> dict[str, str]:
    """address -> label: the manifest's role holders and treasury, then the demo's own, then
    the contracts that hold a role (the debt registries and the commodity tokens, as the
    program issuer)."""
    names = {}
    for label, address in manifest["holders"].items():
        names.setdefault(address, label)
    if manifest.get("treasury"):
        names.setdefault(manifest["treasury"], "treasury")
    for name, entry in manifest["contracts"].items():
        if name.startswith("commodity:"):
            names.setdefault(entry["address"], f"{name.split(':', 1)[1]} token")
        elif name in ("TBillRegistry", "BondRegistry"):
            names.setdefault(entry["address"], name)
    for address, name in extra.items():
        names.setdefault(address, name)
    return names


def render_role_holders(matrix: list[dict], names: dict[str, str], console: Console) -> None:
    """Who holds each role now (read from the manager), by label."""
    from sovereign.sentences._fmt import Fmt

    table = Table(title="Role holders (from the manager, by label)")
    for col in ("role", "held by", "address", "execution delay"):
        table.add_column(col, style="bold" if col == "role" else None)
    for row in matrix:
        holders = row["holders"] or [{"account": "-", "execution_delay": 0}]
        for i, holder in enumerate(holders):
            account = holder["account"]
            table.add_row(
                row["role"] if i == 0 else "",
                names.get(account, "-" if account == "-" else "(no label)"),
                account,
                Fmt.duration(holder["execution_delay"]) if holder["execution_delay"] else "none",
            )
    console.print(table)
