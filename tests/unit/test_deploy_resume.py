"""An interrupted deploy resumes from its journal: nothing sent twice, nothing missed.

The crash is put exactly where it hurts most: after a transaction was mined but
before the journal recorded it (the step stays *pending*), so the resume has to
find the transaction on the chain by its sender's nonce.
"""

import json

import pytest

from sovereign import deploysteps
from sovereign.deploy import deploy_system
from sovereign.deploysteps import DeployError, DeployJournal
from sovereign.governance import selector
from sovereign.roles import Role


class Crash(Exception):
    """Stands for the process dying."""


def _crash_after_sending(monkeypatch, step_label: str):
    """Die when the journal is about to mark ``step_label`` done (its tx is mined)."""
    real_save = DeployJournal._save

    def save(self):
        # The step may sit inside a group sent together (run_independent), not last.
        if any(s["label"] == step_label and s["status"] == "done" for s in self.steps):
            raise Crash(step_label)
        real_save(self)

    monkeypatch.setattr(DeployJournal, "_save", save)


HEADER = {"chain_id": 31337, "deployer": "test"}


def test_deploy__crash_after_a_mined_step__resumes_without_sending_it_again(
    accounts, holders, config, tmp_path, monkeypatch, chain
):
    # An account no other in-process test deploys from: its nonce counts exactly
    # this deploy's transactions, and ape's address-keyed contract cache stays true.
    deployer = accounts[16]
    path = tmp_path / "partial.json"
    _crash_after_sending(monkeypatch, "setTargetFunctionRole Reserve minter")
    with pytest.raises(Crash):
        deploy_system(deployer, holders, config, journal=DeployJournal(path, HEADER))
    journal = json.loads(path.read_text())["steps"]
    label = "setTargetFunctionRole Reserve minter"
    index = next(i for i, s in enumerate(journal) if s["label"] == label)
    assert journal[index]["status"] == "pending"  # mined, but the journal does not know
    assert deployer.nonce > journal[index]["nonce"]
    monkeypatch.undo()

    resumed = DeployJournal(path, HEADER, resume=True)
    assert resumed.resumed == sum(1 for s in journal if s["status"] == "done")
    system = deploy_system(deployer, holders, config, journal=resumed)

    steps = resumed.done_steps()
    mine = [s for s in steps if s["sender"] == deployer.address]
    assert deployer.nonce == len(mine)  # every deployer transaction exactly once
    assert len({s["label"] for s in steps}) == len(steps)
    assert steps[index]["label"] == label and steps[index]["tx"]  # found on the chain
    # The resumed system is whole: the step recovered from the chain took effect.
    mint = selector(system.reserve, "mint")
    assert system.manager.getTargetFunctionRole(system.reserve, mint) == int(Role.MINTER)
    assert system.manager.hasRole(int(Role.GOVERNOR), holders.governor)[0]
    assert system.stablecoin.reserve() == system.reserve.address


def test_resume__refuses_a_changed_configuration(tmp_path):
    path = tmp_path / "partial.json"
    path.write_text(json.dumps({"header": {"chain_id": 1, "deployer": "a"}, "steps": []}))
    with pytest.raises(DeployError, match="started with a different deployer: 'a', now 'b'"):
        DeployJournal(path, {"chain_id": 1, "deployer": "b"}, resume=True)
    with pytest.raises(DeployError, match="no interrupted deploy to resume"):
        DeployJournal(tmp_path / "missing.json", HEADER, resume=True)


def test_resume__refuses_when_the_steps_no_longer_match(accounts, holders, config, tmp_path):
    path = tmp_path / "partial.json"
    step = {"label": "deploy SomethingElse", "status": "done", "sender": accounts[17].address}
    path.write_text(json.dumps({"header": HEADER, "steps": [step]}))
    with pytest.raises(DeployError, match="step 0 of the interrupted deploy is 'deploy Some"):
        deploy_system(
            accounts[17], holders, config, journal=DeployJournal(path, HEADER, resume=True)
        )


def test_pending_step_never_sent__is_sent_on_resume(accounts, tmp_path, chain):
    sender = accounts[17]
    path = tmp_path / "partial.json"
    pending = {
        "label": "x",
        "status": "pending",
        "sender": sender.address,
        "nonce": sender.nonce,
        "from_block": chain.blocks.head.number,
    }
    path.write_text(json.dumps({"header": HEADER, "steps": [pending]}))
    journal = DeployJournal(path, HEADER, resume=True)
    receipt = journal.run("x", sender, lambda: sender.transfer(sender, 0), None)
    assert receipt.txn_hash and journal.done_steps()[0]["tx"] == receipt.txn_hash
    assert deploysteps._nonce(sender.address, "latest") == pending["nonce"] + 1


def test_a_mined_step_is_found_in_plain_json_blocks_too():
    """Through a node reached by URL, ape's web3 may lack its middleware: a block's
    transactions are then plain JSON (hex strings, lower-case addresses). A mined but
    unjournaled step must be recognised in that shape as in web3's own (issue 12's
    `'dict' object has no attribute 'transactions'`)."""
    from hexbytes import HexBytes

    from sovereign.deploysteps import _hex, _int, _sent_by

    sender = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    raw = {"from": sender.lower(), "nonce": "0x7", "hash": "0x" + "ab" * 32}
    decoded = {"from": sender, "nonce": 7, "hash": HexBytes("0x" + "ab" * 32)}
    for tx in (raw, decoded):
        assert _sent_by(tx, sender, 7) and not _sent_by(tx, sender, 8)
        assert _hex(tx["hash"]) == "0x" + "ab" * 32
    assert _int("0x1") == _int(1) == 1
