"""`ape treasury redeem` and `ape treasury redemptions …` end to end, on an Anvil of the
module's own deployed by the CLI (deploy/local.yaml: the redemption desk on): a
redemption inside the limits paid at once; one queued on request; the queue shown; a
process refused while no request is old enough, then a round paid after the admission
delay; the cash claimed; a cancel refused before its time and done after it. Then every
kind of bad input: one line, its exit code, nothing sent (no account's nonce moves).

The tests share the module's chain and run in order."""

from __future__ import annotations

import json

import pytest

from sovereign.cli.base import Exit
from sovereign.units import WAD, text_to_bytes32
from tests.utils.deployed import EXCHANGE, cli, deploy_funded, on_node
from tests.utils.node import module_node

pytestmark = pytest.mark.xdist_group("cli-redemptions")

CASH = 10**6
SUPPLY = 1_000_000 * WAD  # minted to the exchange: the hour's limit is 50,000


node = pytest.fixture(scope="module")(module_node)


@pytest.fixture(scope="module")
def env(node, tmp_path_factory, accounts):
    deployments = tmp_path_factory.mktemp("redemptions")
    manifest = deploy_funded(node, deployments, accounts)
    with on_node(node, deployments) as system:
        by_address = {a.address: a for a in accounts}
        minter = by_address[manifest["holders"]["minter"]]
        bank = by_address[manifest["holders"]["central-bank"]]
        system.cash.mint(system.reserve, 500_000 * CASH, sender=bank)
        system.reserve.mint(EXCHANGE, SUPPLY, text_to_bytes32("DESK-FUND"), sender=minter)
    return deployments


def run(node, env, *args, check=False):
    return cli(*args, node=node, deployments=env, check=check)


def js(out) -> dict:
    return json.loads(out.stdout)


def travel(node, env, seconds: int) -> None:
    node.advance(seconds)


def test_redeem__inside_the_limits__paid_at_once(node, env):
    out = js(run(node, env, "redeem", "10,000", "--id", "R-NOW", "--account", "TEST::16",
                 "--yes", "--json", check=True))  # fmt: skip
    assert out["paid_now"] is True and out["cash"] == str(10_000 * CASH)
    assert [t["step"] for t in out["transactions"]] == [
        "approving the desk for 10,000.00 SSHL",
        "redeeming 10,000.00 SSHL (R-NOW)",
    ]


def test_request__queued_whatever_the_limits__shown(node, env):
    out = js(run(node, env, "redemptions", "request", "6,000", "--id", "Q-1", "--account",
                 "TEST::16", "--yes", "--json", check=True))  # fmt: skip
    assert out["paid_now"] is False and out["request"] == 1
    shown = js(run(node, env, "redemptions", "show", "--participant", EXCHANGE, "--json",
                   check=True))  # fmt: skip
    assert shown["queued_requests"] == 1 and shown["queued_coins"] == str(6_000 * WAD)
    assert shown["pending_coins"] == str(6_000 * WAD) and shown["pool_coins"] == "0"
    assert shown["capacity_factor_bps"] == 10_000
    # 5% of the supply an hour, 10,000 of it used by the instant redemption
    assert int(shown["hour"]["capacity"]) == (SUPPLY - 10_000 * WAD) * 500 // 10_000
    used = int(shown["own"]["capacity"]) - int(shown["own"]["room"])  # drains by the second
    assert 9_990 * WAD < used <= 10_000 * WAD
    [r] = shown["requests"]
    assert (r["id"], r["owner"], r["state"], r["unpaid"]) == (1, EXCHANGE, "pending",
                                                                str(6_000 * WAD))  # fmt: skip


def test_process__too_young__refused_then_paid_after_the_delay__claimed(node, env):
    out = run(node, env, "redemptions", "process", "--account", "TEST::0", "--yes")
    assert out.returncode == int(Exit.REFUSED), out.stderr
    assert "no request is old enough to join a round: request 1 joins from" in out.stderr
    travel(node, env, 3_600)
    out = js(run(node, env, "redemptions", "process", "--account", "TEST::0", "--yes",
                 "--json", check=True))  # fmt: skip
    assert out["round"] == 1 and out["full"] is True and out["coins"] == str(6_000 * WAD)
    out = js(run(node, env, "redemptions", "claim", "1", "--account", "TEST::0", "--yes",
                 "--json", check=True))  # fmt: skip
    assert 6_000 * CASH - 1 <= int(out["cash"]) <= 6_000 * CASH
    shown = js(run(node, env, "redemptions", "show", "--json", check=True))
    assert shown["requests"][0]["state"] == "closed" and shown["queued_requests"] == 0


def test_cancel__refused_before_its_time__done_after(node, env):
    run(node, env, "redemptions", "request", "2,000", "--id", "Q-2", "--account", "TEST::16",
        "--yes", check=True)  # fmt: skip
    out = run(node, env, "redemptions", "cancel", "2", "--account", "TEST::16", "--yes")
    assert out.returncode == int(Exit.REFUSED) and "request 2 can be cancelled from" in out.stderr
    travel(node, env, 7 * 86_400)
    out = js(run(node, env, "redemptions", "cancel", "2", "--account", "TEST::16", "--yes",
                 "--json", check=True))  # fmt: skip
    assert out["coins"] == str(2_000 * WAD)


def test_limits__the_governor_schedules_a_change_through_its_delay(node, env):
    out = run(node, env, "redemptions", "limits", "--hour", "3%", "--band", "10", "--yes",
              check=True)  # fmt: skip
    text = " ".join((out.stdout + out.stderr).split())
    assert "the desk's limits: now hour 5.00%, day 20.00%, participant 5.00%, floor 25.00%, " \
           "band 20.00%; after this change hour 3.00%, day 20.00%, participant 5.00%, " \
           "floor 25.00%, band 10.00%" in text  # fmt: skip
    assert "scheduling (86,400 s delay)" in text


BAD = [
    (Exit.INPUT, ["redemptions", "claim", "9", "--account", "TEST::0"],
     "no redemption request '9'; ids run from 1 to 2"),
    (Exit.INPUT, ["redemptions", "cancel", "x", "--account", "TEST::16"],
     "no redemption request 'x'"),
    (Exit.REFUSED, ["redemptions", "claim", "2", "--account", "TEST::0"],
     "request 2 is cancelled: nothing to claim"),
    (Exit.REFUSED, ["redemptions", "process", "--account", "TEST::0"],
     "the queue is empty: nothing to process"),
    (Exit.REFUSED, ["redeem", "999", "--id", "SMALL", "--account", "TEST::16"],
     "999.00 SSHL is below the smallest redemption request, 1,000.00 SSHL"),
    (Exit.REFUSED, ["redemptions", "request", "1,000", "--id", "Q-1", "--account", "TEST::16"],
     "has used instruction id Q-1 already"),
    (Exit.REFUSED, ["redeem", "1,000", "--id", "NP", "--account", "TEST::13"],
     "is not a licensed participant of the reserve"),
    (Exit.USAGE, ["redemptions", "process", "--max", "0", "--account", "TEST::0"], "--max"),
    (Exit.INPUT, ["redemptions", "limits", "--hour", "60%"],
     "--hour 60.00% is outside the contract's bounds: 0.10% to 50.00%"),
    (Exit.INPUT, ["redemptions", "limits", "--day", "4%"], "--day 4.00% is outside"),
    (Exit.INPUT, ["redemptions", "limits", "--hour", "1.234%"], "has 3 decimal places"),
]  # fmt: skip


@pytest.mark.parametrize("code,argv,fragment", BAD, ids=[f"bad-{i}" for i in range(len(BAD))])
def test_bad_input__one_line__its_exit_code__nothing_sent(node, env, code, argv, fragment):
    before = node.nonces(node.accounts())
    out = run(node, env, *argv, "--yes")
    assert out.returncode == int(code), (out.returncode, out.stdout[-800:], out.stderr[-800:])
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), out.stderr[-1500:]
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in out.stdout + out.stderr
    assert node.nonces(node.accounts()) == before, "an account's nonce moved: something was sent"
