// The reference for src/sovereign/merkle.py: OpenZeppelin's own StandardMerkleTree.
// stdin: {"types": [...], "values": [[...], ...], "multi": [i, ...]}
// stdout: {"root", "proofs": [[...] per value], "multi": {"leaves", "proof", "proofFlags"}}
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
}));
const tree = StandardMerkleTree.of(input.values, input.types);
const proofs = input.values.map((_, i) => tree.getProof(i));
const multi = tree.getMultiProof(input.multi);
process.stdout.write(JSON.stringify({ root: tree.root, proofs, multi }));
