"""`ape treasury bonds …` end to end, on an Anvil of the module's own: a five-year bond
issued through the registry and auctioned, bought (part delivered to the reserve),
listed as collateral through its feeds and the governor's delay, its first coupon funded
at the record date and claimed for the reserve; a callable bond called; a bond left
unpaid in default; `status` showing them. Then every kind of bad input: one line, its
exit code, and nothing sent (no account's nonce moves).

The commands run through ape's command-line entry point inside this process (as
tests/e2e/test_treasury_cli.py explains); the first issue runs as a real process, so
the exit code a shell sees is checked too. The tests share the module's chain and run
in order: each one measures what it changes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sovereign.bonds import isin_check_digit
from sovereign.cli.base import Exit
from tests.utils.deployed import cli, deploy_funded
from tests.utils.node import module_node

pytestmark = pytest.mark.xdist_group("cli-bonds")

DAY = 86_400
CASH = 10**6
ISIN = "SLB500000017"
CALLABLE = "SL0000000029"
UNPAID = "SL0000000037"
FLOATING = "SL0000000052"
NEVER = "SL0000000045"  # a valid ISIN no series has
INVESTOR = "0x1CBd3b2770909D4e10f157cABC84C7264073C9Ec"  # Anvil account 13
TREASURY = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # Anvil account 0, the deployer


node = pytest.fixture(scope="module")(module_node)


@pytest.fixture(scope="module")
def deployed(node, tmp_path_factory, accounts):
    """Deployed by `ape run deploy` (deploy/local.yaml), 10,000,000 cash in the vault for
    the reserve, an exchange licensed; the investor and the treasury get cash to buy."""
    deployments = tmp_path_factory.mktemp("deployments")
    manifest = deploy_funded(node, deployments, accounts)
    for who in (INVESTOR, "treasury"):
        run(node, deployments, "cash", "issue", who, "5,000,000", "--yes", check=True)
    return deployments, manifest


def run(node, deployments, *args, check=False, process=False):
    return cli(*args, node=node, deployments=deployments, check=check, process=process)


def js(out) -> dict:
    """The --json document: stdout alone, one JSON value."""
    return json.loads(out.stdout)


def today(node) -> dt.date:
    head = node.rpc("eth_getBlockByNumber", ["latest", False])
    return dt.datetime.fromtimestamp(int(head["timestamp"], 16), dt.UTC).date()


def months(day: dt.date, n: int) -> dt.date:
    m = day.month - 1 + n
    return day.replace(year=day.year + m // 12, month=m % 12 + 1)


def issue_day(node) -> dt.date:
    now = today(node)
    return now if now.day <= 27 else now.replace(day=27)


def advance_to(node, day: dt.date, hour: int = 1) -> None:
    """Move the node's clock to ``hour`` o'clock UTC of ``day`` (a later day)."""
    target = int(dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC).timestamp())
    head = int(node.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    node.advance(target - head)


def terms(node, isin: str, *extra: str) -> list[str]:
    issue = issue_day(node)
    return [
        "bonds", "issue", isin, "--name", "Sovereign Bond", "--face", "100.00",
        "--coupon", "5%", "--issue-date", issue.isoformat(),
        "--first-coupon", months(issue, 6).isoformat(),
        "--maturity", months(issue, 60).isoformat(), *extra,
    ]  # fmt: skip


def show(node, deployments, isin: str = ISIN) -> dict:
    return js(run(node, deployments, "bonds", "show", isin, "--json", check=True))


def test_the_isins_here_are_valid():
    for isin in (ISIN, CALLABLE, UNPAID, FLOATING, NEVER):
        assert isin_check_digit(isin[:11]) == int(isin[11]), isin


def test_issue__creates_the_series_and_opens_its_auction(node, deployed):
    deployments, _ = deployed
    args = terms(node, ISIN, "--price", "99.50", "--amount", "100,000", "--yes", "--json")
    out = run(node, deployments, *args, process=True)  # the exit code a shell sees
    assert out.returncode == 0, out.stderr[-1500:]
    result = js(out)
    assert result["status"] == "sent" and len(result["transactions"]) == 2
    assert result["isin"] == ISIN
    state = show(node, deployments)
    assert state["address"] == result["series"] and state["name"] == "Sovereign Bond"
    assert state["face_value"] == 100 * CASH and state["decimals"] == 6
    assert state["auction"] == {"price": 99_500_000, "remaining": 100_000 * CASH}
    coupons = state["coupons"]
    assert len(coupons) == 10 and all(c["per_bond"] == 2_500_000 for c in coupons)
    assert all(c["rate_wad"] == 5 * 10**16 and c["state"] == "upcoming" for c in coupons)
    first = months(issue_day(node), 6)
    pay = dt.datetime.fromtimestamp(coupons[0]["pay_date"], dt.UTC).date()
    record = dt.datetime.fromtimestamp(coupons[0]["record_date"], dt.UTC).date()
    assert pay == first and (pay - record).days == 15
    assert state["redemption"]["called"] is False and state["default"]["defaulted"] is False


def test_issue__the_same_isin_again__refused(node, deployed):
    deployments, _ = deployed
    out = run(node, deployments, *terms(node, ISIN, "--yes"))
    assert out.returncode == Exit.INPUT and f"a bond with ISIN {ISIN} exists already" in out.stderr


def test_auction__repriced_closed_and_reopened(node, deployed):
    deployments, _ = deployed
    base = ("bonds", "auction", ISIN)
    out = run(node, deployments, *base, "--price", "99.75", "--amount", "50,000", "--yes", "--json")
    assert js(out)["status"] == "sent"
    assert show(node, deployments)["auction"] == {"price": 99_750_000, "remaining": 50_000 * CASH}
    run(node, deployments, *base, "--close", "--yes", check=True)
    assert show(node, deployments)["auction"] == {"price": 0, "remaining": 0}
    again = run(node, deployments, *base, "--close", "--yes")
    assert again.returncode == Exit.REFUSED and "no auction of" in again.stderr
    run(node, deployments, *base, "--price", "99.50", "--amount", "100,000", "--yes", check=True)


def test_buy__clean_price_plus_accrued__part_delivered_to_the_reserve(node, deployed):
    deployments, manifest = deployed
    reserve = manifest["contracts"]["Reserve"]["address"]
    buy = ("bonds", "buy", ISIN)
    out = run(node, deployments, *buy, "10,000", "--max-price", "99.50", "--account", "TEST::13",
              "--yes", "--json")  # fmt: skip
    result = js(out)
    assert result["status"] == "sent" and len(result["transactions"]) == 2  # approve, buy
    assert result["recipient"] == INVESTOR
    out = run(node, deployments, *buy, "20,000", "--max-price", "99.50", "--to", "reserve",
              "--account", "TEST::0", "--yes", "--json")  # fmt: skip
    result = js(out)
    assert len(result["transactions"]) == 3 and result["recipient"] == reserve
    assert "(reserve)" in result["action"]
    state = show(node, deployments)
    assert state["supply"] == 30_000 * CASH and state["reserve_holding"] == 20_000 * CASH
    assert state["auction"]["remaining"] == 70_000 * CASH
    low = run(
        node, deployments, *buy, "1", "--max-price", "99.00", "--account", "TEST::13", "--yes"
    )
    assert low.returncode == Exit.REFUSED
    assert "the clean price 99.50 eSHL per bond is above the limit of 99.00 eSHL" in low.stderr


def test_feeds_and_collateral__scheduled__then_executed_after_the_delay(node, deployed):
    deployments, _ = deployed
    out = run(node, deployments, "bonds", "feeds", ISIN, "--yes", "--json", check=True)
    feeds = js(out)
    manifest = json.loads(next(deployments.glob("*.json")).read_text())
    assert manifest["contracts"][f"feed:{ISIN}"]["address"] == feeds["clean_price_feed"]
    assert manifest["contracts"][f"bond-feed:{ISIN}"]["address"] == feeds["value_feed"]
    twice = run(node, deployments, "bonds", "feeds", ISIN, "--yes")
    assert twice.returncode == Exit.REFUSED and "names feeds for" in twice.stderr
    listing = ("bonds", "collateral", ISIN, "--price", "99.50", "--heartbeat", "86400",
               "--haircut", "0", "--cap", "5000", "--yes")  # fmt: skip
    first = js(run(node, deployments, *listing, "--json", check=True))
    assert first["statuses"] == ["scheduled"] * 4
    pending = js(run(node, deployments, "governance", "pending", "--json", check=True))
    words = " ".join(op["words"] for op in pending["operations"])
    assert f"list the collateral {ISIN}" in words and f"force the price of the {ISIN} feed" in words
    early = run(node, deployments, *listing)
    assert early.returncode == Exit.REFUSED and "run the same command again then" in early.stderr
    node.advance(DAY + 60)
    run(node, deployments, "oracle", "report", "eSHL", "1.00", "--yes", check=True)
    second = js(run(node, deployments, *listing, "--json", check=True))
    assert second["statuses"] == ["executed"] * 4
    done = run(node, deployments, *listing)
    assert done.returncode == Exit.INPUT and "listed already" in done.stderr
    run(node, deployments, "oracle", "report", ISIN, "99.60", "--yes", check=True)  # the reporter
    state = show(node, deployments)
    assert state["clean_price"] == "99.60" and state["valuation"]["haircut_bps"] in (1_000, 1_800)
    assert state["reserve"]["counted_value_wad"] > 0


def test_status__shows_each_bond(node, deployed):
    deployments, _ = deployed
    state = js(run(node, deployments, "status", "--json", check=True))
    (bond,) = state["bonds"]
    assert bond["isin"] == ISIN and bond["next_coupon"] == 0 and bond["accrued"] > 0
    assert bond["dirty_price"] != bond["clean_price"] and bond["reserve"]["counted_value_wad"] > 0
    table = run(node, deployments, "status", check=True).stdout
    assert "Bonds (prices and interest per bond)" in table and ISIN in table


def test_coupon__funded_from_its_record_date__claimed_for_the_reserve(node, deployed):
    deployments, _ = deployed
    early = run(node, deployments, "bonds", "fund-coupon", ISIN, "--yes")
    assert early.returncode == Exit.INPUT and "no coupon to fund now" in early.stderr
    forced = run(node, deployments, "bonds", "fund-coupon", ISIN, "--coupon", "0", "--yes")
    assert forced.returncode == Exit.REFUSED and "is funded from its record date" in forced.stderr
    coupon = show(node, deployments)["coupons"][0]
    record = dt.datetime.fromtimestamp(coupon["record_date"], dt.UTC).date()
    advance_to(node, record)
    funded = js(run(node, deployments, "bonds", "fund-coupon", ISIN, "--yes", "--json", check=True))
    assert funded["coupon"] == 0 and funded["amount"] == str(75_000 * CASH)  # 30,000 x 2.50
    claim = ("bonds", "claim", ISIN, "--holder", "reserve", "--yes")
    not_yet = run(node, deployments, *claim)
    assert not_yet.returncode == Exit.REFUSED and "no coupon of" in not_yet.stderr
    advance_to(node, record + dt.timedelta(days=15))
    before = js(run(node, deployments, "status", "--json", check=True))["cash"]["reserve_balance"]
    paid = js(run(node, deployments, *claim, "--json", check=True))
    assert paid["coupons"] == [0] and paid["amount"] == str(50_000 * CASH)
    after = js(run(node, deployments, "status", "--json", check=True))["cash"]["reserve_balance"]
    assert after - before == 50_000 * CASH
    assert run(node, deployments, *claim).returncode == Exit.REFUSED  # paid once
    assert show(node, deployments)["coupons"][0]["state"] == "funded: claimable"  # the investor's
    mine = js(run(node, deployments, "bonds", "claim", ISIN, "--account", "TEST::13", "--yes",
                  "--json", check=True))  # fmt: skip
    assert mine["holder"] == INVESTOR and mine["amount"] == str(25_000 * CASH)
    assert show(node, deployments)["coupons"][0]["state"] == "paid in full"


def test_call__at_a_call_date__redeems_at_the_call_price(node, deployed):
    deployments, _ = deployed
    call_date = months(issue_day(node), 24)
    args = terms(node, CALLABLE, "--call", f"{call_date}:101.00", "--notice-days", "30")
    run(node, deployments, *args, "--price", "100.00", "--amount", "1,000", "--yes", check=True)
    run(node, deployments, "bonds", "buy", CALLABLE, "1,000", "--max-price", "100.00",
        "--account", "TEST::13", "--yes", check=True)  # fmt: skip
    wrong = run(node, deployments, "bonds", "call", CALLABLE, months(call_date, 6).isoformat())
    assert wrong.returncode == Exit.INPUT and f"its call dates: {call_date}" in wrong.stderr
    out = js(run(node, deployments, "bonds", "call", CALLABLE, call_date.isoformat(), "--yes",
                 "--json", check=True))  # fmt: skip
    assert out["call_index"] == 0 and "at 101.00 eSHL per bond" in out["action"]
    state = show(node, deployments, CALLABLE)
    assert state["redemption"]["called"] is True and state["redemption"]["price"] == 101 * CASH
    assert [c["state"] for c in state["coupons"]][4:] == [
        "cancelled: the bond was called before it"
    ] * 6


def test_default__a_coupon_unfunded_past_its_grace__recorded_by_anyone(node, deployed):
    deployments, _ = deployed
    run(node, deployments, *terms(node, UNPAID, "--price", "99.00", "--amount", "1,000", "--yes"),
        check=True)  # fmt: skip
    run(node, deployments, "bonds", "buy", UNPAID, "1,000", "--max-price", "99.00",
        "--account", "TEST::13", "--yes", check=True)  # fmt: skip
    nothing = run(node, deployments, "bonds", "default", UNPAID, "--yes")
    assert nothing.returncode == Exit.REFUSED and "past its grace period" in nothing.stderr
    pay = dt.datetime.fromtimestamp(
        show(node, deployments, UNPAID)["coupons"][0]["pay_date"], dt.UTC
    )
    advance_to(node, pay.date() + dt.timedelta(days=31))
    out = js(run(node, deployments, "bonds", "default", UNPAID, "--account", "TEST::15", "--yes",
                 "--json", check=True))  # fmt: skip
    assert out["coupon"] == 0 and out["status"] == "sent"
    state = show(node, deployments, UNPAID)
    assert state["default"]["defaulted"] is True and state["default"]["per_bond"] == 0
    assert state["coupons"][0]["state"] == "cancelled: default"


def test_redemption__at_the_call_date__principal_funded__redeemed_by_the_holder_and_for_it(
    node, deployed
):
    deployments, _ = deployed
    state = show(node, deployments, CALLABLE)
    assert state["redemption"]["principal_owed"] == 101_000 * CASH  # 1,000 at 101.00
    early = run(
        node, deployments, "bonds", "redeem", CALLABLE, "1", "--account", "TEST::13", "--yes"
    )
    assert early.returncode == Exit.REFUSED and "redeems from" in early.stderr
    advance_to(node, dt.datetime.fromtimestamp(state["redemption"]["date"], dt.UTC).date())
    funded = js(run(node, deployments, "bonds", "fund-principal", CALLABLE, "--yes", "--json",
                    check=True))  # fmt: skip
    assert funded["amount"] == str(101_000 * CASH)
    full = run(node, deployments, "bonds", "fund-principal", CALLABLE, "--yes")
    assert full.returncode == Exit.REFUSED and "is full: nothing to add" in full.stderr
    own = js(run(node, deployments, "bonds", "redeem", CALLABLE, "400", "--account", "TEST::13",
                 "--yes", "--json", check=True))  # fmt: skip
    assert own["status"] == "sent" and own["amount"] == str(400 * CASH)
    kept = js(run(node, deployments, "bonds", "redeem", CALLABLE, "600", "--holder", INVESTOR,
                  "--yes", "--json", check=True))  # fmt: skip
    assert kept["holder"] == INVESTOR and kept["account"] == TREASURY  # a keeper, paid to it
    state = show(node, deployments, CALLABLE)
    assert state["supply"] == 0 and state["redemption"]["principal_pool"] == 0


def test_floating__each_rate_fixed_from_the_reference_round_in_force(node, deployed):
    deployments, _ = deployed
    while (today(node) + dt.timedelta(days=1)).day > 27:
        node.advance(DAY)
    run(node, deployments, "oracle", "report", "eSHL", "1.00", "--yes", check=True)  # 100%
    issue = today(node) + dt.timedelta(days=1)
    args = ["bonds", "issue", FLOATING, "--name", "Floating", "--face", "100.00",
            "--reference", "eSHL", "--margin", "-95%", "--issue-date", issue.isoformat(),
            "--first-coupon", months(issue, 6).isoformat(),
            "--maturity", months(issue, 24).isoformat(), "--yes"]  # fmt: skip
    out = run(node, deployments, *args, check=True)
    assert "floating: " in out.stdout and " - 95.00%" in out.stdout
    assert show(node, deployments, FLOATING)["coupons"][0]["state"].startswith("rate not fixed")
    advance_to(node, issue)
    fixed = js(run(node, deployments, "bonds", "fix-rate", FLOATING, "--yes", "--json", check=True))
    assert fixed["coupon"] == 0
    coupon = show(node, deployments, FLOATING)["coupons"][0]
    assert coupon["rate_wad"] == 5 * 10**16 and coupon["per_bond"] == 2_500_000  # 100% - 95%
    later = run(node, deployments, "bonds", "fix-rate", FLOATING, "--yes")
    assert later.returncode == Exit.REFUSED and "at the fixing time" in later.stderr


# ------------------------------------------------------------------ bad input


BAD = {
    Exit.USAGE: [
        (["bonds", "show", "SL000000001"], "is not an ISIN: 12 characters"),
        (["bonds", "show", "SLB500000018"], "its check digit is 8, it should be 7"),
        (["bonds", "buy", ISIN, "10", "--max-price", "99", "--to", "0xdeadbeef",
          "--account", "TEST::13"], "neither a 20-byte address"),
        (["bonds", "buy", ISIN, "1,00", "--max-price", "99", "--account", "TEST::13"],
         "thousands separator in the wrong place"),
        (["bonds", "buy", ISIN, "-5", "--max-price", "99", "--account", "TEST::13"], "is negative"),
        (["bonds", "call", ISIN, "2030-02-30"], "is not a date: write YYYY-MM-DD"),
        ("issue", ["--maturity", "2031-13-01"], "is not a date"),
        ("issue", ["--day-count", "ACT/365"], "is not one of"),
        ("issue", ["--coupon", "5x"], "is not a rate"),
        ("issue", ["--coupon", "150%"], "above 100% a year"),
        ("issue", ["--call", "2029-03-01"], "is not DATE:PRICE"),
        (["bonds", "issue", NEVER, "--name", "N", "--face", "100", "--issue-date", "2027-01-04",
          "--first-coupon", "2027-07-04", "--maturity", "2032-01-04"], "give --coupon RATE"),
        (["bonds", "auction", ISIN, "--price", "99"], "give --price and --amount, or --close"),
    ],
    Exit.INPUT: [
        (["bonds", "show", NEVER], f"no bond series with ISIN {NEVER}; issued: {ISIN}"),
        (["bonds", "buy", ISIN, "1.0000001", "--max-price", "99.50", "--account", "TEST::13"],
         f"has 7 decimal places; {ISIN} has 6"),
        (["bonds", "buy", ISIN, "0", "--max-price", "99.50", "--account", "TEST::13"], "is zero"),
        (["bonds", "auction", ISIN, "--price", "99.1234567", "--amount", "1"], "the price has 6"),
        (["bonds", "buy", ISIN, "1", "--max-price", "99.50", "--to", "nobody",
          "--account", "TEST::13"], "neither an address nor a known label"),
        (["bonds", "claim", ISIN, "--coupon", "10"], "has 10 coupons, numbered 0 to 9"),
        (["bonds", "call", ISIN, "2029-01-04"], f"{ISIN} has no call option on 2029-01-04"),
        ("issue", ["--record-days", "45"], "--record-days 45: 0 to 30 days"),
    ],
    Exit.REFUSED: [
        ("issue", ["--maturity", "2031-12-04", "--first-coupon", "2027-07-04"],
         "the maturity 2031-12-04 00:00:00 UTC is not a whole number of coupon periods"),
        (["bonds", "buy", ISIN, "1", "--max-price", "99.50"], "--account is required"),
        (["bonds", "auction", ISIN, "--price", "99", "--amount", "1", "--account", "TEST::13"],
         "would fail"),
        (["bonds", "fund-coupon", ISIN, "--coupon", "0"], "fully funded: nothing to add"),
    ],
}  # fmt: skip


def _argv(node, case) -> list[str]:
    """A case's command line: its own, or an `issue` of a new ISIN with one option changed."""
    if case[0] != "issue":
        return case
    base = {
        "--name": "Bad", "--face": "100.00", "--coupon": "5%", "--issue-date": "2027-01-04",
        "--first-coupon": "2027-07-04", "--maturity": "2032-01-04",
    }  # fmt: skip
    changes = case[1]
    base.update(dict(zip(changes[::2], changes[1::2], strict=True)))
    return ["bonds", "issue", NEVER, *[x for kv in base.items() for x in kv]]


@pytest.mark.parametrize(
    "code,index",
    [(code, i) for code, cases in BAD.items() for i in range(len(cases))],
    ids=[f"{code.name.lower()}-{i}" for code, cases in BAD.items() for i in range(len(cases))],
)
def test_bad_input__one_line__its_exit_code__nothing_sent(node, deployed, code, index):
    deployments, _ = deployed
    case, fragment = BAD[code][index][:-1], BAD[code][index][-1]
    argv = _argv(node, case[0] if len(case) == 1 else case)
    before = node.nonces(node.accounts())
    out = run(node, deployments, *argv, *([] if argv[1] == "show" else ["--yes"]))
    assert out.returncode == int(code), (out.returncode, out.stdout[-800:], out.stderr[-800:])
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), out.stderr[-1500:]
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in out.stdout + out.stderr
    assert node.nonces(node.accounts()) == before, "an account's nonce moved: something was sent"
