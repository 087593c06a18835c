"""``ape treasury bonds show``: one series as tables (its JSON is ``bonds.read_bond``'s)."""

from __future__ import annotations

from rich.table import Table

from sovereign.bonds import cash_text, day, percent, signed_cash
from sovereign.calls import bps
from sovereign.units import format_amount


def _value_lines(state: dict, cash_decimals: int, symbol: str) -> list[tuple[str, str]]:
    accrued = f"{signed_cash(state['accrued'], cash_decimals)} {symbol} per bond"
    if state["accrued"] < 0:
        accrued += " (ex-coupon: the coming coupon is the record-date holder's)"
    clean = state["clean_price"]
    rows = [
        ("accrued interest now", accrued),
        (
            "clean price (reported)",
            f"{clean} {symbol}" if clean is not None else "no clean price feed",
        ),
        ("dirty price", f"{state['dirty_price']} {symbol}" if state["dirty_price"] else "-"),
    ]
    valuation = state["valuation"]
    if valuation is not None:
        rows.append(
            (
                "value feed (per bond)",
                f"{format_amount(valuation['value_wad'], 18)} {symbol} after the maturity "
                f"haircut of {bps(valuation['haircut_bps'])}",
            )
        )
    reserve = state["reserve"]
    if reserve is not None:
        rows.append(
            (
                "counted by the reserve",
                f"{format_amount(reserve['counted_value_wad'], 18)} {symbol}",
            )
        )
    return rows


def _redemption_lines(state: dict, cash_decimals: int, symbol: str) -> list[tuple[str, str]]:
    r, d = state["redemption"], state["default"]
    what = "call" if r["called"] else "maturity"
    rows = [
        (
            "redemption",
            f"{day(r['date'])} ({what}) at {cash_text(r['price'], cash_decimals, symbol)} per bond",
        ),
        (
            "principal pool",
            f"{cash_text(r['principal_pool'], cash_decimals, symbol)} of the "
            f"{cash_text(r['principal_owed'], cash_decimals, symbol)} owed",
        ),
    ]
    if d["defaulted"]:
        rows.append(
            (
                "DEFAULT",
                f"recovery pool {cash_text(d['recovery_pool'], cash_decimals, symbol)}; every bond "
                f"redeems now for {cash_text(d['per_bond'], cash_decimals, symbol)}",
            )
        )
    else:
        rows.append(("default", "none"))
    return rows


def render_bond(state: dict, cash_decimals: int, symbol: str, console) -> None:
    isin, decimals = state["isin"], state["decimals"]
    summary = Table(title=f"{isin}: {state['name']} ({state['address']})", show_header=False)
    summary.add_column("item", style="bold")
    summary.add_column("value")
    auction = state["auction"]
    shown_auction = (
        f"open at {cash_text(auction['price'], cash_decimals, symbol)} clean, "
        f"{cash_text(auction['remaining'], decimals, isin)} left"
        if auction["price"]
        else "closed"
    )
    for item, value in [
        ("face value", f"{cash_text(state['face_value'], cash_decimals, symbol)} per bond"),
        ("outstanding", cash_text(state["supply"], decimals, isin)),
        ("held by the reserve", cash_text(state["reserve_holding"], decimals, isin)),
        ("issued / matures", f"{day(state['issue_date'])} / {day(state['maturity'])}"),
        ("auction", shown_auction),
        *_value_lines(state, cash_decimals, symbol),
        *_redemption_lines(state, cash_decimals, symbol),
    ]:
        summary.add_row(item, value)
    for call in state.get("calls", []):
        summary.add_row(
            f"call option {call['index']}",
            f"{day(call['date'])} at {cash_text(call['price'], cash_decimals, symbol)}",
        )
    console.print(summary)

    table = Table(title=f"{isin}: coupon schedule")
    for col in ("#", "record date", "pay date", "rate", "per bond", "funded", "claimed", "state"):
        table.add_column(
            col, justify="right" if col in ("#", "per bond", "funded", "claimed") else "left"
        )
    for row in state.get("coupons", []):
        table.add_row(
            str(row["coupon"]),
            day(row["record_date"]),
            day(row["pay_date"]),
            percent(row["rate_wad"]) if row["rate_wad"] is not None else "not fixed",
            format_amount(row["per_bond"], cash_decimals) if row["per_bond"] is not None else "-",
            format_amount(row["funded"], cash_decimals),
            format_amount(row["claimed"], cash_decimals),
            row["state"],
        )
    console.print(table)
