"""The commodity part of ``ape treasury status``: each commodity token's proof of reserve
(the attestation's age and expiry, the backing) and price, and the FX rate in use."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from sovereign.sentences._fmt import span
from sovereign.units import format_amount


def read_commodities(system, now: int) -> dict | None:
    """None for a deployment without commodities."""
    book = getattr(system, "commodity", None)
    if book is None:
        return None
    fx = next(iter(book.commodities.values())).price_feed if book.commodities else None
    rows = [_read_one(system, symbol, c, now) for symbol, c in book.commodities.items()]
    return {"fx": _read_fx(book, fx, now), "tokens": rows}


def _read_fx(book, converter, now: int) -> dict:
    _, answer, _, updated_at, _ = book.fx_feed.latestRoundData()
    out = {
        "feed": book.fx_feed.address,
        "description": book.fx_feed.description(),
        "latest_answer": int(answer),
        "decimals": int(book.fx_feed.decimals()),
        "age_seconds": now - int(updated_at) if updated_at else None,
    }
    if converter is not None:
        spot, used, _, closed = converter.rate()
        out.update(spot_wad=int(spot), rate_wad=int(used), market_closed=bool(closed))
    return out


def _read_one(system, symbol: str, c, now: int) -> dict:
    live, root, total, as_of, expires_at, nonce = system.commodity.attestations.current(c.token)
    _, backing, _ = c.token.backing()
    _, price, _, price_at, _ = c.price_feed.latestRoundData()
    held = int(c.token.balanceOf(system.reserve.address))
    assets, _, counted, _ = system.reserve.collateralBreakdown()
    counted_by = dict(zip(assets, counted, strict=True))
    suspended = int(system.commodity.attestations.suspendedNonce(c.token)) == int(nonce) != 0
    return {
        "symbol": symbol,
        "token": c.token.address,
        "unit": c.token.unit(),
        "decimals": int(c.token.decimals()),
        "supply": int(c.token.totalSupply()),
        "backing": int(backing),
        "attestation": {
            "live": bool(live),
            "nonce": int(nonce),
            "lots_root": "0x" + bytes(root).hex(),
            "total": int(total),
            "as_of": int(as_of),
            "age_seconds": now - int(as_of) if nonce else None,
            "expires_at": int(expires_at),
            "expires_in_seconds": int(expires_at) - now if nonce else None,
            "suspended": suspended,
        },
        "price_wad": int(price),  # peg currency per whole unit, FX and closed-market cut in
        "price_age_seconds": now - int(price_at) if price_at else None,
        "reserve_holding": held,
        "counted_value_wad": int(counted_by.get(c.token.address, 0)),
    }


def _attestation_text(a: dict) -> str:
    if not a["nonce"]:
        return "none"
    if a["suspended"]:
        state = "SUSPENDED"
    elif not a["live"]:
        state = f"EXPIRED {span(-a['expires_in_seconds'])} ago"
    else:
        state = f"expires in {span(a['expires_in_seconds'])}"
    return f"#{a['nonce']}, {span(a['age_seconds'])} old, {state}"


def render_commodities(data: dict, peg: str, console: Console) -> None:
    fx = data["fx"]
    age = "never" if fx["age_seconds"] is None else f"{span(fx['age_seconds'])} old"
    used = fx.get("rate_wad")
    line = (
        f"FX {fx['description']}: latest {format_amount(fx['latest_answer'], fx['decimals'], 4)} "
        f"({age})"
    )
    if used is not None:
        market = "closed" if fx["market_closed"] else "open"
        in_use = format_amount(used, 18, 4) if used else "none (counted at zero)"
        line += f"; in use {in_use}, market {market}"
    console.print(line, highlight=False)
    table = Table(title=f"Commodities (prices in {peg} per whole unit)")
    columns = ("token", "unit", "supply", "backing", "attestation", "price", "reserve holds")
    for col in (*columns, "counted"):
        left = col in ("token", "unit", "attestation")
        table.add_column(col, justify="left" if left else "right")
    for t in data["tokens"]:
        table.add_row(
            t["symbol"],
            t["unit"],
            format_amount(t["supply"], t["decimals"]),
            format_amount(t["backing"], t["decimals"]),
            _attestation_text(t["attestation"]),
            format_amount(t["price_wad"], 18) if t["price_wad"] else "none",
            format_amount(t["reserve_holding"], t["decimals"]),
            format_amount(t["counted_value_wad"], 18),
        )
    console.print(table)
