"""Helpers of ape-solcoverage's own tests: a hand-made solc output (no compiler), so
that the tests need nothing of the ape project they run in but a chain for the one
tracing test."""

from __future__ import annotations

# A contract for the branch classifier and the reports:
SOURCE = """contract C {
    function f(uint256 x) external returns (uint256) {
        if (x == 0)
            revert E();
        return x;
    }
}
"""
IF_TEXT = "if (x == 0)\n            revert E();"
FN_TEXT = SOURCE[SOURCE.index("function") : SOURCE.rindex("}") - 1].rstrip()


def src(fragment: str, file_id: int = 0) -> str:
    start = SOURCE.index(fragment)
    return f"{start}:{len(fragment)}:{file_id}"


def _ast(file_id: int) -> dict:
    def s(fragment: str) -> str:
        return src(fragment, file_id)

    return {
        "nodeType": "SourceUnit",
        "src": f"0:{len(SOURCE)}:{file_id}",
        "nodes": [
            {
                "nodeType": "ContractDefinition",
                "name": "C",
                "contractKind": "contract",
                "src": s(SOURCE.strip()),
                "nodes": [
                    {
                        "nodeType": "FunctionDefinition",
                        "name": "f",
                        "kind": "function",
                        "src": s(FN_TEXT),
                        "body": {
                            "nodeType": "Block",
                            "src": s(FN_TEXT[FN_TEXT.index("{") :]),
                            "statements": [
                                {
                                    "nodeType": "IfStatement",
                                    "src": s(IF_TEXT),
                                    "condition": {
                                        "nodeType": "BinaryOperation",
                                        "operator": "==",
                                        "src": s("x == 0"),
                                    },
                                    "trueBody": {
                                        "nodeType": "RevertStatement",
                                        "src": s("revert E();"),
                                    },
                                },
                                {"nodeType": "Return", "src": s("return x;")},
                            ],
                        },
                    }
                ],
            }
        ],
    }


def runtime_code(variant: int = 0) -> bytes:
    """pc: 0 PUSH1 <variant> | 2 ISZERO | 3 PUSH1 09 | 5 JUMPI | 6 PUSH0 | 7 DUP1
    | 8 REVERT | 9 JUMPDEST | 10 PUSH0 | 11 STOP"""
    return bytes([0x60, variant, 0x15, 0x60, 0x09, 0x57, 0x5F, 0x80, 0xFD, 0x5B, 0x5F, 0x00])


def fake_solc_output(*paths: str) -> dict:
    """solc's standard-JSON output for SOURCE saved under each of ``paths`` (file ids
    0, 1, ...; the code of each differs in its first PUSH, so each matches only its own)."""
    out = {"sources": {}, "contracts": {}}
    for i, path in enumerate(paths):
        cond, iff, rev, ret, fn = (
            src(t, i) for t in ("x == 0", IF_TEXT, "revert E();", "return x;", FN_TEXT)
        )
        source_map = ";".join([cond, iff, iff, iff, rev, rev, rev, iff, ret, fn])
        evm = {"object": runtime_code(i).hex(), "sourceMap": source_map}
        out["sources"][path] = {"id": i, "ast": _ast(i)}
        out["contracts"][path] = {"C": {"evm": {"deployedBytecode": evm}}}
    return out


def write_sources(root, *paths: str) -> None:
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(SOURCE)


# x != 0: the JUMPI at pc 5 jumped to 9, the revert never ran
PASSING_RUN = ({0, 2, 3, 5, 9, 10, 11}, {(5, 9)})
