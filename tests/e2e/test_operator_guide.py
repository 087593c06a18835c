"""The README's operator guide, run literally: every `ape …` line of its guide block,
in order, as a separate process, from a folder outside the repository, with an
empty home folder, against a fresh node: Anvil, as the guide says, and Hardhat's node,
mining a block per transaction or one every 2 seconds (any node reached by URL). It
must reach a mint, a redemption, a burn, a vault deposit and a T-bill purchase with
CLI commands only; the chain's state afterwards is checked against what the guide
says it did."""

from __future__ import annotations

import json
import re
import shlex

import pytest

from tests.utils.constants import ROOT
from tests.utils.node import Node, ape, free_port, node_params, operator_env

pytestmark = pytest.mark.xdist_group("cli-guide")

WAD, CASH = 10**18, 10**6


def guide_commands() -> list[list[str]]:
    """The `ape …` lines of the README block between the operator-guide markers."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(
        r"<!-- operator-guide -->\n```sh\n(.*?)```\n<!-- /operator-guide -->", readme, re.S
    )
    assert block, "README.md has no operator-guide block"
    lines = [line for line in block.group(1).splitlines() if line.startswith("ape ")]
    return [shlex.split(line, comments=True) for line in lines]


def test_the_guide_block_is_there_and_does_what_the_issue_asks():
    said = {tuple(argv[1:4]) for argv in guide_commands()} | {
        tuple(argv[1:3]) for argv in guide_commands()
    }
    for needed in (("treasury", "deploy"), ("treasury", "mint"), ("treasury", "redeem"),
                   ("treasury", "burn"), ("treasury", "vault", "deposit"),
                   ("treasury", "bills", "buy")):  # fmt: skip
        assert needed in said, needed


@pytest.mark.parametrize("kind", node_params(group="cli-guide"))
def test_the_operator_guide_runs_literally_from_an_outside_folder(tmp_path, kind):
    node = Node(free_port(), kind=kind[0], mining=kind[1])
    node.start()
    try:
        ops = tmp_path / "treasury-ops"  # outside the repository: a pytest temp folder
        ops.mkdir()
        env = operator_env(tmp_path / "home")
        last = None
        for argv in guide_commands():
            argv = [node.url if a == "$NODE" else a for a in argv]
            out = ape(*argv[1:], cwd=ops, env=env)
            assert out.returncode == 0, (" ".join(argv), out.stdout[-1500:], out.stderr[-1500:])
            last = out
        status = json.loads(last.stdout)  # the guide ends with `status --json`
    finally:
        node.stop()
    # mint 1,000,000.00, redeem 50,000.00 (paid at once by the desk), burn 100,000.00
    assert status["stablecoin"]["total_supply"] == 850_000 * WAD
    fee = -(-50_000 * CASH * status["redemption_fee_bps"] // 10_000)
    assert status["cash"]["reserve_balance"] == 500_000 * CASH - (50_000 * CASH - fee)
    assert status["redemptions"]["queued_requests"] == 0
    # the vault holds the bill it bought, 2,000,000.00 of face, at most 0.99 per 1.00
    lots = status["vault"]["lots"]
    assert [(lot["code"], lot["face"]) for lot in lots] == [("SLTB-91D", 2_000_000 * CASH)]
    assert lots[0]["cost"] == 2_000_000 * CASH * 9875 // 10_000
    # the reserve's collateral is the vault's shares, bought with 10,000,000.00 of cash
    # (the bill accretes by the second between the purchase and the status read)
    assert 10_000_000 * CASH <= status["vault"]["nav"] < 10_000_001 * CASH
    assert status["collateral_ratio_wad"] > status["min_collateral_ratio_wad"]
