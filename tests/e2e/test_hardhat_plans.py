"""Plans of several steps on Hardhat's node, which has no ``eth_simulateV1``: on a local
Hardhat chain, ``preflight.simulate_plan`` runs the steps for real under an
``evm_snapshot`` and reverts it. Checked here in this process against a Hardhat node
by URL, mining a block per transaction and every 2 seconds: a later step sees what the
earlier ones leave, the failing step is named with its decoded revert, a sender the
node does not hold and that has no ether is impersonated and lent gas money, and
afterwards nothing is left: the same head, nonces, ether and token balances,
allowance and clock. A transaction of another client that lands
meanwhile is undone with the snapshot, so the plan is refused, naming it."""

from __future__ import annotations

import time

import pytest
from ape import networks

from sovereign import preflight
from sovereign.preflight import Call, CannotSimulate, simulate_plan
from tests.utils.node import Node, free_port, node_params

pytestmark = pytest.mark.xdist_group("hardhat-plans")

UNIT = 10**6


@pytest.fixture(scope="module", params=node_params("hardhat", "hardhat-interval"))
def node(request):
    kind, mining = request.param
    n = Node(free_port(), kind=kind, mining=mining)
    n.start()
    yield n
    n.stop()


@pytest.fixture(scope="module")
def spender(accounts):
    """An account the node does not hold (it unlocks 20): the simulation impersonates it."""
    return accounts.generate_test_account()


@pytest.fixture(scope="module")
def token(node, project, accounts, spender):
    """A MockERC20 with 100 units held by account 12. The spender holds no ether: as
    under eth_simulateV1 without validation, a step needs none."""
    with networks.parse_network_choice(node.url):
        token = project.MockERC20.deploy("Test Cash", "TCSH", 6, sender=accounts[0])
        token.mint(accounts[12], 100 * UNIT, sender=accounts[0])
    return token.address


@pytest.fixture
def on_node(node, token, project):
    with networks.parse_network_choice(node.url) as provider:
        yield provider, project.MockERC20.at(token)


def _state(node, token, holders):
    return {
        "ether": [int(node.rpc("eth_getBalance", [a, "latest"]), 16) for a in holders],
        "nonces": node.nonces(holders),
        "allowance": token.allowance(holders[0], holders[1]),
        "balances": [token.balanceOf(a) for a in holders],
    }


def _head(node) -> tuple[int, str]:
    head = node.rpc("eth_getBlockByNumber", ["latest", False])
    return int(head["number"], 16), head["hash"]


def _nothing_mined_since(node, head: tuple[int, str]) -> bool:
    """The head is still there, and no block after it holds a transaction (with interval
    mining, empty blocks come every 2 s whatever happens)."""
    number, block_hash = head
    if node.rpc("eth_getBlockByNumber", [hex(number), False])["hash"] != block_hash:
        return False
    latest = _head(node)[0]
    blocks = (
        node.rpc("eth_getBlockByNumber", [hex(n), False]) for n in range(number + 1, latest + 1)
    )
    return not any(b["transactions"] for b in blocks)


def test_a_later_step_sees_the_earlier_one__and_nothing_is_left(node, on_node, accounts, spender):
    provider, token = on_node
    holder = accounts[12]
    assert spender.address.lower() not in [a.lower() for a in node.rpc("eth_accounts")]
    before, head = _state(node, token, [holder.address, spender.address]), _head(node)
    assert before["ether"][1] == 0
    assert node.rpc("web3_clientVersion").startswith("HardhatNetwork/")
    ok = [
        Call(token, "approve", (spender, 40 * UNIT), holder),
        Call(token, "transferFrom", (holder, spender, 40 * UNIT), spender),
        Call(token, "transfer", (holder, 40 * UNIT), spender),  # needs step 2's effect
    ]
    assert simulate_plan(ok) is None
    assert _state(node, token, [holder.address, spender.address]) == before
    assert _nothing_mined_since(node, head)
    # The impersonated sender is not left unlocked on the node.
    with pytest.raises(Exception, match="(?i)unknown account|not.*unlocked|sender"):
        node_send(node, {"from": spender.address, "to": holder.address})

    too_much = [ok[0], Call(token, "transferFrom", (holder, spender, 41 * UNIT), spender)]
    index, revert = simulate_plan(too_much)
    assert (index, revert.name) == (1, "ERC20InsufficientAllowance")
    assert revert.inputs["needed"] == 41 * UNIT
    assert _state(node, token, [holder.address, spender.address]) == before
    assert _nothing_mined_since(node, head)


def test_a_later_step_in_the_future__the_clock_is_put_back(node, on_node, accounts, spender):
    provider, token = on_node
    holder = accounts[12]
    week = 7 * 86_400
    later = int(node.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16) + week
    plan = [
        Call(token, "approve", (spender, 1), holder),
        Call(token, "transferFrom", (holder, spender, 1), spender, not_before=later),
    ]
    assert simulate_plan(plan) is None
    node.rpc("evm_mine")  # the next block is mined at the node's time, not a week ahead
    mined = int(node.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    assert mined < time.time() + 3_600


def test_another_clients_transaction_meanwhile__the_plan_is_refused(
    node, on_node, accounts, spender, monkeypatch
):
    provider, token = on_node
    holder = accounts[12]
    other = node.accounts()[3]
    nonce = node.nonces([other])[other]
    steps = preflight._run_steps

    def with_a_foreign_transaction(*args):
        foreign = node_send(node, {"from": other, "to": other, "value": "0x1"})
        if node.mining == "interval":
            node.rpc("evm_mine")
        found.append(foreign)
        return steps(*args)

    found: list[str] = []
    monkeypatch.setattr(preflight, "_run_steps", with_a_foreign_transaction)
    plan = [
        Call(token, "approve", (spender, 1), holder),
        Call(token, "transferFrom", (holder, spender, 1), spender),
    ]
    with pytest.raises(CannotSimulate, match="another client's transaction") as refused:
        simulate_plan(plan)
    assert found[0] in str(refused.value) and "nothing was sent" in str(refused.value)
    assert node.nonces([other])[other] == nonce  # undone with the snapshot, as said


def node_send(node, tx: dict) -> str:
    """``eth_sendTransaction`` straight to the node; a node error raises."""
    import json
    import urllib.request

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [tx]})
    request = urllib.request.Request(node.url, body.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        reply = json.loads(answer.read())
    if "error" in reply:
        raise RuntimeError(reply["error"]["message"])
    return reply["result"]
