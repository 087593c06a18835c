"""The transparency report as one self-contained HTML page: no CDN, no script, no
external file; the ratio chart is inline SVG drawn by matplotlib.

Every figure is written exactly, with its symbol, and carries its raw on-chain value in
``data-key`` / ``data-raw`` attributes, so that a reader (or the browser test,
tests/e2e/test_report_browser.py) can check each one against the chain.
"""

from __future__ import annotations

import datetime as dt
import io
from html import escape

from sovereign.units import format_amount, format_ratio

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;
color:#1b1f24;padding:0 1rem}h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;
margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}.meta{color:#57606a}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:.8rem;
margin-top:1rem}.card{border:1px solid #d0d7de;border-radius:8px;padding:.7rem .9rem}
.card .label{color:#57606a;font-size:.85rem}.card .value{font-size:1.15rem;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{padding:.35rem .5rem;
border-bottom:1px solid #eaeef2;text-align:left}td.n{text-align:right;
font-variant-numeric:tabular-nums}.bad{color:#cf222e;font-weight:600}.ok{color:#1a7f37}
code{font-size:.85rem}
"""


def _utc(ts: int) -> str:
    return f"{dt.datetime.fromtimestamp(int(ts), dt.UTC):%Y-%m-%d %H:%M:%S} UTC"


def _cell(key: str, raw, shown: str, numeric=True) -> str:
    cls = ' class="n"' if numeric else ""
    return f'<td{cls} data-key="{escape(key)}" data-raw="{escape(str(raw))}">{escape(shown)}</td>'


def _card(key: str, raw, label: str, shown: str) -> str:
    return (
        f'<div class="card"><div class="label">{escape(label)}</div><div class="value" '
        f'data-key="{escape(key)}" data-raw="{escape(str(raw))}">{escape(shown)}</div></div>'
    )


def _table(head: list[str], rows: list[str]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(f"<tr>{r}</tr>" for r in rows) or f'<tr><td colspan="{len(head)}">none</td></tr>'
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def ratio_chart(history: list[dict]) -> str:
    """The collateral ratio and its minimum since the deployment, as an inline SVG."""
    import matplotlib

    matplotlib.use("svg")
    from matplotlib import pyplot as plt

    points = [h for h in history if h["ratio_wad"] is not None]
    fig, ax = plt.subplots(figsize=(10, 3.2))
    if points:
        when = [dt.datetime.fromtimestamp(h["timestamp"], dt.UTC) for h in points]
        ax.step(
            when,
            [min(h["ratio_wad"] / 1e16, 1e4) for h in points],
            where="post",
            label="collateral ratio",
            color="#0969da",
        )
        ax.step(
            when,
            [h["min_ratio_wad"] / 1e16 for h in points],
            where="post",
            label="minimum",
            color="#cf222e",
            linestyle="--",
        )
        ax.legend(loc="upper right", frameon=False)
    ax.set_ylabel("%")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = out.getvalue()
    return svg[svg.index("<svg") :]


def render(report: dict) -> str:
    s = report["status"]
    coin, cash = s["stablecoin"]["symbol"], s["cash"]["symbol"]
    cdec = s["cash"]["decimals"]

    def peg(value_wad: int) -> str:
        return f"{format_amount(int(value_wad), 18)} {cash}"

    parts = [
        f"<h1>{escape(coin)}: reserve transparency report</h1>",
        f'<p class="meta">Read from chain {report["chain_id"]} at block '
        f'<span data-key="block" data-raw="{report["block"]}">{report["block"]:,}</span>, '
        f"{_utc(report['timestamp'])}. Every figure below is read from the chain at that "
        "block; report.json beside this page holds them all, and any node reproduces them.</p>",
        '<div class="cards">',
        _card(
            "supply",
            s["stablecoin"]["total_supply"],
            f"{coin} supply",
            f"{format_amount(s['stablecoin']['total_supply'], 18)} {coin}",
        ),
        _card(
            "collateral_value",
            s["collateral_value_wad"],
            "Collateral counted (haircut, capped)",
            peg(s["collateral_value_wad"]),
        ),
        _card(
            "collateral_ratio",
            s["collateral_ratio_wad"],
            "Collateral ratio",
            format_ratio(s["collateral_ratio_wad"]),
        ),
        _card(
            "min_collateral_ratio",
            s["min_collateral_ratio_wad"],
            "Minimum ratio",
            format_ratio(s["min_collateral_ratio_wad"]),
        ),
        _card(
            "reserve_cash",
            s["cash"]["reserve_balance"],
            "Redemption cash in the reserve",
            f"{format_amount(s['cash']['reserve_balance'], cdec)} {cash}",
        ),
        "</div>",
        "<h2>Collateral ratio since deployment</h2>",
        ratio_chart(report["ratio_history"]),
    ]
    parts += _collateral(report, s, peg)
    parts += _commodities(s)
    parts += _debt(s, cash, cdec)
    parts += _desk(report, coin, cash, cdec)
    parts += _governance(report)
    body = "\n".join(parts)
    title = f"{coin} reserve transparency report, block {report['block']}"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def _collateral(report, s, peg) -> list[str]:
    counted = report["counted_by_asset_wad"]
    rows = []
    for a in s["assets"]:
        sym, age = a["symbol"], a["feed_age_seconds"]
        fresh = "fresh" if a["fresh"] else "no usable price: counts 0"
        rows.append(
            f"<td>{escape(sym)}</td><td>{escape(a['class'])}</td>"
            + _cell(
                f"asset:{sym}:balance", a["balance"], format_amount(a["balance"], a["decimals"])
            )
            + _cell(
                f"asset:{sym}:price", a["price"], format_amount(a["price"], a["price_decimals"])
            )
            + _cell(
                f"asset:{sym}:feed_age",
                age if age is not None else "",
                "never" if age is None else f"{age:,} s",
            )
            + _cell(
                f"asset:{sym}:heartbeat",
                a["heartbeat_seconds"],
                f"{a['heartbeat_seconds']:,} s ({fresh})",
            )
            + _cell(
                f"asset:{sym}:haircut_value", a["haircut_value_wad"], peg(a["haircut_value_wad"])
            )
            + _cell(
                f"asset:{sym}:counted", counted.get(a["asset"], 0), peg(counted.get(a["asset"], 0))
            )
        )
    classes = [_cell(f"class:{k}", v, peg(v)) for k, v in report["counted_by_class_wad"].items()]
    class_rows = [
        f"<td>{escape(k)}</td>{c}"
        for k, c in zip(report["counted_by_class_wad"], classes, strict=True)
    ]
    return [
        "<h2>Collateral by asset</h2>",
        _table(
            [
                "asset",
                "class",
                "balance",
                "price",
                "feed age",
                "heartbeat",
                "haircut value",
                "counted",
            ],
            rows,
        ),
        "<h2>Collateral by asset class (haircut value, before caps)</h2>",
        _table(["class", "value"], class_rows),
    ]


def _commodities(s) -> list[str]:
    c = s.get("commodities")
    if not c:
        return []
    rows = []
    for tok in c["tokens"]:
        sym, a = tok["symbol"], tok["attestation"]
        age = a["age_seconds"]
        state = "live" if a["live"] else ("SUSPENDED" if a["suspended"] else "NOT LIVE: counts 0")
        rows.append(
            f"<td>{escape(sym)}</td>"
            + _cell(
                f"attestation:{sym}:age",
                "" if age is None else age,
                "none" if age is None else f"{age:,} s",
            )
            + _cell(
                f"attestation:{sym}:expires_at",
                a["expires_at"],
                _utc(a["expires_at"]) if a["nonce"] else "none",
            )
            + f"<td>{state}</td>"
            + _cell(
                f"attestation:{sym}:backing",
                tok["backing"],
                f"{format_amount(tok['backing'], tok['decimals'])} {sym}",
            )
        )
    fx = c["fx"]
    fx_age = fx["age_seconds"]
    return [
        "<h2>Proof of reserve (commodity attestations)</h2>",
        _table(["token", "statement age", "expires", "state", "backing"], rows),
        f"<p>FX fixing in use: <span data-key=\"fx:answer\" data-raw=\"{fx['latest_answer']}\">"
        f"{format_amount(fx['latest_answer'], fx['decimals'])}</span>, "
        f'<span data-key="fx:age" data-raw="{"" if fx_age is None else fx_age}">'
        f"{'never' if fx_age is None else f'{fx_age:,} s'}</span> old.</p>",
    ]


def _debt(s, cash: str, cdec: int) -> list[str]:
    out = []
    ladder = s.get("vault")
    if ladder:
        rows = [
            f"<td>{escape(lot['code'])}</td>"
            + _cell(f"bill:{lot['code']}:maturity", lot["maturity"], _utc(lot["maturity"]), False)
            + _cell(
                f"bill:{lot['code']}:face",
                lot["face"],
                f"{format_amount(lot['face'], cdec)} {cash}",
            )
            + _cell(
                f"bill:{lot['code']}:value",
                lot["value"],
                f"{format_amount(lot['value'], cdec)} {cash}",
            )
            + f"<td>{escape(lot['state'])}</td>"
            for lot in ladder["lots"]
        ]
        out += [
            "<h2>T-bill ladder (the vault)</h2>",
            _table(["series", "maturity", "face", "value", "state"], rows),
        ]
    bonds = s.get("bonds") or []
    if bonds:
        rows = [
            f"<td>{escape(b['isin'])}</td><td>{escape(b['name'])}</td>"
            + _cell(
                f"bond:{b['isin']}:next_coupon",
                b["next_coupon_date"] or "",
                _utc(b["next_coupon_date"]) if b["next_coupon_date"] else "none",
                False,
            )
            + _cell(f"bond:{b['isin']}:maturity", b["maturity"], _utc(b["maturity"]), False)
            + _cell(
                f"bond:{b['isin']}:reserve_holding",
                b["reserve_holding"],
                format_amount(b["reserve_holding"], b["decimals"]),
            )
            for b in bonds
        ]
        out += [
            "<h2>Bond schedules</h2>",
            _table(["ISIN", "name", "next coupon", "maturity", "held by the reserve"], rows),
        ]
    return out


def _desk(report, coin: str, cash: str, cdec: int) -> list[str]:
    d = report.get("redemptions")
    if not d:
        return []
    age = d["oldest_age"]
    rows = [
        "<td>queued requests</td>"
        + _cell("desk:queued_requests", d["queued_requests"], f"{d['queued_requests']:,}"),
        "<td>queued coins (unpaid)</td>"
        + _cell(
            "desk:queued_coins",
            d["queued_coins"],
            f"{format_amount(int(d['queued_coins']), 18)} {coin}",
        ),
        "<td>oldest request</td>"
        + _cell(
            "desk:oldest_age", "" if age is None else age, "none" if age is None else f"{age:,} s"
        ),
        "<td>limits (the ratio's factor)</td>"
        + _cell("desk:factor", d["capacity_factor_bps"], f"{d['capacity_factor_bps'] / 100:.2f}%"),
    ]
    for name in ("hour", "day"):
        b = d[name]
        rows.append(
            f"<td>{name} bucket: room</td>"
            + _cell(f"desk:{name}_room", b["room"], f"{format_amount(int(b['room']), 18)} {coin}")
        )
        rows.append(
            f"<td>{name} bucket: capacity</td>"
            + _cell(
                f"desk:{name}_capacity",
                b["capacity"],
                f"{format_amount(int(b['capacity']), 18)} {coin}",
            )
        )
    return ["<h2>Redemption queue and limits</h2>", _table(["figure", "value"], rows)]


def _governance(report) -> list[str]:
    pending = [
        f"<td>{escape(op['words'])}</td><td>{escape(op['executable_at_utc'])}</td>"
        f"<td>{escape(op['state'])}</td>"
        for op in report["pending"]
    ]

    def holders(r) -> str:
        return ", ".join(f"{h['label'] or '?'} {h['account']}" for h in r["holders"]) or "none"

    roles = [f"<td>{escape(r['role'])}</td><td>{escape(holders(r))}</td>" for r in report["roles"]]
    contracts = [
        f"<td>{escape(name)}</td><td><code>{escape(addr)}</code></td>"
        for name, addr in sorted(report["contracts"].items())
    ]
    return [
        "<h2>Pending governance operations</h2>",
        _table(["operation", "executable from", "state"], pending),
        "<h2>Role holders</h2>",
        _table(["role", "held by"], roles),
        "<h2>Contracts</h2>",
        _table(["contract", "address"], contracts),
    ]
