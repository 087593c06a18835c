"""`ape treasury attest …` and `ape treasury commodities …` end to end, on an Anvil of
the module's own, deployed by the CLI with gold and crude (deploy/local.yaml's settings
plus `fx:` and `commodities:`): a gold bar list attested by two of its three attesters
(the custodian and Anvil accounts 16 and 17), verified, minted (two bars to an investor,
the rest to the reserve) and counted by the reserve; prices and the fixing reported;
delivery requested, accepted and delivered, rejected, a cancel refused before its time;
ceilings read and one changed through the governor's delay. Then every kind of bad
input: one line, its exit code, nothing sent (no account's nonce moves).

The commands run through ape's command-line entry point inside this process (as
tests/e2e/test_cli_bonds.py does); the first runs as a real process, so the exit code a
shell sees is checked too. The tests share the module's chain and run in order."""

from __future__ import annotations

import json

import pytest

from sovereign.attest import Lot, lot_tree
from sovereign.cli.base import Exit
from sovereign.commodities import STATEMENT_KIND
from sovereign.merkle import LOT_TYPES, verify
from sovereign.units import WAD, text_to_bytes32
from tests.utils.constants import ROOT
from tests.utils.deployed import cli, on_node
from tests.utils.node import module_node

pytestmark = pytest.mark.xdist_group("cli-commodities")

A16 = "0x2546BcD3c84621e976D8185a91A922aE77ECEc30"
A17 = "0xbDA5747bFD65F08deb54cb465eB87D40e51B197E"
CUSTODIAN = "0x8626f6940E2eb28930eFb4CeF49B2d1F2C9C1199"  # Anvil account 19
INVESTOR = "0x1CBd3b2770909D4e10f157cABC84C7264073C9Ec"  # Anvil account 13

SECTIONS = f"""
fx:
  quote: USD
  rate: "22.50"
  heartbeat: 93600
  lag: 86400
  closed_haircut_bps: 500
commodities:
  - symbol: SGLD
    name: Sovereign Gold
    unit: troy ounce of fine gold
    decimals: 3
    class: METALS
    quote: XAU
    price: "2400"
    haircut_bps: 1500
    heartbeat: 86400
    cap_bps: 10000
    ceiling: "50000000000"
    attesters: [custodian, "{A16}", "{A17}"]
    threshold: 2
    custodians: {{VAULT-CO: custodian}}
  - symbol: SOIL
    name: Sovereign Crude
    unit: barrel of Brent crude
    decimals: 2
    class: ENERGY
    quote: BRENT
    price: "80"
    haircut_bps: 2000
    ceiling: "20000000000"
    attesters: [custodian, "{A16}", "{A17}"]
    threshold: 2
    custodians: {{VAULT-CO: custodian}}
"""

BARS = [  # serial, quantity in troy ounces (0.001 oz)
    ("LGD-0001", "400.125"),
    ("LGD-0002", "399.870"),
    ("LGD-0003", "401.002"),
    ("LGD-0004", "400.5"),
    ("LGD-0005", "398.250"),
]


def csv_text(bars, custodian="VAULT-CO") -> str:
    rows = [f"{serial},{custodian},LONDON,999.9,{qty}" for serial, qty in bars]
    return "serial,custodian,location,grade,quantity\n" + "\n".join(rows) + "\n"


def units(qty: str) -> int:
    whole, _, frac = qty.partition(".")
    return int(whole) * 1_000 + int(frac.ljust(3, "0") or 0)


node = pytest.fixture(scope="module")(module_node)


@pytest.fixture(scope="module")
def env(node, tmp_path_factory):
    """Deployed by `ape run deploy --config` with the commodity sections; the lot lists."""
    work = tmp_path_factory.mktemp("commodities")
    deployments = work / "deployments"
    deployments.mkdir()
    config = work / "deploy.yaml"
    config.write_text((ROOT / "deploy" / "local.yaml").read_text() + SECTIONS)
    cli("deploy", "--yes", "--config", str(config), node=node, deployments=deployments,
        check=True)  # fmt: skip
    (work / "lots.csv").write_text(csv_text(BARS))
    (work / "other.csv").write_text(csv_text(BARS[:3]))  # not the attested list
    return work, deployments


def run(node, env, *args, check=False, process=False):
    return cli(*args, node=node, deployments=env[1], check=check, process=process)


def js(out) -> dict:
    return json.loads(out.stdout)


def gold_tree():
    return lot_tree([Lot(s, "VAULT-CO", "LONDON", "999.9", units(q)) for s, q in BARS])


def test_deploy__the_commodities_of_the_config_are_deployed_and_attested_by_its_holders(node, env):
    with on_node(node, env[1]) as system:
        book = system.commodity
        gold, oil = book.commodities["SGLD"].token, book.commodities["SOIL"].token
        assert (int(gold.decimals()), int(oil.decimals())) == (3, 2)
        assert book.attestations.attesters(gold) == [CUSTODIAN, A16, A17]
        assert book.attestations.threshold(oil) == 2
        assert gold.custodianAccount(text_to_bytes32("VAULT-CO")) == CUSTODIAN
        assert book.ceilings.ceiling(text_to_bytes32("ENERGY")) == 20_000_000_000 * WAD
        assert book.fx_feed.latestRoundData()[1] == 2_250_000_000  # 22.50, 8 decimals


def test_root__the_lists_root_count_and_exact_total(node, env):
    work, _ = env
    out = run(node, env, "attest", "root", "SGLD", str(work / "lots.csv"), "--json",
              process=True)  # fmt: skip
    assert out.returncode == 0, out.stderr[-1500:]
    result = js(out)
    assert result["root"] == "0x" + gold_tree().root.hex()
    assert result["lot_count"] == 5
    assert result["total_quantity"] == str(sum(units(q) for _, q in BARS))
    assert result["total"] == "1,999.747 SGLD"


def test_sign__two_attesters_into_one_file__then_submit__then_show(node, env):
    work, _ = env
    statement = work / "statement.json"
    base = ("attest", "sign", "SGLD", str(work / "lots.csv"), "--out", str(statement))
    first = js(run(node, env, *base, "--account", "TEST::19", "--json", check=True))
    assert (first["signatures"], first["threshold"]) == (1, 2)
    second = js(run(node, env, *base, "--account", "TEST::16", "--json", check=True))
    assert second["signatures"] == 2 and second["statement"] == first["statement"]
    doc = json.loads(statement.read_text())
    assert sorted(doc["signatures"]) == sorted([CUSTODIAN, A16])
    assert doc["statement"]["nonce"] == 1 and doc["lots_file"]["name"] == "lots.csv"
    out = js(run(node, env, "attest", "submit", str(statement), "--account", "TEST::18",
                 "--yes", "--json", check=True))  # fmt: skip
    assert out["status"] == "sent" and len(out["transactions"]) == 1
    shown = js(run(node, env, "attest", "show", "SGLD", "--json", check=True))
    total = sum(units(q) for _, q in BARS)
    assert shown["live"] is True and shown["not_live_because"] is None
    assert (shown["nonce"], shown["lot_count"], shown["total_quantity"]) == (1, 5, total)
    assert shown["lots_root"] == "0x" + gold_tree().root.hex()
    assert shown["backing"] == total
    assert shown["attesters"] == [CUSTODIAN, A16, A17] and shown["threshold"] == 2
    assert shown["as_of"] == doc["statement"]["as_of"] and shown["time_left"] > 29 * 86_400
    table = run(node, env, "attest", "show", "SGLD", check=True).stdout
    assert "1,999.747 SGLD in 5 lots" in table and "2 of 3" in table
    oil = js(run(node, env, "attest", "show", "SOIL", "--json", check=True))
    assert (oil["live"], oil["not_live_because"], oil["nonce"]) == (False, "none", 0)


def test_verify__a_lot_of_the_attested_list__its_proof_checks(node, env):
    work, _ = env
    out = run(node, env, "attest", "verify", "SGLD", str(work / "lots.csv"), "LGD-0003",
              "--json", check=True)  # fmt: skip
    result = js(out)
    lot = Lot("LGD-0003", "VAULT-CO", "LONDON", "999.9", units("401.002"))
    proof = [bytes.fromhex(p[2:]) for p in result["proof"]]
    assert result["included"] is True and result["lot"]["quantity"] == "401002"
    assert verify(gold_tree().root, LOT_TYPES, lot.values(), proof)


@pytest.mark.parametrize(
    "lots,serial,fragment",
    [
        ("lots.csv", "LGD-0009", "lot LGD-0009 is not in"),
        ("other.csv", "LGD-0001", "is not the live SGLD statement's"),
    ],
    ids=["not-in-the-list", "not-the-attested-list"],
)
def test_verify__not_included__one_line_exit_3(node, env, lots, serial, fragment):
    work, _ = env
    out = run(node, env, "attest", "verify", "SGLD", str(work / lots), serial)
    assert out.returncode == Exit.INPUT, out.stderr[-800:]
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], lines


def test_mint__two_bars_to_the_investor__the_rest_to_the_reserve(node, env):
    work, _ = env
    lots = str(work / "lots.csv")
    two = ("--serial", "LGD-0001", "--serial", "LGD-0002", "--to", INVESTOR)
    out = js(run(node, env, "commodities", "mint", "SGLD", lots, *two, "--yes", "--json",
                 check=True))  # fmt: skip
    assert out["status"] == "sent" and out["lots"] == ["LGD-0001", "LGD-0002"]
    rest = js(run(node, env, "commodities", "mint", "SGLD", lots, "--all-unminted", "--yes",
                  "--json", check=True))  # fmt: skip
    assert rest["lots"] == ["LGD-0003", "LGD-0004", "LGD-0005"]
    with on_node(node, env[1]) as system:
        gold = system.commodity.commodities["SGLD"].token
        assert gold.balanceOf(INVESTOR) == units("400.125") + units("399.870")
        assert gold.balanceOf(system.reserve) == sum(units(q) for _, q in BARS[2:])
        assert gold.lotState(gold.lotKey(text_to_bytes32("LGD-0005"))) == 1


def test_list__the_counted_value_is_the_reserves(node, env):
    listed = js(run(node, env, "commodities", "list", "--json", check=True))
    rows = {r["symbol"]: r for r in listed["commodities"]}
    table = run(node, env, "commodities", "list", check=True).stdout
    assert "SGLD" in table and "FX eSHL per USD: spot 22.50, used 22.50" in table
    with on_node(node, env[1]) as system:
        gold = system.commodity.commodities["SGLD"]
        assets, _, counted, _ = system.reserve.collateralBreakdown()
        chain_value = dict(zip(assets, counted, strict=True))[gold.token.address]
        peg = gold.price_feed.latestRoundData()[1]
        spot, used, _, closed = gold.price_feed.rate()
    row = rows["SGLD"]
    assert int(row["counted_value_wad"]) == chain_value > 0
    assert int(row["peg_price_wad"]) == peg
    assert row["supply"] == str(sum(units(q) for _, q in BARS))
    assert row["reserve_balance"] == str(sum(units(q) for _, q in BARS[2:]))
    assert row["attestation_live"] is True and row["quote_price"] == str(2_400 * 10**8)
    assert rows["SOIL"]["attestation_live"] is False and rows["SOIL"]["counted_value_wad"] == "0"
    fx = listed["fx"]
    assert (int(fx["spot_wad"]), int(fx["rate_used_wad"])) == (spot, used) == (22_500 * 10**15,) * 2
    assert fx["market_closed"] is closed


def test_price_and_fx__reported_by_the_oracle_reporter(node, env):
    out = js(run(node, env, "commodities", "price", "SGLD", "2410.50", "--yes", "--json",
                 check=True))  # fmt: skip
    assert out["answer"] == str(241_050_000_000) and out["shown"] == "2,410.50 USD per SGLD"
    out = js(run(node, env, "commodities", "fx", "22.60", "--yes", "--json", check=True))
    assert out["answer"] == str(2_260_000_000)
    with on_node(node, env[1]) as system:
        book = system.commodity
        assert book.commodities["SGLD"].quote_feed.latestRoundData()[1] == 241_050_000_000
        assert book.fx_feed.latestRoundData()[1] == 2_260_000_000


def _request(node, env, serial: str) -> int:
    out = js(run(node, env, "commodities", "request", "SGLD", "--serial", serial,
                 "--account", "TEST::13", "--yes", "--json", check=True))  # fmt: skip
    return out["request_id"]


def test_delivery__requested_accepted_delivered__rejected__cancel_refused_before_time(node, env):
    with on_node(node, env[1]) as system:
        gold = system.commodity.commodities["SGLD"].token
        supply = int(gold.totalSupply())
    first = _request(node, env, "LGD-0001")
    run(node, env, "commodities", "accept", "SGLD", str(first), "--yes", check=True)
    run(node, env, "commodities", "deliver", "SGLD", str(first), "--ref", "DN-0001", "--yes",
        check=True)  # fmt: skip
    second = _request(node, env, "LGD-0002")
    run(node, env, "commodities", "reject", "SGLD", str(second), "--reason", "bar re-assay",
        "--yes", check=True)  # fmt: skip
    third = _request(node, env, "LGD-0002")
    before = node.nonces([INVESTOR])
    out = run(node, env, "commodities", "cancel", "SGLD", str(third), "--account", "TEST::13",
              "--yes")  # fmt: skip
    assert out.returncode == Exit.REFUSED, out.stderr[-800:]
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "would fail" in lines[0], lines
    assert node.nonces([INVESTOR]) == before
    listed = js(run(node, env, "commodities", "requests", "SGLD", "--json", check=True))
    states = {r["id"]: r["state"] for r in listed["requests"]}
    table = run(node, env, "commodities", "requests", "SGLD", check=True).stdout
    assert "delivered" in table and "cancelled" in table and "400.125 SGLD" in table
    assert states == {first: "delivered", second: "cancelled", third: "open"}
    with on_node(node, env[1]) as system:
        gold = system.commodity.commodities["SGLD"].token
        assert int(gold.totalSupply()) == supply - units("400.125")
        assert gold.balanceOf(INVESTOR) == 0  # LGD-0002 is held by request 3
        assert gold.lotState(gold.lotKey(text_to_bytes32("LGD-0001"))) == 3  # delivered
    shown = js(run(node, env, "attest", "show", "SGLD", "--json", check=True))
    assert shown["backing"] == sum(units(q) for _, q in BARS[1:])  # less the delivery


def test_ceilings__per_class__and_one_changed_through_the_delay(node, env):
    rows = {r["class"]: r for r in js(run(node, env, "ceilings", "show", "--json",
                                          check=True))["ceilings"]}  # fmt: skip
    assert list(rows) == ["BILLS", "BONDS", "METALS", "ENERGY"]
    with on_node(node, env[1]) as system:
        outstanding = system.commodity.ceilings.outstanding(text_to_bytes32("METALS"))
    metals = rows["METALS"]
    assert int(metals["ceiling_wad"]) == 50_000_000_000 * WAD
    assert int(metals["outstanding_wad"]) == outstanding > 0
    assert int(metals["headroom_wad"]) == 50_000_000_000 * WAD - outstanding
    assert rows["ENERGY"]["outstanding_wad"] == "0"
    out = js(run(node, env, "ceilings", "set", "METALS", "60,000,000,000", "--yes",
                 "--json", check=True))  # fmt: skip
    assert out["status"] == "scheduled" and out["new"] == str(60_000_000_000 * WAD)


def test_attesters__replaced_through_the_governors_delay(node, env):
    out = js(run(node, env, "attest", "attesters", "SOIL", A16, A17, "custodian",
                 "--threshold", "2", "--yes", "--json", check=True))  # fmt: skip
    assert out["status"] == "scheduled" and out["new"] == [A16, A17, CUSTODIAN, 2]


def _lots(work, name: str, text: str) -> str:
    (work / name).write_text(text)
    return str(work / name)


BAD = [
    # (exit code, command with {work} for the test's folder, fragment of the one line)
    (Exit.INPUT, ["attest", "root", "SGLD", "bad-row"], "bad-row.csv: row 3: 4 fields; a lot has"),
    (Exit.INPUT, ["attest", "root", "SGLD", "too-fine"], "has 4 decimal places; SGLD has 3"),
    (Exit.INPUT, ["attest", "root", "SGLD", "twice"], "serial LGD-0001 is listed already, in row"),
    (Exit.INPUT, ["attest", "show", "SXAG"], "no commodity token 'SXAG'; known: SGLD, SOIL"),
    (Exit.INPUT, ["attest", "sign", "SGLD", "lots", "--out", "{work}/new.json",
                  "--account", "TEST::13"], f"{INVESTOR} is not an attester of SGLD"),
    (Exit.INPUT, ["attest", "sign", "SGLD", "other", "--out", "{work}/statement.json",
                  "--account", "TEST::17"], "holds another statement"),
    (Exit.INPUT, ["attest", "sign", "SGLD", "lots", "--out", "{work}/new.json",
                  "--valid-for", "40d", "--account", "TEST::16"], "--valid-for 40d is longer"),
    (Exit.INPUT, ["attest", "sign", "SGLD", "lots", "--out", "{work}/new.json", "--valid-for",
                  "99999999999999999999999d", "--account", "TEST::16"], "is longer than 35 days"),
    (Exit.INPUT, ["attest", "sign", "SGLD", "lots", "--out", "{work}/new.json",
                  "--valid-for", "", "--account", "TEST::16"], "--valid-for '' is not a duration"),
    (Exit.INPUT, ["attest", "sign", "SGLD", "lots", "--out", "{work}/new.json",
                  "--as-of", "", "--account", "TEST::16"], "--as-of '' is neither now nor"),
    (Exit.INPUT, ["attest", "submit", "{work}/huge.json"], "nonce -1 is outside uint64"),
    (Exit.INPUT, ["commodities", "mint", "SGLD", "other", "--all-unminted"],
     "this is not the attested list"),
    (Exit.INPUT, ["commodities", "mint", "SGLD", "lots", "--serial", "LGD-0003"],
     "lot LGD-0003 is minted already"),
    (Exit.REFUSED, ["commodities", "fx", "22.55", "--account", "TEST::13"], "would fail"),
    (Exit.REFUSED, ["attest", "suspend", "SOIL", "--reason", "test"], "nothing to suspend"),
    # a refused price is named in its feed's own unit, not in cash
    (Exit.REFUSED, ["commodities", "price", "SGLD", "9000"], "price 9,000.00 USD per SGLD moves"),
    (Exit.REFUSED, ["commodities", "fx", "90"], "per USD moves"),
    (Exit.USAGE, ["commodities", "mint", "SGLD", "lots"], "give --serial S"),
]  # fmt: skip
FILES = {
    "bad-row": csv_text(BARS[:1]) + "LGD-0002,VAULT-CO,LONDON,399.870\n",
    "too-fine": csv_text([("LGD-0001", "400.1255")]),
    "twice": csv_text([BARS[0], BARS[0]]),
}


@pytest.mark.parametrize("code,argv,fragment", BAD, ids=[f"bad-{i}" for i in range(len(BAD))])
def test_bad_input__one_line__its_exit_code__nothing_sent(node, env, code, argv, fragment):
    work, _ = env
    for name, text in FILES.items():
        _lots(work, f"{name}.csv", text)
    huge = {
        "kind": STATEMENT_KIND,
        "chain_id": 31337,
        "registry": INVESTOR,
        "signatures": {},
        "statement": {
            "asset": INVESTOR,
            "nonce": -1,
            "as_of": 1,
            "expires_at": 2,
            "lots_root": "0x" + "ab" * 32,
            "total_quantity": 1,
            "lot_count": 1,
        },
    }
    (work / "huge.json").write_text(json.dumps(huge))
    named = {"lots", "other", *FILES}
    args = [str(work / f"{a}.csv") if a in named else a.format(work=work) for a in argv]
    before = node.nonces(node.accounts())
    reads = argv[1] in ("root", "show", "sign")  # no -y: nothing to send
    out = run(node, env, *args, *([] if reads else ["--yes"]))
    assert out.returncode == int(code), (out.returncode, out.stdout[-800:], out.stderr[-800:])
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), out.stderr[-1500:]
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in out.stdout + out.stderr
    assert node.nonces(node.accounts()) == before, "an account's nonce moved: something was sent"
    assert not (work / "new.json").exists()


def test_suspend__by_the_guardian__the_statement_stops_counting(node, env):
    run(node, env, "attest", "suspend", "SGLD", "--reason", "audit query", "--yes", check=True)
    shown = js(run(node, env, "attest", "show", "SGLD", "--json", check=True))
    assert (shown["live"], shown["not_live_because"], shown["backing"]) == (
        False, "suspended", 0,
    )  # fmt: skip
    listed = js(run(node, env, "commodities", "list", "--json", check=True))
    gold = next(r for r in listed["commodities"] if r["symbol"] == "SGLD")
    assert gold["counted_value_wad"] == "0"


GOVERNOR_DELAY = 86_400  # deploy/local.yaml


def test_after_the_delay__ceiling_and_attesters_executed__then_a_month_old_request_cancelled(
    node, env
):
    """Last in this module: it moves the node's clock. The two governor changes scheduled
    above run when their commands are given again after the delay; a request nobody
    accepted in 30 days is cancelled by its holder, its tokens back in its hands."""
    node.advance(GOVERNOR_DELAY + 60)
    done = js(run(node, env, "ceilings", "set", "METALS", "60,000,000,000", "--yes", "--json",
                  check=True))  # fmt: skip
    assert done["status"] == "executed", done
    again = js(run(node, env, "attest", "attesters", "SOIL", A16, A17, "custodian",
                   "--threshold", "2", "--yes", "--json", check=True))  # fmt: skip
    assert again["status"] == "executed", again
    with on_node(node, env[1]) as system:
        assert system.ceilings.ceiling(text_to_bytes32("METALS")) == 60_000_000_000 * WAD
        token = system.commodity.commodities["SOIL"].token
        assert system.commodity.attestations.threshold(token) == 2
    listed = js(run(node, env, "commodities", "requests", "SGLD", "--json", check=True))
    (open_id,) = [r["id"] for r in listed["requests"] if r["state"] == "open"]
    node.advance(30 * 86_400)
    run(node, env, "commodities", "cancel", "SGLD", str(open_id), "--account", "TEST::13",
        "--yes", check=True)  # fmt: skip
    with on_node(node, env[1]) as system:
        gold = system.commodity.commodities["SGLD"].token
        assert gold.balanceOf(INVESTOR) == units(dict(BARS)["LGD-0002"])
    listed = js(run(node, env, "commodities", "requests", "SGLD", "--json", check=True))
    assert {r["id"]: r["state"] for r in listed["requests"]}[open_id] == "cancelled"
