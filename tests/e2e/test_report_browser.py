"""The transparency page in a real browser: Debian's chromium, headless, driven by
PyPI playwright with its executable_path (no browser is downloaded; `make browser`
installs chromium, `.ci/run` calls it).

On an Anvil of the module's own the CLI deploys the system (deploy/local.yaml: the
redemption desk on), the treasury deposits cash into the vault for the reserve, the debt
office issues a bill the vault buys, the exchange receives coins and queues a
redemption past the hour's limit. `ape treasury report --html DIR` writes the page; the
browser loads it, and **every figure that carries a `data-key`** is checked against the
chain, read independently here at the block the page names: a key this test does not
know fails it, so a number added to the page without a check cannot pass. The
screenshot is saved as reports/transparency-test.png."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sovereign.units import WAD, format_amount, format_ratio, text_to_bytes32
from tests.e2e.test_cli_bonds import ISIN as BOND
from tests.e2e.test_cli_bonds import terms as bond_terms
from tests.utils.constants import ROOT
from tests.utils.deployed import EXCHANGE, cli, deploy_funded, on_node
from tests.utils.node import module_node

pytestmark = pytest.mark.xdist_group("report-browser")
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]  # fmt: skip


# Gold priced in USD through an FX fixing; no statement submitted: the page shows the
# token not live, its backing zero, and the fixing in use.
COMMODITIES = """
fx:
  quote: USD
  rate: "22.50"
commodities:
  - symbol: SGLD
    name: Sovereign Gold
    unit: troy ounce of fine gold
    decimals: 3
    class: METALS
    quote: XAU
    price: "2400"
    ceiling: "50000000000"
    attesters: [custodian]
    threshold: 1
    custodians: {VAULT-CO: custodian}
"""


node = pytest.fixture(scope="module")(module_node)


@pytest.fixture(scope="module")
def page_dir(node, tmp_path_factory, accounts):
    deployments = tmp_path_factory.mktemp("report")
    manifest = deploy_funded(node, deployments, accounts, extra_config=COMMODITIES)
    run = lambda *a: cli(*a, node=node, deployments=deployments, check=True)  # noqa: E731
    run("bills", "issue", "SLTB-WEB", "--days", "91", "--price", "0.9875", "--amount",
        "1,000,000", "--yes")  # fmt: skip
    run("bills", "buy", "SLTB-WEB", "100,000", "--max-price", "0.99", "--yes")
    with on_node(node, deployments) as system:
        by_address = {a.address: a for a in accounts}
        minter = by_address[manifest["holders"]["minter"]]
        bank = by_address[manifest["holders"]["central-bank"]]
        system.cash.mint(system.reserve, 200_000 * 10**6, sender=bank)
        system.cash.mint(manifest["deployer"], 5_000_000 * 10**6, sender=bank)
        system.reserve.mint(EXCHANGE, 1_000_000 * WAD, text_to_bytes32("WEB-1"), sender=minter)
    # A coupon bond, part of it bought for the reserve: its schedule is on the page.
    run(*bond_terms(node, BOND, "--price", "99.50", "--amount", "100,000", "--yes"))
    run("bonds", "buy", BOND, "20,000", "--max-price", "99.50", "--to", "reserve",
        "--account", "TEST::0", "--yes")  # fmt: skip
    run("redeem", "80,000", "--id", "WEB-R1", "--account", "TEST::16", "--yes")  # queued
    out = tmp_path_factory.mktemp("page") / "site"
    run("report", "--html", str(out))
    return deployments, out


def _expected(system, report: dict, key: str) -> str:
    """What the chain says ``key`` is, at the page's block, formatted as the page must."""
    block = report["block"]
    coin, cash, reserve = system.stablecoin, system.cash, system.reserve
    cash_sym, cdec = cash.symbol(), int(cash.decimals())
    peg = lambda v: f"{format_amount(int(v), 18)} {cash_sym}"  # noqa: E731
    now = report["timestamp"]
    if key == "block":
        return f"{block:,}"
    if key == "supply":
        return f"{format_amount(coin.totalSupply(block_id=block), 18)} {coin.symbol()}"
    if key == "collateral_value":
        return peg(reserve.collateralValue(block_id=block))
    if key == "collateral_ratio":
        return format_ratio(reserve.collateralRatio(block_id=block))
    if key == "min_collateral_ratio":
        return format_ratio(reserve.minCollateralRatioWad(block_id=block))
    if key == "reserve_cash":
        return f"{format_amount(cash.balanceOf(reserve, block_id=block), cdec)} {cash_sym}"
    kind, _, rest = key.partition(":")
    if kind == "asset":
        symbol, field = rest.rsplit(":", 1)
        asset = next(a for a in reserve.collateralAssets(block_id=block)
                     if _symbol(a) == symbol)  # fmt: skip
        balance, answer, updated, _, haircut = reserve.assetStatus(asset, block_id=block)
        cfg = reserve.collateralConfig(asset, block_id=block)
        from sovereign import artifacts

        feed = artifacts.at("ReportedPriceFeed", cfg.feed)
        assets, _, counted, _ = reserve.collateralBreakdown(block_id=block)
        return {
            "balance": lambda: format_amount(int(balance), int(cfg.assetDecimals)),
            "price": lambda: format_amount(int(answer), int(feed.decimals())),
            "feed_age": lambda: f"{now - int(updated):,} s" if updated else "never",
            "haircut_value": lambda: peg(haircut),
            "counted": lambda: peg(dict(zip(assets, counted, strict=True))[asset]),
            "heartbeat": lambda: f"{int(cfg.heartbeat):,} s ("
            + (
                "fresh"
                if reserve.assetStatus(asset, block_id=block)[3]
                else "no usable price: counts 0"
            )
            + ")",
        }[field]()
    if kind == "class":  # the haircut values of the assets of the class, summed
        rows = [a for a in report["status"]["assets"] if a["class"] == rest]
        return peg(sum(int(reserve.assetStatus(a["asset"], block_id=block)[4]) for a in rows))
    if kind == "bill":
        code, field = rest.rsplit(":", 1)
        vault = system.vault
        from sovereign import artifacts

        for lot in [*vault.accruingLots(block_id=block), *vault.maturedLots(block_id=block)]:
            if artifacts.at("TBillSeries", lot.series).seriesCode() == code:
                if field == "maturity":
                    return _utc(lot.maturity)
                raw = lot.face if field == "face" else vault.lotValue(lot, block_id=block)
                return f"{format_amount(int(raw), cdec)} {cash_sym}"
    if kind == "bond":
        isin, field = rest.rsplit(":", 1)
        from sovereign.bonds import find_series

        series = find_series(system.bond_registry, isin)
        if field == "reserve_holding":
            return format_amount(int(series.balanceOf(reserve, block_id=block)),
                                 int(series.decimals()))  # fmt: skip
        if field == "maturity":
            return _utc(series.maturity())
        nxt = int(series.nextCoupon(now, block_id=block))
        count = int(series.couponCount(block_id=block))
        return _utc(series.couponDate(nxt)) if nxt < count else "none"
    if kind == "attestation":
        symbol, field = rest.rsplit(":", 1)
        token = system.commodity.commodities[symbol].token
        current = system.commodity.attestations.current(token, block_id=block)
        _, _, _, as_of, expires_at, nonce = current
        if field == "age":
            return f"{now - int(as_of):,} s" if nonce else "none"
        if field == "expires_at":
            return _utc(expires_at) if nonce else "none"
        backing = int(token.backing(block_id=block)[1])
        return f"{format_amount(backing, int(token.decimals()))} {symbol}"
    if kind == "fx":
        fx = system.commodity.fx_feed
        _, answer, _, updated, _ = fx.latestRoundData(block_id=block)
        if rest == "answer":
            return format_amount(int(answer), int(fx.decimals()))
        return f"{now - int(updated):,} s" if updated else "never"
    if kind == "desk":
        desk = system.desk
        if rest in ("hour_room", "hour_capacity", "day_room", "day_capacity"):
            b = desk.buckets("0x" + "0" * 40, block_id=block)
            name = {"hour_room": "hourRoom", "hour_capacity": "hourCapacity",
                    "day_room": "dayRoom", "day_capacity": "dayCapacity"}[rest]  # fmt: skip
            return f"{format_amount(int(getattr(b, name)), 18)} {coin.symbol()}"
        if rest == "factor":
            return f"{int(desk.capacityFactorBps(block_id=block)) / 100:.2f}%"
        rows = [desk.request(i, block_id=block)
                for i in range(1, int(desk.requestCount(block_id=block)) + 1)]  # fmt: skip
        open_ = [r for r in rows if int(r.state) in (1, 2) and int(r.unpaid)]
        if rest == "queued_requests":
            return f"{len(open_):,}"
        if rest == "queued_coins":
            return f"{format_amount(sum(int(r.unpaid) for r in open_), 18)} {coin.symbol()}"
        if rest == "oldest_age":
            return f"{now - min(int(r.requestedAt) for r in open_):,} s" if open_ else "none"
    raise AssertionError(f"the page shows {key!r}, which this test does not check")


def _utc(ts) -> str:
    import datetime as dt

    return f"{dt.datetime.fromtimestamp(int(ts), dt.UTC):%Y-%m-%d %H:%M:%S} UTC"


def _symbol(address) -> str:
    from sovereign import artifacts

    return artifacts.at("MockERC20", address).symbol()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed: "
                    "`make browser` installs it (.ci/run does)")  # fmt: skip
def test_the_page_in_chromium__every_figure_equals_the_chain(node, page_dir):
    from playwright.sync_api import sync_playwright

    deployments, site = page_dir
    report = json.loads((site / "report.json").read_text())
    html = (site / "index.html").read_text()
    assert "<script" not in html and "<link" not in html  # self-contained: nothing to fetch
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        fetched = []
        page.on("request", lambda request: fetched.append(request.url))
        page.goto((site / "index.html").resolve().as_uri())
        assert all(url.startswith("file://") for url in fetched), fetched  # no CDN, no network
        shown = page.eval_on_selector_all(
            "[data-key]", "els => els.map(e => [e.dataset.key, e.innerText.trim()])"
        )
        assert page.locator("svg").count() >= 1  # the ratio chart, inline
        reports = ROOT / "reports"
        reports.mkdir(exist_ok=True)
        page.screenshot(path=str(reports / "transparency-test.png"), full_page=True)
        browser.close()
    keys = {k for k, _ in shown}
    for needed in (
        "supply",
        "collateral_ratio",
        "desk:queued_coins",
        "bill:SLTB-WEB:face",
        "attestation:SGLD:backing",
        "fx:answer",
        "asset:STBF:heartbeat",
        f"bond:{BOND}:next_coupon",
        f"bond:{BOND}:reserve_holding",
    ):
        assert needed in keys, needed
    with on_node(node, deployments) as system:
        wrong = [(k, text, _expected(system, report, k)) for k, text in shown
                 if text != _expected(system, report, k)]  # fmt: skip
    assert not wrong, wrong
    assert len(shown) >= 20


def test_report__an_unwritable_folder__one_line_exit_3(node, page_dir, tmp_path):
    deployments, _ = page_dir
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = cli("report", "--html", str(blocker / "sub"), node=node, deployments=deployments)
    assert out.returncode == 3, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot be created" in lines[0]
