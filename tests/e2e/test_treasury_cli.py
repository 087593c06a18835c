"""`ape run treasury` through ape's own command-line entry point, against a node
started on its own (Anvil, and Hardhat's node: every test runs on both): the happy
path of every command, bad input of every kind
(one clear line, exit code not 0, nothing sent), a keystore account signing
from its environment passphrase. Batches, and every fault they meet, are in
tests/e2e/test_batch_faults.py.

Most commands run through ape's CLI object inside the test process (the same
click commands, argument parsing, script loading and network connection as the
shell's `ape run`, without ~3 s of process start each); the mint happy path runs
as a real process (as does the killed deploy of
test_operator_scripts), so the exit codes a shell sees are checked too."""

import json
import time
from pathlib import Path

import pytest
from eth_utils import function_signature_to_4byte_selector

from sovereign.units import text_to_bytes32
from tests.utils.cli import ape_cli
from tests.utils.deployed import EXCHANGE, deploy_funded, on_node
from tests.utils.node import Node, free_port, node_params

WAD = 10**18


# One node and one deployment for the module, on one test worker: every `ape run`
# is a new process (~3 s to start), so the set-up is paid once. Tests that send
# something measure the change; the bad-input tests check that nothing moved.
pytestmark = pytest.mark.xdist_group("cli")


@pytest.fixture(scope="module", params=node_params("anvil", "hardhat", group="cli"))
def node(request):
    kind, mining = request.param
    n = Node(free_port(), kind=kind, mining=mining)
    n.start()
    yield n
    n.stop()


def treasury(*args, node, deployments, check=False, process=False, env=None):
    """``ape treasury ARGS --network URL`` (``ape run deploy`` for "deploy") against the
    module's node (see tests.utils.ape_cli)."""
    argv = ("run", *args) if args[0] == "deploy" else args
    result = ape_cli(
        *argv,
        "--network",
        node.url,
        env={"SOVEREIGN_DEPLOYMENTS": str(deployments), **(env or {})},
        process=process,
    )
    if check:
        assert result.returncode == 0, (result.stdout[-1500:], result.stderr[-1500:])
    return result


@pytest.fixture(scope="module")
def deployed(node, tmp_path_factory, accounts):
    """Deployed by `ape run deploy`; 10,000,000 cash deposited into the vault for the
    reserve (its shares are the collateral); an exchange licensed by the CLI."""
    deployments = tmp_path_factory.mktemp("deployments")
    return deployments, deploy_funded(node, deployments, accounts)


def _fund(system, accounts, to: str, amount: int):
    """Report the cash feed at 1.00 (time travel elsewhere may have left it stale),
    put 1,000 cash and 120% of ``amount`` in the reserve and mint ``amount`` SSHL to the
    exchange, then move it to ``to``."""
    by_address = {a.address: a for a in accounts}
    holders = system.holders
    system.feeds["eSHL"].report(10**8, sender=by_address[holders.oracle_reporter])
    backing = 1_000 * 10**6 + amount * 12 // 10 // 10**12
    system.cash.mint(system.reserve, backing, sender=by_address[holders.central_bank])
    system.reserve.mint(
        EXCHANGE,
        amount,
        text_to_bytes32(f"FUND-{time.time_ns()}"),
        sender=by_address[holders.minter],
    )
    if to != EXCHANGE:
        system.stablecoin.transfer(to, amount, sender=by_address[EXCHANGE])


def selector_of(signature: str) -> str:
    return function_signature_to_4byte_selector(signature).hex()


def _w3(node):
    """Straight to the node: no ape process to start for a read."""
    from web3 import Web3

    return Web3(Web3.HTTPProvider(node.url))


def _coin_call(node, manifest, data: str) -> int:
    coin = manifest["contracts"]["SovereignStablecoin"]["address"]
    return int.from_bytes(_w3(node).eth.call({"to": coin, "data": data}), "big")


def supply(node, deployments):
    manifest = json.loads(next(deployments.glob("*.json")).read_text())
    return _coin_call(node, manifest, "0x18160ddd")  # totalSupply()


def test_mint__happy_path_then_replay_refused(node, deployed):
    deployments, _ = deployed
    before = supply(node, deployments)
    out = treasury(
        "treasury",
        "mint",
        EXCHANGE,
        "1,000,000.50",
        "--id",
        "MINT-1",
        "--yes",
        node=node,
        deployments=deployments,
        check=True,
        process=True,  # one command as a real process: the exit code the shell sees
    )
    assert "network http://127.0.0.1" in out.stdout and "account 0x3C44" in out.stdout
    assert supply(node, deployments) - before == 1_000_000_500_000_000_000_000_000
    again = treasury(
        "treasury",
        "mint",
        EXCHANGE,
        "1",
        "--id",
        "MINT-1",
        "--yes",
        node=node,
        deployments=deployments,
    )
    assert again.returncode != 0
    assert "instruction MINT-1 was already executed" in again.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (["mint", EXCHANGE, "1,00", "--id", "X"], "thousands separator in the wrong place"),
        (["mint", EXCHANGE, "-5", "--id", "X"], "is negative"),
        (["mint", EXCHANGE, "0", "--id", "X"], "is zero"),
        (["mint", EXCHANGE, "1.0000000000000000001", "--id", "X"], "19 decimal places"),
        (["mint", EXCHANGE.lower(), "1", "--id", "X"], "not checksummed"),
        (["mint", "0xdeadbeef", "1", "--id", "X"], "neither a 20-byte address nor a label"),
        (["mint", EXCHANGE, "1", "--id", "X" * 33], "1 to 32 printable ASCII characters"),
        (["mint", EXCHANGE, "9,800,000", "--id", "X"], "below the 102.00% minimum"),
        (
            ["mint", "0x90F79bf6EB2c4f870365E785982E1f101E93b906", "1", "--id", "X"],
            "is not a registered participant",
        ),
        (["pause", "everything"], "pause flags must be among"),
    ],
)
def test_bad_input__one_line__nothing_sent(node, deployed, args, message):
    deployments, _ = deployed
    before = supply(node, deployments)
    out = treasury("treasury", *args, "--yes", node=node, deployments=deployments)
    assert out.returncode != 0
    assert message in out.stderr, out.stderr[-800:]
    assert out.stderr.strip().startswith("Error:") and out.stderr.strip().count("\n") == 0
    assert supply(node, deployments) == before


def test_dry_run__simulates_and_sends_nothing(node, deployed):
    deployments, _ = deployed
    before = supply(node, deployments)
    for _ in range(2):  # the id is not consumed: the same dry run passes twice
        out = treasury(
            "treasury",
            "mint",
            EXCHANGE,
            "100",
            "--id",
            "DRY-1",
            "--dry-run",
            node=node,
            deployments=deployments,
            check=True,
        )
        assert "preflight passed" in out.stdout and "dry run: nothing sent" in out.stdout
    assert supply(node, deployments) == before


def _rpc(node, method, params):
    return _w3(node).provider.make_request(method, params)


def _advance(node, seconds: int) -> None:
    """Move the node's clock forward and mine a block there."""
    node.advance(seconds)


def _burners(node, deployments) -> list[str]:
    """The burner role's holders, as `treasury roles show --json` prints them."""
    shown = treasury(
        "treasury", "roles", "show", "--json", node=node, deployments=deployments, check=True
    )
    matrix = json.loads(shown.stdout[shown.stdout.index("[") :])
    return [h["account"] for h in next(r for r in matrix if r["role"] == "burner")["holders"]]


def _frozen(node, manifest, address) -> bool:
    return _coin_call(node, manifest, "0xd0516650" + address[2:].lower().rjust(64, "0")) == 1


def test_compliance_freeze_and_unfreeze(node, deployed):
    deployments, manifest = deployed
    alice = "0xbDA5747bFD65F08deb54cb465eB87D40e51B197E"  # Anvil account 17 (no role)
    treasury(
        "treasury",
        "compliance",
        "freeze",
        alice,
        "--case",
        "AML-9",
        "--yes",
        node=node,
        deployments=deployments,
        check=True,
    )
    assert _frozen(node, manifest, alice)
    again = treasury(
        "treasury",
        "compliance",
        "freeze",
        alice,
        "--case",
        "AML-9",
        "--yes",
        node=node,
        deployments=deployments,
    )
    assert again.returncode != 0 and f"account {alice} is frozen" in again.stderr
    treasury(
        "treasury",
        "compliance",
        "unfreeze",
        alice,
        "--case",
        "AML-9",
        "--yes",
        node=node,
        deployments=deployments,
        check=True,
    )
    assert not _frozen(node, manifest, alice)


def test_delayed_role_grant_and_revoke__scheduled_then_executed(node, deployed):
    deployments, _ = deployed
    new_burner = "0xdF3e18d64BC6A983f673Ab319CCaE4f1a57C7097"  # Anvil account 18
    args = ("treasury", "roles", "grant", "burner", new_burner, "--yes")
    first = treasury(*args, node=node, deployments=deployments, check=True)
    assert "scheduled" in first.stdout and "run the same command again from" in first.stdout
    early = treasury(*args, node=node, deployments=deployments)
    assert early.returncode != 0 and "is scheduled; it can be executed from" in early.stderr
    _advance(node, 86_401)
    done = treasury(*args, node=node, deployments=deployments, check=True)
    assert "executed:" in done.stdout
    assert new_burner in _burners(node, deployments)

    revoke = ("treasury", "roles", "revoke", "burner", new_burner, "--yes")
    first = treasury(*revoke, node=node, deployments=deployments, check=True)
    assert "scheduled" in first.stdout
    _advance(node, 86_401)
    treasury(*revoke, node=node, deployments=deployments, check=True)
    assert new_burner not in _burners(node, deployments)


def test_bills_issue_buy_and_redeem_at_maturity(node, deployed, accounts):
    deployments, _ = deployed
    treasury(
        "treasury",
        "bills",
        "issue",
        "SLTB-CLI",
        "--days",
        "91",
        "--price",
        "0.9875",
        "--amount",
        "1,000,000",
        "--yes",
        node=node,
        deployments=deployments,
        check=True,
    )
    out = treasury(
        "treasury",
        "bills",
        "buy",
        "SLTB-CLI",
        "100,000",
        "--max-price",
        "0.99",
        "--yes",
        node=node,
        deployments=deployments,
        check=True,
    )
    assert "buying 100,000.00 eSHL face of SLTB-CLI" in out.stdout
    status = treasury(
        "treasury", "status", "--json", node=node, deployments=deployments, check=True
    )
    lots = json.loads(status.stdout[status.stdout.index("{") :])["vault"]["lots"]
    assert [(lot["code"], lot["face"], lot["cost"]) for lot in lots] == [
        ("SLTB-CLI", 100_000 * 10**6, 98_750 * 10**6)
    ]
    early = treasury(
        "treasury", "bills", "redeem", "SLTB-CLI", "--yes", node=node, deployments=deployments
    )
    assert early.returncode != 0 and "SLTB-CLI has not matured yet" in early.stderr

    _advance(node, 91 * 86_400)
    short = treasury(
        "treasury", "bills", "redeem", "SLTB-CLI", "--yes", node=node, deployments=deployments
    )  # the debt office has not funded the repayment yet
    assert short.returncode != 0 and "holds 0.00 eSHL of the 100,000.00" in short.stderr
    with on_node(node, deployments) as system:  # the auction paid 98,750; the treasury tops up
        bank = next(a for a in accounts if a.address == system.holders.central_bank)
        system.cash.mint(system.registry.treasury(), 1_250 * 10**6, sender=bank)
    funded = treasury(
        "treasury", "bills", "fund", "SLTB-CLI", "--yes",
        node=node, deployments=deployments, check=True,
    )  # fmt: skip
    assert "funding SLTB-CLI with 100,000.00" in funded.stdout
    treasury(
        "treasury", "bills", "redeem", "SLTB-CLI", "--yes",
        node=node, deployments=deployments, check=True,
    )  # fmt: skip
    after = treasury("treasury", "status", "--json", node=node, deployments=deployments)
    vault = json.loads(after.stdout[after.stdout.index("{") :])["vault"]
    assert vault["lots"] == []  # the bill paid its face into the vault's idle cash


@pytest.fixture
def keystore(accounts, node):
    """The exchange's key in an ape keystore (alias cli_exchange_KIND, passphrase
    "s3cret"), as an operator off a local chain would hold it; removed afterwards. One
    alias per node kind: the kinds run on two workers at once, sharing ape's folder."""
    from ape import config
    from eth_account import Account

    alias = f"cli_exchange_{node.kind}"
    path = Path(config.DATA_FOLDER) / "accounts" / f"{alias}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    key = next(a for a in accounts if a.address == EXCHANGE).private_key
    path.write_text(json.dumps(Account.encrypt(key, "s3cret")))
    yield alias
    path.unlink()


def _balance(node, token: str, who: str) -> int:
    data = "0x70a08231" + who[2:].lower().rjust(64, "0")  # balanceOf(address)
    return int.from_bytes(_w3(node).eth.call({"to": token, "data": data}), "big")


def test_oracle_report_then_redeem__signed_by_a_keystore_account(
    node, deployed, accounts, keystore
):
    deployments, manifest = deployed
    treasury(
        "treasury", "oracle", "report", "eSHL", "1.00", "--yes",
        node=node, deployments=deployments, check=True,
    )  # fmt: skip
    feed = manifest["contracts"]["feed:eSHL"]["address"]
    round_data = _w3(node).eth.call({"to": feed, "data": "0xfeaf968c"})  # latestRoundData()
    assert int.from_bytes(round_data[32:64], "big") == 10**8
    with on_node(node, deployments) as system:
        # Enough supply that 1,000 (the desk's smallest request) is inside its limits.
        _fund(system, accounts, EXCHANGE, 100_000 * WAD)
    coin, cash = manifest["contracts"]["SovereignStablecoin"]["address"], system.cash.address
    before = (_balance(node, coin, EXCHANGE), _balance(node, cash, EXCHANGE))
    redeem = ("treasury", "redeem", "1000", "--id", "R-1", "--account", keystore, "--yes")

    locked = treasury(*redeem, node=node, deployments=deployments)
    assert locked.returncode != 0
    assert f"set APE_ACCOUNTS_{keystore}_PASSPHRASE" in locked.stderr
    wrong = {f"APE_ACCOUNTS_{keystore}_PASSPHRASE": "guess"}
    out = treasury(*redeem, node=node, deployments=deployments, env=wrong)
    assert out.returncode != 0 and "could not be unlocked: wrong passphrase" in out.stderr
    assert (_balance(node, coin, EXCHANGE), _balance(node, cash, EXCHANGE)) == before

    right = {f"APE_ACCOUNTS_{keystore}_PASSPHRASE": "s3cret"}
    out = treasury(*redeem, node=node, deployments=deployments, env=right, check=True)
    assert f"account {EXCHANGE}" in out.stdout
    assert "paid now: 1,000.00 eSHL" in out.stderr + out.stdout  # through the desk, at once
    assert _balance(node, coin, EXCHANGE) == before[0] - 1_000 * WAD
    assert _balance(node, cash, EXCHANGE) == before[1] + 1_000 * 10**6


def test_burn__the_burner_burns_what_it_holds(node, deployed, accounts):
    deployments, manifest = deployed
    burner, coin = manifest["holders"]["burner"], manifest["contracts"]["SovereignStablecoin"]
    with on_node(node, deployments) as system:
        _fund(system, accounts, burner, 100 * WAD)
    before, held = supply(node, deployments), _balance(node, coin["address"], burner)
    treasury(
        "treasury", "burn", "40", "--id", "BURN-1", "--yes",
        node=node, deployments=deployments, check=True,
    )  # fmt: skip
    assert supply(node, deployments) == before - 40 * WAD
    assert _balance(node, coin["address"], burner) == held - 40 * WAD


def test_pause_at_once__unpause_through_the_governors_delay(node, deployed):
    deployments, manifest = deployed
    paused = lambda: _coin_call(node, manifest, "0x" + selector_of("pausedFlags()"))  # noqa: E731
    treasury("treasury", "pause", "mint", "--yes", node=node, deployments=deployments, check=True)
    assert paused() & 1
    refused = treasury(
        "treasury", "mint", EXCHANGE, "1", "--id", "P-1", "--yes",
        node=node, deployments=deployments,
    )  # fmt: skip
    assert refused.returncode != 0 and "paused" in refused.stderr
    unpause = ("treasury", "unpause", "mint", "--yes")
    first = treasury(*unpause, node=node, deployments=deployments, check=True)
    assert "scheduled" in first.stdout and paused() & 1
    _advance(node, 86_401)
    treasury(*unpause, node=node, deployments=deployments, check=True)
    assert paused() == 0


def test_participants_add_then_remove(node, deployed):
    deployments, manifest = deployed
    who = "0xdD2FD4581271e230360230F9337D5c0430Bf44C0"  # Anvil account 19
    reserve = manifest["contracts"]["Reserve"]["address"]
    data = "0x" + selector_of("isParticipant(address)") + who[2:].lower().rjust(64, "0")
    is_participant = lambda: _w3(node).eth.call({"to": reserve, "data": data})[-1]  # noqa: E731
    for action in ("add", "remove"):
        treasury(
            "treasury", "participants", action, who, "--ref", "VASP-19", "--yes",
            node=node, deployments=deployments, check=True,
        )  # fmt: skip
        assert is_participant() == (action == "add")


def test_compliance_seize__moves_a_frozen_balance(node, deployed, accounts):
    deployments, manifest = deployed
    suspect, bank = (
        "0xcd3B766CCDd6AE721141F452C550Ca635964ce71",
        manifest["holders"]["central-bank"],
    )
    coin = manifest["contracts"]["SovereignStablecoin"]["address"]
    with on_node(node, deployments) as system:
        _fund(system, accounts, suspect, 70 * WAD)
        by_address = {a.address: a for a in accounts}
        system.stablecoin.freeze(
            suspect, text_to_bytes32("AML-15"), sender=by_address[system.holders.compliance]
        )
    held = _balance(node, coin, bank)
    treasury(
        "treasury", "compliance", "seize", suspect, bank, "70", "--case", "COURT-15", "--yes",
        node=node, deployments=deployments, check=True,
    )  # fmt: skip
    assert _balance(node, coin, suspect) == 0 and _balance(node, coin, bank) == held + 70 * WAD
