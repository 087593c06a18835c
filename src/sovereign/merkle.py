"""Lot lists as Merkle trees, leaf for leaf as OpenZeppelin's ``StandardMerkleTree``.

Why hand-written: the tree the contracts verify (``MerkleProof``) is OpenZeppelin's
standard one (leaves ``keccak256(keccak256(abi.encode(values)))``, sorted, pairs
hashed in sorted order), and no PyPI package builds it; pymerkle's trees hash
differently. The npm ``@openzeppelin/merkle-tree`` is the reference: the test suite
checks this module against it (roots, proofs and multiproofs) on random lot lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi import encode
from eth_utils import keccak

LOT_TYPES = ("bytes32", "bytes32", "bytes32", "bytes32", "uint256")


def leaf_hash(types: Sequence[str], values: Sequence) -> bytes:
    return keccak(keccak(encode(list(types), list(values))))


def _pair(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


def _sibling(i: int) -> int:
    return i + 1 if i % 2 else i - 1


def _parent(i: int) -> int:
    return (i - 1) // 2


@dataclass(frozen=True)
class MultiProof:
    leaves: list  # the values, in the order the contract must be given them
    proof: list[bytes]
    flags: list[bool]


class StandardMerkleTree:
    """A tree over ``values`` (tuples of ``types``), leaves sorted as OpenZeppelin's."""

    def __init__(self, values: Sequence[Sequence], types: Sequence[str] = LOT_TYPES):
        if not values:
            raise ValueError("a Merkle tree needs at least one leaf")
        self.types, self.values = tuple(types), [tuple(v) for v in values]
        hashed = sorted(
            ((leaf_hash(self.types, v), i) for i, v in enumerate(self.values)),
            key=lambda pair: pair[0],
        )
        n = len(hashed)
        self.tree: list[bytes] = [b""] * (2 * n - 1)
        self._tree_index = [0] * n
        for position, (digest, value_index) in enumerate(hashed):
            self.tree[len(self.tree) - 1 - position] = digest
            self._tree_index[value_index] = len(self.tree) - 1 - position
        for i in range(len(self.tree) - 1 - n, -1, -1):
            self.tree[i] = _pair(self.tree[2 * i + 1], self.tree[2 * i + 2])

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def proof(self, value_index: int) -> list[bytes]:
        """The proof of ``values[value_index]`` (MerkleProof.verify)."""
        i, proof = self._tree_index[value_index], []
        while i > 0:
            proof.append(self.tree[_sibling(i)])
            i = _parent(i)
        return proof

    def multiproof(self, value_indices: Sequence[int]) -> MultiProof:
        """One proof of several values (MerkleProof.multiProofVerify)."""
        if len(set(value_indices)) != len(value_indices):
            raise ValueError("a multiproof names each leaf once")
        stack = sorted((self._tree_index[i] for i in value_indices), reverse=True)
        by_tree = {self._tree_index[i]: self.values[i] for i in value_indices}
        leaves = [by_tree[t] for t in stack]
        queue, proof, flags = list(stack), [], []
        while queue and queue[0] > 0:
            j = queue.pop(0)
            s, p = _sibling(j), _parent(j)
            if queue and queue[0] == s:
                flags.append(True)
                queue.pop(0)
            else:
                flags.append(False)
                proof.append(self.tree[s])
            queue.append(p)
        if not value_indices:
            proof.append(self.tree[0])
        return MultiProof(leaves, proof, flags)


def verify(root: bytes, types: Sequence[str], value: Sequence, proof: Sequence[bytes]) -> bool:
    """Whether ``value`` is a leaf of the tree with ``root`` (as MerkleProof.verify)."""
    digest = leaf_hash(types, value)
    for sibling in proof:
        digest = _pair(digest, sibling)
    return digest == root
