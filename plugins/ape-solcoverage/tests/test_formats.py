"""lcov.info and coverage.xml against coverage.json, written from one small fixture: two
files in two folders, one run through each."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from solcov_helpers import PASSING_RUN, fake_solc_output, write_sources

from ape_solcoverage import formats, report
from ape_solcoverage.analysis import Analysis
from ape_solcoverage.items import FileModel
from ape_solcoverage.summary import _anchor_line

PATHS = ("contracts/C.sol", "contracts/sub/D.sol")


@pytest.fixture
def written(tmp_path):
    """The five outputs of one analysis: C.sol ran with x != 0, D.sol with x == 0 (its
    JUMPI fell through into the revert)."""
    write_sources(tmp_path, *PATHS)
    analysis = Analysis(fake_solc_output(*PATHS), tmp_path)
    c, d = (compiled.program.code.hex() for compiled in analysis.compiled)
    analysis.add_hits("c", "runtime", c, *PASSING_RUN)
    analysis.add_hits("d", "runtime", d, {0, 2, 3, 5, 6, 7, 8}, {(5, 6)})
    files = analysis.results()
    data = {
        "targets": {"lines_pct": 90.0, "branches_pct": 80.0},
        "total": report.total(files),
        "files": files,
    }
    sources = {fm.path: fm.text for fm in analysis.files.values()}
    out = tmp_path / "reports"
    report.write(out, data, sources, analysis.branch_marks(), tmp_path)
    return out


def test_every_output_is_written(written):
    assert sorted(p.name for p in written.iterdir()) == sorted(report.OUTPUTS)
    public = json.loads((written / "coverage.json").read_text())
    assert not [k for f in public["files"].values() for k in f if k.startswith("_")]
    assert "lines >= 90%, branches >= 80%" in (written / "coverage.md").read_text()


def _lcov_records(text: str) -> dict[str, list[tuple[str, str]]]:
    records: dict[str, list[tuple[str, str]]] = {}
    current = None
    lines = text.splitlines()
    assert lines[0] == "TN:" and lines[-1] == "end_of_record"
    for line in lines[1:]:
        if line == "end_of_record":
            current = None
            continue
        key, _, value = line.partition(":")
        if key == "SF":
            current = records.setdefault(value, [])
        else:
            assert current is not None, line
            current.append((key, value))
    return records


def test_lcov_agrees_with_the_json_report(written):
    public = json.loads((written / "coverage.json").read_text())
    records = _lcov_records((written / formats.LCOV).read_text())
    assert sorted(records) == sorted(public["files"])
    for path, f in public["files"].items():
        rows = records[path]
        one = {k: v for k, v in rows if k in ("LF", "LH", "BRF", "BRH", "FNF", "FNH")}
        assert one == {
            "LF": str(f["lines"]["total"]),
            "LH": str(f["lines"]["hit"]),
            "BRF": str(f["branches"]["total"]),
            "BRH": str(f["branches"]["hit"]),
            "FNF": str(f["functions"]["total"]),
            "FNH": str(f["functions"]["hit"]),
        }
        da = [tuple(int(x) for x in v.split(",")) for k, v in rows if k == "DA"]
        assert len(da) == f["lines"]["total"] and sum(h for _, h in da) == f["lines"]["hit"]
        assert sorted(n for n, h in da if not h) == f["lines"]["missed"]
        brda = [v.split(",") for k, v in rows if k == "BRDA"]
        assert len(brda) == f["branches"]["total"]
        assert sum(taken == "1" for *_, taken in brda) == f["branches"]["hit"]
        assert {int(line) for line, *_ in brda} <= {n for n, _ in da}  # on counted lines
        assert [v for k, v in rows if k == "FN"] == ["2,C.f"]
        assert [v for k, v in rows if k == "FNDA"] == ["1,C.f"]
    # C.sol: the if's true outcome (the revert) never ran; D.sol: its false one
    assert [v for k, v in records["contracts/C.sol"] if k == "BRDA"] == ["3,0,0,0", "3,0,1,1"]
    assert [v for k, v in records["contracts/sub/D.sol"] if k == "BRDA"] == ["3,0,0,1", "3,0,1,0"]
    assert ("DA", "5,0") in records["contracts/sub/D.sol"]  # return x; never ran


def test_cobertura_agrees_with_the_json_report(written, tmp_path):
    public = json.loads((written / "coverage.json").read_text())
    root = ET.parse(written / formats.COBERTURA).getroot()
    total = public["total"]
    assert root.tag == "coverage"
    assert root.get("lines-valid") == str(total["lines"]["total"])
    assert root.get("lines-covered") == str(total["lines"]["hit"])
    assert root.get("branches-valid") == str(total["branches"]["total"])
    assert root.get("branches-covered") == str(total["branches"]["hit"])
    assert float(root.get("line-rate")) == pytest.approx(total["lines"]["pct"] / 100, abs=1e-4)
    assert root.findtext("sources/source") == str(tmp_path)
    packages = {p.get("name"): p for p in root.iter("package")}
    assert sorted(packages) == ["contracts", "contracts.sub"]
    classes = {c.get("filename"): c for c in root.iter("class")}
    assert sorted(classes) == sorted(public["files"])
    for path, f in public["files"].items():
        cls = classes[path]
        lines = cls.findall("lines/line")
        assert len(lines) == f["lines"]["total"]
        assert sum(int(x.get("hits")) for x in lines) == f["lines"]["hit"]
        assert (
            sorted(int(x.get("number")) for x in lines if x.get("hits") == "0")
            == (f["lines"]["missed"])
        )
        branch_lines = [x for x in lines if x.get("branch") == "true"]
        covered = valid = 0
        for x in branch_lines:
            pct, fraction = x.get("condition-coverage").split()
            got, of = (int(n) for n in fraction.strip("()").split("/"))
            assert pct == f"{round(100 * got / of)}%"
            covered, valid = covered + got, valid + of
        assert (covered, valid) == (f["branches"]["hit"], f["branches"]["total"])
        assert float(cls.get("line-rate")) == pytest.approx(f["lines"]["pct"] / 100, abs=1e-4)
        assert float(cls.get("branch-rate")) == pytest.approx(f["branches"]["pct"] / 100)
    c_lines = classes["contracts/C.sol"].findall("lines/line")
    (line3,) = [x for x in c_lines if x.get("number") == "3"]
    assert line3.attrib == {
        "number": "3",
        "hits": "1",
        "branch": "true",
        "condition-coverage": "50% (1/2)",
    }


def test_a_condition_below_its_statement_is_reported_on_the_statement():
    """lcov 2's consistency check refuses branch data on a line without line data: a
    branch point whose code starts below its counted statement goes on that statement."""
    text = (
        "contract X {\n"
        "  function f(bool a, bool b) external {\n"
        "    if (\n"
        "      a || b\n"
        "    ) revert();\n"
        "  }\n"
        "}\n"
    )

    def at(fragment: str) -> str:
        return f"{text.index(fragment)}:{len(fragment)}:0"

    fn = text[text.index("function") : text.rindex("}") - 1].rstrip()
    iff = text[text.index("if (") : text.index("revert();") + 9]
    ast = {
        "nodeType": "ContractDefinition",
        "name": "X",
        "src": at(text.strip()),
        "nodes": [
            {
                "nodeType": "FunctionDefinition",
                "name": "f",
                "src": at(fn),
                "body": {
                    "nodeType": "Block",
                    "src": at(fn[fn.index("{") :]),
                    "statements": [
                        {
                            "nodeType": "IfStatement",
                            "src": at(iff),
                            "condition": {
                                "nodeType": "BinaryOperation",
                                "operator": "||",
                                "src": at("a || b"),
                                "rightExpression": {"nodeType": "Identifier", "src": at("b")},
                            },
                            "trueBody": {"nodeType": "RevertStatement", "src": at("revert();")},
                        }
                    ],
                },
            }
        ],
    }
    fm = FileModel("contracts/X.sol", 0, text.encode(), ast)
    if_point, or_point = sorted(fm.branches, key=lambda b: b.line)
    assert (if_point.kind, if_point.line, or_point.kind, or_point.line) == ("if", 3, "||", 4)
    assert _anchor_line(fm, or_point, {2, 3, 5}) == 3  # the if statement's line
    assert _anchor_line(fm, or_point, {2, 5}) == 2  # else the function's
    assert _anchor_line(fm, if_point, {2, 3, 5}) == 3


def test_overloaded_functions_get_unique_lcov_names():
    data = {
        "files": {
            "contracts/X.sol": {
                "lines": {"total": 1, "hit": 1, "missed": []},
                "branches": {"total": 2, "hit": 1},
                "_hit_lines": [7],
                "_branches": [{"id": 0, "line": 7, "hit": [True, False]}],
                "_functions": [
                    {"name": "X.f", "line": 7, "hit": True},
                    {"name": "X.f", "line": 9, "hit": False},
                ],
            }
        }
    }
    text = formats.lcov(data)
    assert "FN:7,X.f@7\nFN:9,X.f@9\nFNDA:1,X.f@7\nFNDA:0,X.f@9\nFNF:2\nFNH:1\n" in text
    assert "BRDA:7,0,0,1\nBRDA:7,0,1,0\nBRF:2\nBRH:1\nDA:7,1\nLF:1\nLH:1\n" in text
