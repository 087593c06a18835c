"""The system's state, read from chain: as a dict (for ``--json``) and as rich tables."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from decimal import Decimal

from ape import chain
from rich.console import Console
from rich.table import Table

from sovereign import artifacts, events
from sovereign.desk import read_desk, render_desk
from sovereign.pauses import Pause
from sovereign.status_commodity import read_commodities, render_commodities
from sovereign.units import bytes32_to_text, format_amount, format_ratio


def make_console() -> Console:
    """A console that is wide enough for addresses when output is piped (make, CI)."""
    return Console(width=None if sys.stdout.isatty() else 160)


def read_status(system, manifest: dict | None = None) -> dict:
    """Everything a treasury operator or an auditor looks at first."""
    reserve, coin, cash = system.reserve, system.stablecoin, system.cash
    now = chain.blocks.head.timestamp
    assets = []
    for asset_address in reserve.collateralAssets():
        cfg = reserve.collateralConfig(asset_address)
        balance, answer, updated_at, usable, haircut_value = reserve.assetStatus(asset_address)
        token = artifacts.at("MockERC20", asset_address)  # an ERC-20 ABI
        feed = artifacts.at("ReportedPriceFeed", cfg.feed)  # decimals() of any feed
        assets.append(
            {
                "asset": asset_address,
                "symbol": token.symbol(),
                "decimals": cfg.assetDecimals,
                "balance": int(balance),
                "price": int(answer),
                "price_decimals": int(feed.decimals()),
                "feed": cfg.feed,
                "feed_age_seconds": now - int(updated_at) if updated_at else None,
                "heartbeat_seconds": int(cfg.heartbeat),
                "fresh": bool(usable),
                "haircut_bps": int(cfg.haircutBps),
                "concentration_cap_bps": int(cfg.concentrationCapBps),
                "haircut_value_wad": int(haircut_value),
            }
        )
    # The reserve's own numbers: an asset without a usable price (a stale feed, an
    # expired attestation) counts zero there, and the valuation never reverts.
    all_fresh = all(a["fresh"] or a["balance"] == 0 for a in assets)
    ladder = read_ladder(system) if getattr(system, "vault", None) is not None else None
    value = int(reserve.collateralValue())
    ratio = int(reserve.collateralRatio())
    paused = Pause(int(coin.pausedFlags()))
    room = int(reserve.maxMintable())
    minters = {}
    if manifest is not None:
        minter = manifest["holders"]["minter"]
        minters[minter] = int(reserve.minterAllowance(minter))
    return {
        "block": chain.blocks.head.number,
        "timestamp": now,
        "stablecoin": {
            "address": coin.address,
            "symbol": coin.symbol(),
            "total_supply": int(coin.totalSupply()),
        },
        "cash": {
            "address": cash.address,
            "symbol": cash.symbol(),
            "decimals": int(cash.decimals()),
            "reserve_balance": int(cash.balanceOf(reserve.address)),
        },
        "collateral_value_wad": value,
        "collateral_ratio_wad": ratio,
        "min_collateral_ratio_wad": int(reserve.minCollateralRatioWad()),
        # Room under the ratio; what can be minted now is nothing while minting is paused.
        "max_mintable": room,
        "mintable_now": 0 if Pause.MINT in paused else room,
        "minter_allowances": minters,
        "feeds_fresh": all_fresh,
        "redemption_fee_bps": int(reserve.redemptionFeeBps()),
        "paused": paused.names(),
        "assets": assets,
        "vault": ladder,
        "bonds": read_bonds(system, now),
        "commodities": read_commodities(system, now),
        "redemptions": read_desk(system, now),
    }


def read_bonds(system, now: int) -> list[dict]:
    """Every bond series of the registry: next coupon, accrued interest, clean and dirty
    price, and what the reserve counts of it (``sovereign.bonds.read_bond``)."""
    from sovereign.bonds import all_series, read_bond

    return [read_bond(system, series, now) for series in all_series(system.bond_registry)]


def read_ladder(system) -> dict:
    """The T-bill vault: NAV, idle cash and every lot with its accreted value."""
    vault = system.vault
    lots = []
    for state, group in (("accruing", vault.accruingLots()), ("matured", vault.maturedLots())):
        for lot in group:
            series = artifacts.at("TBillSeries", lot.series)
            lots.append(
                {
                    "series": lot.series,
                    "code": series.seriesCode(),
                    "state": state if not series.defaulted() else "defaulted",
                    "maturity": int(lot.maturity),
                    "amount": int(lot.amount),
                    "cost": int(lot.cost),
                    "face": int(lot.face),
                    "markdown_bps": int(lot.markdownBps),
                    "value": int(vault.lotValue(lot)),
                }
            )
    return {
        "address": vault.address,
        "nav": int(vault.totalAssets()),
        "idle_cash": int(vault.idleCash()),
        "shares": int(vault.totalSupply()),
        "share_decimals": int(vault.decimals()),
        "lots": sorted(lots, key=lambda lot: lot["maturity"]),
    }


def render_status(status: dict, console: Console | None = None) -> None:
    console = console or Console()
    coin = status["stablecoin"]
    summary = Table(title=f"Sovereign stablecoin at block {status['block']}", show_header=False)
    summary.add_column("item", style="bold")
    summary.add_column("value", justify="right")
    summary.add_row(f"{coin['symbol']} supply", format_amount(coin["total_supply"], 18))
    value = status["collateral_value_wad"]
    stale = "" if status["feeds_fresh"] else " (an asset without a usable price counts 0)"
    summary.add_row("Collateral value (haircut, capped)", format_amount(value, 18) + stale)
    summary.add_row("Collateral ratio", format_ratio(status["collateral_ratio_wad"]))
    summary.add_row("Minimum ratio", format_ratio(status["min_collateral_ratio_wad"]))
    if "mint" in status["paused"]:
        mintable = f"0.00 {coin['symbol']} (minting is paused)"
    else:
        mintable = f"{format_amount(status['mintable_now'], 18)} {coin['symbol']}"
    summary.add_row("Mintable now", mintable)
    for minter, allowance in status["minter_allowances"].items():
        summary.add_row(
            f"Allowance of minter {minter}", f"{format_amount(allowance, 18)} {coin['symbol']}"
        )
    cash = status["cash"]
    summary.add_row(
        f"Redemption cash ({cash['symbol']})",
        format_amount(cash["reserve_balance"], cash["decimals"]),
    )
    summary.add_row("Paused", ", ".join(status["paused"]) or "nothing")
    console.print(summary)

    assets = Table(title="Collateral")
    for col in ("asset", "balance", "price", "feed age", "haircut", "cap", "counted value"):
        assets.add_column(col, justify="left" if col == "asset" else "right")
    for a in status["assets"]:
        age = a["feed_age_seconds"]
        freshness = "never" if age is None else f"{age:,} s" + ("" if a["fresh"] else " STALE")
        assets.add_row(
            a["symbol"],
            format_amount(a["balance"], a["decimals"]),
            format_amount(a["price"], a["price_decimals"], 4),
            freshness,
            f"{Decimal(a['haircut_bps']) / 100:.2f}%",
            f"{Decimal(a['concentration_cap_bps']) / 100:.0f}%",
            format_amount(a["haircut_value_wad"], 18),
        )
    console.print(assets)
    if status.get("vault"):
        render_ladder(status["vault"], status["cash"]["decimals"], console)
    if status.get("bonds"):
        render_bonds(status["bonds"], status["cash"]["decimals"], console)
    if status.get("commodities"):
        render_commodities(status["commodities"], status["cash"]["symbol"], console)
    if status.get("redemptions"):
        cash = status["cash"]
        render_desk(
            status["redemptions"], coin["symbol"], cash["symbol"], cash["decimals"], console
        )


def render_bonds(bonds: list[dict], cash_decimals: int, console: Console) -> None:
    """One row per bond series; prices and interest per bond, in cash."""
    from sovereign.bonds import day, signed_cash

    table = Table(title="Bonds (prices and interest per bond)")
    columns = ("series", "next coupon", "accrued", "clean", "dirty", "reserve holds", "counted")
    for col in columns:
        table.add_column(col, justify="left" if col in ("series", "next coupon") else "right")
    for b in bonds:
        if b["default"]["defaulted"]:
            upcoming = "DEFAULT"
        elif b["next_coupon_date"] is None:
            upcoming = f"none: redeems {day(b['redemption']['date'])}"
        else:
            upcoming = f"{day(b['next_coupon_date'])} (#{b['next_coupon']})"
        counted = b["reserve"]["counted_value_wad"] if b["reserve"] else None
        table.add_row(
            b["isin"],
            upcoming,
            signed_cash(b["accrued"], cash_decimals),
            b["clean_price"] or "-",
            b["dirty_price"] or "-",
            format_amount(b["reserve_holding"], b["decimals"]),
            format_amount(counted, 18) if counted is not None else "not listed",
        )
    console.print(table)


def render_ladder(ladder: dict, cash_decimals: int, console: Console) -> None:
    title = (
        f"T-bill vault: NAV {format_amount(ladder['nav'], cash_decimals)}, "
        f"idle cash {format_amount(ladder['idle_cash'], cash_decimals)}"
    )
    table = Table(title=title)
    for col in ("series", "state", "maturity", "holding (face)", "cost", "accreted value"):
        table.add_column(col, justify="left" if col in ("series", "state", "maturity") else "right")
    for lot in ladder["lots"]:
        maturity = datetime.fromtimestamp(lot["maturity"], UTC).strftime("%Y-%m-%d")
        table.add_row(
            lot["code"],
            lot["state"],
            maturity,
            format_amount(lot["face"], cash_decimals),
            format_amount(lot["cost"], cash_decimals),
            format_amount(lot["value"], cash_decimals),
        )
    if not ladder["lots"]:
        table.add_row("-", "no bills held", "-", "-", "-", "-")
    console.print(table)


def read_participants(system, manifest: dict) -> list[dict]:
    """Every account ever licensed, from the reserve's events since the deployment."""
    reserve, coin = system.reserve, system.stablecoin
    refs = {}
    for log in events.scan(reserve.ParticipantRegistered, events.deployment_block(manifest)):
        refs[log.account] = bytes32_to_text(log.licenseRef)
    return [
        {
            "account": account,
            "licensed": bool(reserve.isParticipant(account)),
            "licence": ref,
            "balance": int(coin.balanceOf(account)),
        }
        for account, ref in refs.items()
    ]


def render_participants(rows: list[dict], console: Console, symbol: str) -> None:
    table = Table(title="Participants")
    for col in ("account", "licence", "licensed now", f"balance ({symbol})"):
        table.add_column(col, justify="right" if col.startswith("balance") else "left")
    for row in rows:
        table.add_row(
            row["account"],
            row["licence"],
            "yes" if row["licensed"] else "no (de-listed)",
            format_amount(row["balance"], 18),
        )
    if not rows:
        table.add_row("-", "nobody licensed yet", "-", "-")
    console.print(table)
