"""Safe proposals in one process, against Safe 1.4.1 from ape-safe's compiled manifest: the
safeTxHash is the Safe's own, pre-approved (v=1) signatures execute only at threshold,
the store carries calls (and an edited call is another hash), proposals queue by nonce,
a MultiSend plan runs whole, and a deploy journal resumes past the Safe steps."""

import json

import ape
import pytest

from sovereign import artifacts, safedeploy
from sovereign.deployphases import Deployment
from sovereign.deploysteps import DeployJournal
from sovereign.safeops import (
    CALL,
    Proposal,
    ProposalStore,
    SafeState,
    SafeTx,
    multisend_payload,
    next_nonce,
    preapproved_signatures,
    rejection,
    safe_at,
    safe_nonce,
)
from sovereign.safeview import unpack_multisend

pytestmark = pytest.mark.xdist_group("safe")


@pytest.fixture(scope="module")
def contracts(deployer):
    return safedeploy.deploy_safe_contracts(Deployment(deployer, DeployJournal(None, {})))


@pytest.fixture(scope="module")
def owners(alice, bob, mallory):
    return [alice, bob, mallory]


@pytest.fixture(scope="module")
def safe(contracts, owners, deployer):
    created = safedeploy.create_safe(contracts, [o.address for o in owners], 2, deployer)
    return safe_at(created.address)


@pytest.fixture(scope="module")
def token(project, deployer):
    return project.MockERC20.deploy("Test", "TST", 18, sender=deployer)


def _mint_tx(safe, token, to, amount, nonce=0) -> SafeTx:
    data = "0x" + bytes(token.mint.encode_input(to, amount)).hex()
    return SafeTx(safe.address, token.address, 0, data, CALL, nonce)


def test_safe__is_two_of_three_of_its_owners(safe, owners):
    state = SafeState.read(safe.address)
    assert state.threshold == 2 and state.nonce == 0
    assert set(state.owners) == {o.address for o in owners}
    assert str(safe.VERSION()) == "1.4.1"


def test_safe_tx_hash__is_the_safes_own(safe, token, alice):
    tx = _mint_tx(safe, token, alice, 7 * 10**18, nonce=3)
    on_chain = safe.getTransactionHash(*tx.exec_args(), 3)
    assert tx.hash == "0x" + bytes(on_chain).hex()
    assert _mint_tx(safe, token, alice, 7 * 10**18, nonce=4).hash != tx.hash


def test_exec__two_approvals_run_the_call__one_does_not(safe, token, owners, alice, deployer):
    tx = _mint_tx(safe, token, alice, 5)
    state = SafeState.read(safe.address)
    safe.approveHash(tx.hash, sender=owners[0])
    assert state.approvals(tx.hash) == [owners[0].address]
    with ape.reverts():
        safe.execTransaction(
            *tx.exec_args(), preapproved_signatures([owners[0].address]), sender=deployer
        )
    assert safe_nonce(safe) == 0 and token.balanceOf(alice) == 0
    safe.approveHash(tx.hash, sender=owners[2])
    approved = state.approvals(tx.hash)
    assert approved == sorted(approved, key=lambda a: int(a, 16)) and len(approved) == 2
    # Signatures given out of order are sorted: checkNSignatures wants ascending owners.
    receipt = safe.execTransaction(
        *tx.exec_args(), preapproved_signatures(list(reversed(approved))), sender=deployer
    )
    assert safe_nonce(safe) == 1 and token.balanceOf(alice) == 5
    assert receipt.events.filter(safe.ExecutionSuccess)[0].txHash.hex() == tx.hash[2:]


def test_preapproved_signature__is_r_owner_s_zero_v_one(owners):
    raw = preapproved_signatures([owners[0].address])
    assert len(raw) == 65 and raw[64] == 1 and raw[32:64] == bytes(32)
    assert raw[12:32] == bytes.fromhex(owners[0].address[2:])


def test_store__finds_by_prefix__an_edited_call_is_another_hash(safe, token, alice, tmp_path):
    store = ProposalStore(tmp_path / "p.json")
    p = Proposal(_mint_tx(safe, token, alice, 9), "mint 9", alice.address, "now")
    store.put(p)
    assert store.find(p.hash[:12]) == p
    with pytest.raises(Exception, match="no Safe proposal"):
        store.find("0x" + "ab" * 32)
    with pytest.raises(Exception, match="not a Safe transaction hash"):
        store.find("0x12")
    data = json.loads(store.path.read_text())
    entry = data["safes"][safe.address][p.hash]
    entry["tx"]["data"] = entry["tx"]["data"][:-2] + "ff"  # the amount edited on disk
    store.path.write_text(json.dumps(data))
    (edited,) = store.all()
    assert edited.hash != p.hash  # so no approval of the real call counts for it


def test_next_nonce__queues__and_a_cancelled_nonce_is_taken_again(safe, token, alice, tmp_path):
    store = ProposalStore(tmp_path / "p.json")
    state = SafeState.read(safe.address)
    first = Proposal(_mint_tx(safe, token, alice, 1, 0), "a", alice.address, "t0")
    second = Proposal(_mint_tx(safe, token, alice, 2, 1), "b", alice.address, "t1")
    assert next_nonce(state, store) == 0
    store.put(first)
    store.put(second)
    assert next_nonce(state, store) == 2
    store.put(Proposal(first.tx, "a", alice.address, "t0", cancelled={"by": alice.address}))
    assert next_nonce(state, store) == 0
    assert rejection(second) == SafeTx(safe.address, safe.address, 0, "0x", CALL, 1)


def test_multisend__one_proposal_runs_every_call(
    safe, contracts, token, owners, alice, bob, deployer
):
    from sovereign.preflight import Call

    calls = [Call(token, "mint", (alice, 11), safe), Call(token, "mint", (bob, 22), safe)]
    to, value, data, operation = multisend_payload(calls, contracts.multisend.address)
    unpacked = unpack_multisend(bytes.fromhex(data[2:]))
    assert [t for t, _ in unpacked] == [token.address, token.address]
    nonce = safe_nonce(safe)
    tx = SafeTx(safe.address, to, value, data, operation, nonce)
    before = token.balanceOf(alice), token.balanceOf(bob)
    for owner in owners[:2]:
        safe.approveHash(tx.hash, sender=owner)
    approved = SafeState.read(safe.address).approvals(tx.hash)
    safe.execTransaction(*tx.exec_args(), preapproved_signatures(approved), sender=deployer)
    assert token.balanceOf(alice) - before[0] == 11 and token.balanceOf(bob) - before[1] == 22


class Crash(Exception):
    pass


def test_deploy_journal__resumes_past_the_safe_steps(
    accounts, owners, tmp_path, monkeypatch, chain
):
    """Crash once the minter Safe's creation is mined but not yet journaled: the resume
    finds it by the deployer's nonce, and every Safe step is sent exactly once."""
    deployer = accounts[17]
    path, header = tmp_path / "partial.json", {"chain_id": 31337}
    real_save = DeployJournal._save

    def save(self):
        last = self.steps[-1] if self.steps else None
        if last and last["label"] == "create Safe minter" and last["status"] == "done":
            raise Crash()
        real_save(self)

    def run(journal):
        d = Deployment(deployer, journal)
        found = safedeploy.deploy_safe_contracts(d)
        return found, safedeploy.deploy_role_safes(d, found, [o.address for o in owners])

    start = deployer.nonce
    monkeypatch.setattr(DeployJournal, "_save", save)
    with pytest.raises(Crash):
        run(DeployJournal(path, header))
    monkeypatch.undo()
    assert deployer.nonce - start == 5  # three contracts, two Safes: all mined
    resumed = DeployJournal(path, header, resume=True)
    found, safes = run(resumed)
    assert deployer.nonce - start == 5  # nothing sent again
    steps = resumed.done_steps()
    assert [s["label"] for s in steps][-2:] == ["create Safe governor", "create Safe minter"]
    for step, role in zip(steps[-2:], ("governor", "minter"), strict=True):
        receipt = chain.get_receipt(step["tx"])  # the address computed is the one created
        (created,) = receipt.decode_logs(found.factory.ProxyCreation)
        assert created.proxy == safes[role].address
    for role in ("governor", "minter"):
        state = SafeState.read(safes[role].address)
        assert state.threshold == 2 and set(state.owners) == {o.address for o in owners}
    assert artifacts.at("SafeL2", safes["minter"].address).getThreshold() == 2
    assert found.multisend.address == steps[2]["address"]
