"""`ape treasury cash|collateral|vault` as an operator runs them: real processes from a
folder outside the repository, against a node started here (Anvil, and Hardhat's node:
the same chain id and accounts), on a system deployed by
`ape treasury deploy` with a tokenized bond (SB30, a MockERC20) and the settlement
cash listed as collateral besides the vault's shares.

For every write command: the happy path changes the chain as it says; --dry-run sends
nothing; one bad input ends with exit code 3 (input refused) or 4 (not sent) and one
line on stderr, and sends nothing. "Sends nothing" is the signer's nonce unchanged
(read straight from the node). `collateral list` is checked against the chain.

The tests run in file order on one module-scoped node and build on each other: each
group's no-send test expects the state its happy-path test left (the investor on the
allowlist and holding shares, a stablecoin supply for the ratio to guard). The happy
paths run one process after the other; the no-send processes of a group run two at a
time (nothing they do can interfere). About 25 processes of ~3.5 s CPU each.
"""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_abi import encode

from sovereign.artifacts import ARTIFACTS
from tests.utils import APE, ROOT
from tests.utils import node as nodes

pytestmark = pytest.mark.xdist_group("cli-assets")

SB30 = 10**18  # one whole bond (18 decimals)
ESHL = 10**6  # one whole settlement cash unit (6 decimals)
STBF = 10**12  # one whole vault share (cash decimals + the vault's offset of 6)
# Anvil's accounts 12 and up hold no role (0 deploys, 1 to 11 hold the roles).
INVESTOR = "TEST::12"  # holds the bonds and invests in the vault
OUTSIDER = "TEST::13"  # never on the vault's allowlist
EXCHANGE = "0x2546BcD3c84621e976D8185a91A922aE77ECEc30"  # Anvil account 16
BOND_ISSUER = 19  # the Anvil account that deploys the SB30 token (before the system)


# ------------------------------------------------------------------ the node


class Anvil(nodes.Node):
    """A node on a free port (Anvil, or Hardhat's node: tests.utils.node), started and
    stopped by this module only, with a web3 of its own for set-up and reads."""

    def __init__(self, kind: str = "anvil", mining: str = "auto"):
        super().__init__(nodes.free_port(), kind=kind, mining=mining)
        self.start()
        from web3 import Web3

        self.w3 = Web3(Web3.HTTPProvider(self.url))

    def nonce(self, address: str) -> int:
        return self.w3.eth.get_transaction_count(address, "latest")

    def contract(self, name: str, address: str):
        abi = json.loads((ARTIFACTS / f"{name}.json").read_text())["abi"]
        return self.w3.eth.contract(address=address, abi=abi)

    def send(self, fn, sender: str):
        """A set-up transaction from one of Anvil's unlocked accounts."""
        receipt = self.w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}))
        assert receipt.status == 1, receipt
        return receipt

    def deploy_token(self, name: str, symbol: str, decimals: int, sender: str) -> str:
        artifact = json.loads((ARTIFACTS / "MockERC20.json").read_text())
        code = (
            artifact["deploymentBytecode"]["bytecode"]
            + encode(["string", "string", "uint8"], [name, symbol, decimals]).hex()
        )
        tx = self.w3.eth.send_transaction({"from": sender, "data": code})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt.status == 1
        return receipt.contractAddress


# --------------------------------------------------------------- the commands


@dataclass
class Run:
    args: tuple
    returncode: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)

    @property
    def error(self) -> str:
        """The one stderr line of a refusal."""
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, (self.args, self.stderr)
        return lines[0]


@dataclass
class Deployed:
    node: Anvil
    folder: Path  # the operator's folder, outside the repository
    env: dict
    manifest: dict
    bond: str  # the SB30 token

    def ape(self, *args: str) -> Run:
        """``ape treasury ARGS --network URL`` as a process, from the operator's folder."""
        argv = ("treasury", *args, "--network", self.node.url)
        out = subprocess.run(
            [APE, *argv],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        return Run(args, out.returncode, out.stdout, out.stderr)

    def ape_all(self, *commands: tuple[str, ...]) -> list[Run]:
        """Several commands that send nothing, two processes at a time."""
        with ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(lambda args: self.ape(*args), commands))

    def holder(self, label: str) -> str:
        return self.manifest["holders"][label]

    def address(self, name: str) -> str:
        return self.manifest["contracts"][name]["address"]

    @property
    def investor(self) -> str:
        return self.node.w3.eth.accounts[12]

    @property
    def outsider(self) -> str:
        return self.node.w3.eth.accounts[13]

    def cash(self):
        return self.node.contract("SettlementCash", self.address("SettlementCash"))

    def vault(self):
        return self.node.contract("TBillVault", self.address("TBillVault"))

    def token(self, address: str):
        return self.node.contract("MockERC20", address)


def ok(run: Run) -> Run:
    assert run.returncode == 0, (run.args, run.stdout[-2000:], run.stderr[-2000:])
    return run


def refused(run: Run, code: int) -> str:
    assert run.returncode == code, (run.args, run.returncode, run.stdout[-800:], run.stderr)
    line = run.error
    assert line.startswith("Error: "), line
    return line


@pytest.fixture(scope="module", params=nodes.node_params("anvil", "hardhat", group="cli-assets"))
def node(request):
    n = Anvil(*request.param)
    yield n
    n.stop()


DEPLOY_CONFIG = """\
collateral:
  - symbol: SB30
    token: "{bond}"
    haircut_bps: 500
    price: "0.98"
  - symbol: eSHL
    token: cash
    haircut_bps: 0
    price: "1.00"
"""


@pytest.fixture(scope="module")
def deployed(node, tmp_path_factory) -> Deployed:
    """SB30 deployed and 2,000,000 of it minted to the investor; then the system, by
    `ape treasury deploy` run from a folder outside the repository, listing SB30 (at
    0.98, 5% haircut) and the settlement cash (at 1.00) besides the vault's shares."""
    folder = tmp_path_factory.mktemp("operator")
    assert ROOT not in folder.parents  # no ape-config.yaml, no contracts, no deployments/
    issuer = node.w3.eth.accounts[BOND_ISSUER]
    bond = node.deploy_token("Sovereign Bond 2030", "SB30", 18, issuer)
    investor = node.w3.eth.accounts[12]
    node.send(node.contract("MockERC20", bond).functions.mint(investor, 2_000_000 * SB30), issuer)
    config = folder / "deploy.yaml"
    config.write_text(DEPLOY_CONFIG.format(bond=bond))
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("SOVEREIGN_DEPLOYMENTS", None)  # the manifest goes to ./deployments
    # ape's own data (its contract-type cache by address) for this folder alone: a
    # type cached by another chain at the same address is never merged in here.
    env["APE_DATA_FOLDER"] = str(folder / ".ape-data")
    argv = ["treasury", "deploy", "--network", node.url, "--yes", "--config", str(config)]
    out = subprocess.run(
        [APE, *argv], cwd=folder, env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, (out.stdout[-2000:], out.stderr[-3000:])
    (path,) = (folder / "deployments").glob("*.json")
    manifest = json.loads(path.read_text())
    assert investor not in (manifest["deployer"], *manifest["holders"].values())
    return Deployed(node, folder, env, manifest, bond)


# ------------------------------------------------------------------------ cash


def test_cash_issue_and_burn(deployed):
    cash, bank = deployed.cash(), deployed.holder("central-bank")
    supply = cash.functions.totalSupply().call()
    held = cash.functions.balanceOf(deployed.investor).call()
    out = ok(deployed.ape("cash", "issue", deployed.investor, "10,000", "--yes", "--json")).json
    assert out["status"] == "sent" and out["account"] == bank
    assert out["recipient"] == deployed.investor
    assert out["amount"] == str(10_000 * ESHL) and out["amount_shown"] == "10,000.00 eSHL"
    assert cash.functions.balanceOf(deployed.investor).call() == held + 10_000 * ESHL
    assert cash.functions.totalSupply().call() == supply + 10_000 * ESHL

    deployed.node.send(cash.functions.mint(bank, 1_000 * ESHL), bank)  # its own cash to burn
    out = ok(deployed.ape("cash", "burn", "250.5", "--yes", "--json")).json
    assert out["status"] == "sent" and out["amount_shown"] == "250.50 eSHL"
    assert cash.functions.balanceOf(bank).call() == 749_500_000
    assert out["balance"] == "749500000"
    assert cash.functions.totalSupply().call() == supply + 10_000 * ESHL + 749_500_000


def test_cash_dry_runs_and_refusals_send_nothing(deployed):
    cash, bank = deployed.cash(), deployed.holder("central-bank")
    nonce, supply = deployed.node.nonce(bank), cash.functions.totalSupply().call()
    issue_dry, issue_bad, burn_dry, burn_bad = deployed.ape_all(
        ("cash", "issue", "reserve", "1", "--dry-run", "--json"),
        ("cash", "issue", "reserve", "1.0000001", "--yes"),
        ("cash", "burn", "1", "--dry-run"),
        ("cash", "burn", "1,000,000", "--yes"),
    )
    assert ok(issue_dry).json["status"] == "dry-run"
    assert "issuing 1.00 eSHL to " in issue_dry.stderr
    assert "has 7 decimal places; eSHL has 6" in refused(issue_bad, 3)
    assert "dry run: nothing sent" in ok(burn_dry).stdout
    # The revert is worded in the token burned, not the stablecoin.
    line = refused(burn_bad, 4)
    assert "holds 749.50 eSHL, 1,000,000.00 eSHL needed" in line, line
    assert deployed.node.nonce(bank) == nonce
    assert cash.functions.totalSupply().call() == supply


# ------------------------------------------------------------------ collateral


def test_collateral_deposit_withdraw_and_list(deployed):
    bond, reserve = deployed.token(deployed.bond), deployed.address("Reserve")
    out = ok(
        deployed.ape(
            "collateral", "deposit", "SB30", "1,000,000", "--account", INVESTOR, "-y", "--json"
        )
    ).json
    assert out["status"] == "sent" and out["account"] == deployed.investor
    assert out["reserve_balance_shown"] == "1,000,000.00 SB30"
    assert bond.functions.balanceOf(reserve).call() == 1_000_000 * SB30
    assert bond.functions.balanceOf(deployed.investor).call() == 1_000_000 * SB30

    # A supply for the ratio to guard: 800,000 SSHL against 931,000 eSHL of bonds counted.
    node, res = deployed.node, deployed.node.contract("Reserve", reserve)
    node.send(
        res.functions.registerParticipant(EXCHANGE, b"VASP-1".ljust(32, b"\0")),
        deployed.holder("registrar"),
    )
    node.send(
        res.functions.mint(EXCHANGE, 800_000 * 10**18, b"MINT-1".ljust(32, b"\0")),
        deployed.holder("minter"),
    )

    out = ok(
        deployed.ape("collateral", "withdraw", "SB30", EXCHANGE, "10,000", "-y", "--json")
    ).json
    assert out["status"] == "sent" and out["account"] == deployed.holder("reserve-manager")
    assert out["amount_shown"] == "10,000.00 SB30"
    assert bond.functions.balanceOf(reserve).call() == 990_000 * SB30
    assert bond.functions.balanceOf(EXCHANGE).call() == 10_000 * SB30

    rows = {r["symbol"]: r for r in ok(deployed.ape("collateral", "list", "--json")).json["assets"]}
    assert set(rows) == {"SB30", "eSHL", "STBF"}
    sb30 = rows["SB30"]
    assert sb30["asset"] == deployed.bond
    assert sb30["balance"] == 990_000 * SB30 and sb30["balance_shown"] == "990,000.00 SB30"
    assert (sb30["haircut_bps"], sb30["concentration_cap_bps"]) == (500, 10_000)
    assert sb30["feed"] == deployed.address("feed:SB30")
    assert sb30["price"] == 98_000_000 and sb30["price_shown"] == "0.98"
    assert sb30["fresh"] and 0 <= sb30["feed_age_seconds"] < sb30["heartbeat_seconds"]
    assert rows["eSHL"]["asset"] == deployed.address("SettlementCash")
    assert rows["STBF"]["asset"] == deployed.address("TBillVault")
    assert rows["STBF"]["feed"] == deployed.address("VaultNavFeed")


def test_collateral_dry_runs_and_refusals_send_nothing(deployed):
    bond, reserve = deployed.token(deployed.bond), deployed.address("Reserve")
    manager = deployed.holder("reserve-manager")
    nonces = {a: deployed.node.nonce(a) for a in (deployed.investor, manager)}
    held = bond.functions.balanceOf(reserve).call()
    deposit_dry, deposit_bad, withdraw_dry, withdraw_bad, table = deployed.ape_all(
        ("collateral", "deposit", "SB30", "1", "--account", INVESTOR, "--dry-run"),
        ("collateral", "deposit", "XYZ", "1", "--account", INVESTOR, "--yes"),
        ("collateral", "withdraw", "SB30", EXCHANGE, "1", "--dry-run", "--json"),
        ("collateral", "withdraw", "SB30", EXCHANGE, "200,000", "--yes"),
        ("collateral", "list"),
    )
    assert "dry run: nothing sent" in ok(deposit_dry).stdout
    assert "depositing 1.00 SB30 from " in deposit_dry.stdout
    line = refused(deposit_bad, 3)
    assert "'XYZ' is not a listed collateral asset" in line
    assert all(f"{symbol} (0x" in line for symbol in ("SB30", "eSHL", "STBF")), line
    assert ok(withdraw_dry).json["status"] == "dry-run"
    # 790,000 SB30 at 0.98 less 5% is 735,490 eSHL: below 102% of the 800,000 SSHL supply.
    line = refused(withdraw_bad, 4)
    assert "withdrawing 200,000.00 SB30" in line and "collateral ratio would fall" in line
    text = ok(table).stdout
    assert "990,000.00 SB30" in text and "5.00%" in text and "0.98 eSHL" in text
    assert {a: deployed.node.nonce(a) for a in nonces} == nonces
    assert bond.functions.balanceOf(reserve).call() == held


# ----------------------------------------------------------------------- vault


def test_vault_allow_deposit_redeem_deny(deployed):
    vault, cash = deployed.vault(), deployed.cash()
    out = ok(
        deployed.ape("vault", "allow", deployed.investor, "--ref", "KYC-0001", "-y", "--json")
    ).json
    assert out["status"] == "sent" and out["account"] == deployed.holder("compliance")
    assert vault.functions.isAllowlisted(deployed.investor).call()

    cash_before = cash.functions.balanceOf(deployed.investor).call()
    out = ok(deployed.ape("vault", "deposit", "1,000", "--account", INVESTOR, "-y", "--json")).json
    assert out["status"] == "sent" and len(out["transactions"]) == 2  # approve, deposit
    # No bills held: the NAV is the idle cash, one whole share per whole eSHL.
    assert out["preview_shown"] == out["shares_shown"] == "1,000.00 STBF"
    assert out["shares"] == out["preview_shares"] == str(1_000 * STBF)
    assert vault.functions.balanceOf(deployed.investor).call() == 1_000 * STBF
    assert cash.functions.balanceOf(deployed.investor).call() == cash_before - 1_000 * ESHL
    assert cash.functions.allowance(deployed.investor, vault.address).call() == 0

    out = ok(deployed.ape("vault", "redeem", "400.5", "--account", INVESTOR, "-y", "--json")).json
    assert out["status"] == "sent"
    assert out["preview_shown"] == out["amount_shown"] == "400.50 eSHL"
    assert vault.functions.balanceOf(deployed.investor).call() == 599_500_000_000_000
    assert cash.functions.balanceOf(deployed.investor).call() == cash_before - 599_500_000

    compliance = deployed.holder("compliance")
    deployed.node.send(
        vault.functions.setAllowlisted(EXCHANGE, True, b"KYC-EX".ljust(32, b"\0")), compliance
    )
    out = ok(deployed.ape("vault", "deny", EXCHANGE, "--ref", "AML-0007", "-y", "--json")).json
    assert out["status"] == "sent" and out["allowlisted"] is False
    assert not vault.functions.isAllowlisted(EXCHANGE).call()


def test_vault_dry_runs_and_refusals_send_nothing(deployed):
    vault, cash = deployed.vault(), deployed.cash()
    compliance = deployed.holder("compliance")
    signers = (compliance, deployed.investor, deployed.outsider)
    nonces = {a: deployed.node.nonce(a) for a in signers}
    shares = vault.functions.totalSupply().call()
    runs = deployed.ape_all(
        ("vault", "allow", EXCHANGE, "--ref", "KYC-0002", "--dry-run"),
        ("vault", "allow", deployed.investor, "--ref", "KYC-0001", "--yes"),
        ("vault", "deny", deployed.investor, "--ref", "AML-0008", "--dry-run"),
        ("vault", "deny", "nobody", "--ref", "AML-0008", "--yes"),
        ("vault", "deposit", "10", "--account", INVESTOR, "--dry-run", "--json"),
        ("vault", "deposit", "10", "--account", OUTSIDER, "--yes"),
        ("vault", "redeem", "100", "--account", INVESTOR, "--dry-run", "--json"),
        ("vault", "redeem", "1.0000000000001", "--account", INVESTOR, "--yes"),
    )
    allow_dry, allow_bad, deny_dry, deny_bad, dep_dry, dep_bad, red_dry, red_bad = runs
    assert "dry run: nothing sent" in ok(allow_dry).stdout
    assert "is already on the vault's KYC allowlist" in refused(allow_bad, 4)
    assert "dry run: nothing sent" in ok(deny_dry).stdout
    assert "'nobody' is neither an address nor a known label" in refused(deny_bad, 3)
    out = ok(dep_dry).json
    assert out["status"] == "dry-run" and out["shares"] is None
    assert out["preview_shown"] == "10.00 STBF"
    # The deposit would fail, so its approval is not sent either.
    line = refused(dep_bad, 4)
    assert line.startswith("Error: step 2 of 2, depositing 10.00 eSHL"), line
    assert "not on the vault's KYC allowlist" in line and line.endswith("nothing was sent")
    assert cash.functions.allowance(deployed.outsider, vault.address).call() == 0
    out = ok(red_dry).json
    assert out["status"] == "dry-run" and out["preview_shown"] == "100.00 eSHL"
    assert "has 13 decimal places; STBF has 12" in refused(red_bad, 3)
    assert {a: deployed.node.nonce(a) for a in signers} == nonces
    assert vault.functions.totalSupply().call() == shares
