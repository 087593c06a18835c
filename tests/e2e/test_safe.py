"""Two-person approval through a Safe, every step its own `ape treasury` process, from a
folder outside the repository with an empty home, against an Anvil of its own: the
minter (and the governor) deployed as 2-of-3 Safes (`deploy --safe-owners`); a mint
proposed by one owner cannot execute until a second owner approves from another process;
a non-owner's approval is refused with nothing sent; a cancelled proposal cannot execute;
`safe pending` says the call in words, with the amount and its symbol."""

import json
import subprocess

import pytest
from eth_utils import keccak

from tests.utils import node as nodes
from tests.utils.cli import APE
from tests.utils.constants import ROOT

pytestmark = pytest.mark.xdist_group("cli-safe")

WAD = 10**18
EXCHANGE = "0x2546BcD3c84621e976D8185a91A922aE77ECEc30"  # Anvil account 16
OWNERS = (  # Anvil accounts 13, 14, 15
    "0x1CBd3b2770909D4e10f157cABC84C7264073C9Ec",
    "0xdF3e18d64BC6A983f673Ab319CCaE4f1a57C7097",
    "0xcd3B766CCDd6AE721141F452C550Ca635964ce71",
)
OUTSIDER = "0x8626f6940E2eb28930eFb4CeF49B2d1F2C9C1199"  # Anvil account 19, no owner
MINTED = "0x" + keccak(text="Minted(bytes32,address,address,uint256,uint256)").hex()


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    n = nodes.Node(nodes.free_port(), tmp_path_factory.mktemp("anvil") / "state.json")
    n.start()
    yield n
    n.stop()


class Treasury:
    """``ape treasury ARGS --network URL`` as a new process, from the operator's folder."""

    def __init__(self, node, folder, home):
        self.node, self.folder = node, folder
        self.env = nodes.operator_env(home)  # its own ~/.ape: Safe aliases stay here

    def __call__(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [APE, "treasury", *args, "--network", self.node.url],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=600,
            env=self.env,
        )

    def ok(self, *args: str) -> subprocess.CompletedProcess:
        out = self(*args)
        assert out.returncode == 0, (out.stdout[-1500:], out.stderr[-1500:])
        return out

    def json(self, *args: str) -> dict:
        return json.loads(self.ok(*args, "--json").stdout)

    @property
    def manifest(self) -> dict:
        (path,) = (self.folder / "deployments").glob("*-31337.json")
        return json.loads(path.read_text())

    def supply(self) -> int:
        coin = self.manifest["contracts"]["SovereignStablecoin"]["address"]
        return int(self.node.rpc("eth_call", [{"to": coin, "data": "0x18160ddd"}, "latest"]), 16)

    def pending(self) -> list[dict]:
        return self.json("safe", "pending")["proposals"]

    def propose_mint(self, amount: str, ident: str, owner: str = "TEST::13") -> dict:
        return self.json(
            "mint", EXCHANGE, amount, "--id", ident, "--safe", "minter", "--account", owner, "-y"
        )


@pytest.fixture(scope="module")
def treasury(node, tmp_path_factory):
    """Deployed with the governor and the minter as 2-of-3 Safes of OWNERS; the exchange
    licensed and 10,000 cash in the reserve (collateral for the mints)."""
    folder = tmp_path_factory.mktemp("operator")
    assert ROOT not in folder.parents
    run = Treasury(node, folder, tmp_path_factory.mktemp("home"))
    config = str(ROOT / "deploy" / "local.yaml")
    run.ok("deploy", "--yes", "--config", config, "--safe-owners", ",".join(OWNERS))
    run.ok("participants", "add", EXCHANGE, "--ref", "VASP-1", "--yes")
    run.ok("cash", "issue", "reserve", "10000", "--yes")
    return run


def _one_line(out: subprocess.CompletedProcess) -> str:
    text = out.stderr.strip()
    assert text.startswith("Error:") and "\n" not in text, out.stderr[-1500:]
    return text


def test_deploy__minter_and_governor_are_two_of_three_safes(treasury, node):
    manifest = treasury.manifest
    safes = manifest["safe"]["accounts"]
    assert set(safes) == {"governor", "minter"}
    for role, entry in safes.items():
        assert manifest["holders"][role] == entry["address"]
        assert entry["owners"] == list(OWNERS) and entry["threshold"] == 2
        assert node.rpc("eth_getCode", [entry["address"], "latest"]) != "0x"
    # The governor Safe accepted the admin role at deployment (through its owners).
    matrix = treasury.json("roles", "show")
    admins = next(r for r in matrix if r["role"] == "admin")["holders"]
    assert [h["account"] for h in admins] == [safes["governor"]["address"]]


def test_mint__proposed_by_one_owner__executes_only_after_a_second_approves(treasury, node):
    before = treasury.supply()
    proposed = treasury.propose_mint("250", "SAFE-A")
    assert (
        proposed["status"] == "proposed"
        and proposed["safe"] == treasury.manifest["holders"]["minter"]
    )
    assert (proposed["approvals"], proposed["threshold"]) == (1, 2)
    safe_tx = proposed["safe_tx_hash"]
    assert treasury.supply() == before

    early = treasury("safe", "execute", safe_tx, "--account", "TEST::19", "--yes")
    assert early.returncode == 4
    assert "refused" in _one_line(early) and "has 1 of 2 approvals" in early.stderr
    assert treasury.supply() == before

    approved = treasury.json("safe", "approve", safe_tx, "--account", "TEST::14", "--yes")
    assert (approved["approvals"], approved["threshold"]) == (2, 2)
    executed = treasury.json("safe", "execute", safe_tx, "--account", "TEST::19", "--yes")
    (sent,) = executed["transactions"]
    receipt = node.rpc("eth_getTransactionReceipt", [sent["tx"]])
    reserve = treasury.manifest["contracts"]["Reserve"]["address"].lower()
    minted = [log for log in receipt["logs"] if log["address"] == reserve]
    assert [log["topics"][0] for log in minted] == [MINTED]
    assert int(minted[0]["topics"][3], 16) == int(EXCHANGE, 16)
    assert int(minted[0]["data"][2:66], 16) == 250 * WAD
    assert treasury.supply() - before == 250 * WAD
    # Executed once: the Safe's nonce moved on, so the same proposal is refused again.
    again = treasury("safe", "execute", safe_tx, "--account", "TEST::19", "--yes")
    assert again.returncode == 4 and "was executed in" in _one_line(again)
    print(
        f"gas: propose {proposed['transactions'][0]['gas']:,}, approve "
        f"{approved['transactions'][0]['gas']:,}, execute {sent['gas']:,}"
    )


def test_approval_by_a_non_owner__refused__nothing_sent(treasury, node):
    proposed = treasury.propose_mint("3", "SAFE-B")
    nonce = node.nonces([OUTSIDER])[OUTSIDER]
    out = treasury("safe", "approve", proposed["safe_tx_hash"], "--account", "TEST::19", "-y")
    assert out.returncode == 4
    line = _one_line(out)
    assert "refused" in line and f"{OUTSIDER} is not an owner" in line and "nothing sent" in line
    assert node.nonces([OUTSIDER])[OUTSIDER] == nonce
    (shown,) = [p for p in treasury.pending() if p["safe_tx_hash"] == proposed["safe_tx_hash"]]
    assert shown["approved_by"] == [OWNERS[0]]


def test_cancelled_proposal__cannot_execute(treasury):
    proposed = treasury.propose_mint("4", "SAFE-C")
    safe_tx = proposed["safe_tx_hash"]
    cancelled = treasury.json("safe", "cancel", safe_tx, "--account", "TEST::15", "--yes")
    assert cancelled["status"] == "cancelled" and cancelled["rejection"] is None
    assert safe_tx not in [p["safe_tx_hash"] for p in treasury.pending()]
    # Even with a second approval on-chain (another tool), this one refuses it.
    for command in ("approve", "execute"):
        out = treasury("safe", command, safe_tx, "--account", "TEST::14", "--yes")
        assert out.returncode == 4 and "was cancelled by" in _one_line(out)
        assert OWNERS[2] in out.stderr


def test_pending__says_the_call_in_words_with_amount_and_symbol(treasury):
    proposed = treasury.propose_mint("1,234.5", "SAFE-D")
    table = treasury.ok("safe", "pending").stdout
    assert proposed["safe_tx_hash"] in table
    assert "mint 1,234.50 SSHL to" in table and "(instruction SAFE-D)" in table
    assert f"approvals (on-chain): 1 of 2: {OWNERS[0]}" in table
    assert "can execute: no: has 1 of 2 approvals" in table
    (shown,) = [p for p in treasury.pending() if p["safe_tx_hash"] == proposed["safe_tx_hash"]]
    assert shown["words"] == f"mint 1,234.50 SSHL to {EXCHANGE} (instruction SAFE-D)"
    assert shown["calls"][0]["function"] == "Reserve.mint"
    assert shown["calls"][0]["args"]["amount"] == 1_234_500_000_000_000_000_000
    assert shown["approved_by"] == [OWNERS[0]] and shown["threshold"] == 2
    assert shown["executable"] is False and shown["safe"]["label"] == "minter"
