"""The reserve's collateral: deposit a listed asset, withdraw one, list them all."""

from __future__ import annotations

import re

import click
from rich.table import Table

from sovereign import vaultops
from sovereign.cli.base import ADDRESS, AMOUNT, treasury_command
from sovereign.cli.cash import speak_in
from sovereign.inputs import InputError

group = click.Group("collateral", help="The reserve's collateral assets.")


def register(cli: click.Group) -> None:
    cli.add_command(group)


class AssetType(click.ParamType):
    """A collateral asset: a symbol (SB30, eSHL), a manifest label, or a checksummed
    address. Checked here for form; against the reserve's list once connected."""

    name = "symbol|address"
    _NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

    def convert(self, value, param, ctx):
        text = str(value).strip()
        if text.lower().startswith("0x"):
            return ADDRESS.convert(text, param, ctx)
        if not self._NAME.fullmatch(text):
            self.fail(f"{value!r} is neither a token symbol nor an address", param, ctx)
        return text


ASSET = click.argument("asset", type=AssetType())


def _asset(s, text: str, *, allow_unlisted: bool = False) -> vaultops.Asset:
    asset = vaultops.find_asset(
        s.system, s.manifest, text, s.op.labels, allow_unlisted=allow_unlisted
    )
    speak_in(s, asset.symbol, asset.decimals)
    return asset


@treasury_command(group, "deposit", role=None)
@ASSET
@click.argument("amount", type=AMOUNT)
def deposit(s, asset, amount):
    """Move AMOUNT of the listed collateral ASSET (its symbol, e.g. SB30, or address) from
    the signer into the reserve: a plain ERC-20 transfer, which raises the collateral
    value at the next valuation. An asset the reserve does not list is refused (it would
    count nothing). The holder of the asset signs: --account is required (no local
    default: the tool does not guess whose assets to move)."""
    found = _asset(s, asset)
    units = found.parse(amount)
    reserve = s.system.reserve.address
    sender = s.signer()
    if sender.address == reserve:
        raise InputError("the reserve cannot deposit into itself")
    erc20 = vaultops.token(s.system, found.address)
    before = int(erc20.balanceOf(reserve))
    result = s.op.send(
        erc20,
        "transfer",
        (reserve, units),
        sender,
        f"depositing {found.show(units)} from {sender.address} into the reserve "
        f"(which holds {found.show(before)})",
    )
    after = int(erc20.balanceOf(reserve))
    if result.get("status") == "sent":
        s.print(f"the reserve now holds {found.show(after)}")
    return result | {
        "asset": found.address,
        "symbol": found.symbol,
        "amount": str(units),
        "amount_shown": found.show(units),
        "reserve_balance": str(after),
        "reserve_balance_shown": found.show(after),
    }


@treasury_command(group, "withdraw", role="reserve-manager")
@ASSET
@click.argument("recipient", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
def withdraw(s, asset, recipient, amount):
    """Send AMOUNT of collateral ASSET (a listed symbol or an address; by address also an
    asset the governor removed from the list) from the reserve to RECIPIENT: signed by the
    reserve manager. The contract checks afterwards that the collateral ratio stays at or
    above the minimum: a withdrawal that would break it is refused before it is sent."""
    found = _asset(s, asset, allow_unlisted=True)
    units = found.parse(amount)
    reserve = s.system.reserve
    to = s.address(recipient, "recipient")
    if to == reserve.address:
        raise InputError("recipient: the reserve itself; name where the collateral goes")
    erc20 = vaultops.token(s.system, found.address)
    before = int(erc20.balanceOf(reserve.address))
    result = s.op.send(
        reserve,
        "withdrawCollateral",
        (found.address, to, units),
        s.signer(),
        f"withdrawing {found.show(units)} of the reserve's {found.show(before)}"
        + ("" if found.listed else " (not a listed asset)")
        + f" to {to}",
    )
    after = int(erc20.balanceOf(reserve.address))
    if result.get("status") == "sent":
        s.print(f"the reserve now holds {found.show(after)}")
    return result | {
        "asset": found.address,
        "symbol": found.symbol,
        "listed": found.listed,
        "recipient": to,
        "amount": str(units),
        "amount_shown": found.show(units),
        "reserve_balance": str(after),
        "reserve_balance_shown": found.show(after),
    }


def _age(row: dict) -> str:
    age = row["feed_age_seconds"]
    if age is None:
        return "never answered"
    if row["fresh"]:
        return f"{age:,} s"
    return f"{age:,} s STALE (heartbeat {row['heartbeat_seconds']:,} s)"


@treasury_command(group, "list", write=False)
def list_(s):
    """Each listed collateral asset: its symbol and address, the reserve's balance
    (exact, with its symbol), the haircut, the concentration cap, the price feed with its
    latest answer and that answer's age. Read-only."""
    rows = vaultops.collateral_rows(s.system, s.manifest, s.op.labels)
    if not s.as_json:
        table = Table(title=f"Collateral of the reserve {s.system.reserve.address}")
        for col in ("asset", "address", "reserve balance", "haircut", "cap", "feed", "price"):
            right = col in ("reserve balance", "haircut", "cap", "price")
            table.add_column(col, justify="right" if right else "left")
        table.add_column("feed age")
        for row in rows:
            table.add_row(
                row["symbol"],
                row["asset"],
                row["balance_shown"],
                vaultops.bps(row["haircut_bps"]),
                vaultops.bps(row["concentration_cap_bps"]),
                row["feed_label"] or row["feed"],
                f"{row['price_shown']} {s.cash_symbol}",
                _age(row),
            )
        if not rows:
            table.add_row("-", "nothing listed", "-", "-", "-", "-", "-", "-")
        s.print(table)
    return {"reserve": s.system.reserve.address, "assets": rows}
