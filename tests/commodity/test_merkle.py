"""sovereign.merkle against OpenZeppelin's own StandardMerkleTree (npm
@openzeppelin/merkle-tree, run by node): the same root, the same proof of every lot,
the same multiproof of random subsets, on random lot lists; and the contract's
MerkleProof accepts what it builds and refuses a lot not in the root."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sovereign.merkle import LOT_TYPES, StandardMerkleTree, verify

REFERENCE = Path(__file__).with_name("oz_merkle.mjs")
ROOT = Path(__file__).resolve().parents[2]

lot = st.tuples(
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=32, max_size=32),
    st.integers(min_value=0, max_value=2**256 - 1),
)


def reference(values, multi):
    payload = {
        "types": list(LOT_TYPES),
        "values": [["0x" + v.hex() for v in lot_[:4]] + [str(lot_[4])] for lot_ in values],
        "multi": multi,
    }
    out = subprocess.run(
        ["node", str(REFERENCE)], input=json.dumps(payload), capture_output=True, text=True,
        cwd=ROOT, check=True, timeout=60,
    )  # fmt: skip
    return json.loads(out.stdout)


def hexes(items):
    return ["0x" + b.hex() for b in items]


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(lot, min_size=1, max_size=40, unique_by=lambda v: v[:2]),
    data=st.data(),
)
def test_root_proofs_and_multiproofs_equal_openzeppelins(values, data):
    multi = data.draw(st.lists(st.integers(0, len(values) - 1), unique=True, max_size=len(values)))
    ours, theirs = StandardMerkleTree(values), reference(values, multi)
    assert "0x" + ours.root.hex() == theirs["root"]
    for i, proof in enumerate(theirs["proofs"]):
        assert hexes(ours.proof(i)) == proof
        assert verify(ours.root, LOT_TYPES, values[i], ours.proof(i))
    m = ours.multiproof(multi)
    assert hexes(m.proof) == theirs["multi"]["proof"]
    assert m.flags == theirs["multi"]["proofFlags"]
    assert [list(v[:4]) + [v[4]] for v in m.leaves] == [
        [bytes.fromhex(x[2:]) for x in leaf[:4]] + [int(leaf[4])]
        for leaf in theirs["multi"]["leaves"]
    ]


def test_a_value_not_in_the_tree_does_not_verify():
    values = [(bytes([i]) * 32, b"C" * 32, b"L" * 32, b"G" * 32, 400_000 + i) for i in range(5)]
    tree = StandardMerkleTree(values)
    forged = (*values[2][:4], values[2][4] + 1)  # the same bar, a heavier weight
    assert verify(tree.root, LOT_TYPES, values[2], tree.proof(2))
    assert not verify(tree.root, LOT_TYPES, forged, tree.proof(2))
