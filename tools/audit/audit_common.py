"""What the two audit scripts share: paths, the compiler input, the cache, the triage file.

Runs in the audit virtual environment (.venv-audit), which holds slither and its set but
no YAML library (constraints-audit.txt is slither's set only), so the triage file is read
by a small parser for the plain subset of YAML it is written in (see `load_yaml`).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
# Mocks and the plain OpenZeppelin baselines (tests and benchmarks only): not compiled,
# not analysed, so a new mock can neither add findings nor invalidate the cache.
TEST_CONTRACTS = "contracts/test/"
OZ_DIR = ROOT / "node_modules" / "@openzeppelin" / "contracts"
AUDIT_VENV = ROOT / ".venv-audit"
CACHE_DIR = ROOT / ".cache" / "audit"
REPORTS = ROOT / "reports"
TRIAGE_FILE = ROOT / "audit" / "slither-triage.yaml"
# What ape-config.yaml compiles with. The optimizer is left off: slither reads the AST,
# which the optimizer does not change, and solcjs compiles twice as fast without it.
EVM_VERSION = "prague"
REMAPPING = "@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"
INSTALL_HINT = "run make audit, which installs .venv-audit"


class AuditError(Exception):
    """A set-up or input problem, reported in one line (exit status 2)."""


def fail_setup(prog: str, message: str) -> None:
    print(f"{prog}: {message}", file=sys.stderr)
    sys.exit(2)


def rel(path: Path) -> str:
    """A path relative to the repository when it lies inside it."""
    path = path.resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


# ---------------------------------------------------------------- tools and compiler input


def audit_tool(name: str) -> Path:
    """A console script of the audit venv: next to the running interpreter, else .venv-audit."""
    for candidate in (Path(sys.executable).parent / name, AUDIT_VENV / "bin" / name):
        if candidate.is_file():
            return candidate
    raise AuditError(f"{name} not found in .venv-audit: {INSTALL_HINT}")


def solc_wrapper() -> Path:
    """tools/solc/bin/solc-v<npm solc version>, as the Makefile's solc stamp checks it."""
    package = ROOT / "node_modules" / "solc" / "package.json"
    if not package.is_file() or not OZ_DIR.is_dir():
        raise AuditError("node_modules is missing (npm solc, OpenZeppelin): run make setup")
    version = json.loads(package.read_text())["version"]
    wrapper = ROOT / "tools" / "solc" / "bin" / f"solc-v{version}"
    if not wrapper.is_file():
        raise AuditError(f"{rel(wrapper)} is missing: the wrapper must match npm solc {version}")
    return wrapper


def sources() -> list[str]:
    """The project's Solidity sources, relative to the repository, without the mocks."""
    found = sorted(rel(p) for p in CONTRACTS.rglob("*.sol"))
    found = [p for p in found if not p.startswith(TEST_CONTRACTS)]
    if not found:
        raise AuditError("no Solidity sources under contracts/")
    return found


def standard_json_input() -> dict:
    """One solc standard-JSON compilation of every project source (crytic-compile's solc-json)."""
    return {
        "language": "Solidity",
        "sources": {path: {"urls": [path]} for path in sources()},
        "settings": {
            "remappings": [REMAPPING],
            "optimizer": {"enabled": False},
            "evmVersion": EVM_VERSION,
            "outputSelection": {
                "*": {
                    "*": [
                        "abi",
                        "evm.bytecode.object",
                        "evm.bytecode.sourceMap",
                        "evm.deployedBytecode.object",
                        "evm.deployedBytecode.sourceMap",
                    ],
                    "": ["ast"],
                }
            },
        },
    }


def write_compiler_input(name: str) -> Path:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / name
    path.write_text(json.dumps(standard_json_input(), indent=1, sort_keys=True))
    return path


def package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def input_key(*extra: str) -> str:
    """Changes whenever anything the analysis reads changes: the sources, OpenZeppelin's
    version, the compiler, slither and crytic-compile, these scripts."""
    h = hashlib.sha256()
    for path in sources():
        h.update(path.encode() + b"\0" + (ROOT / path).read_bytes() + b"\0")
    for path in (
        OZ_DIR / "package.json",
        ROOT / "node_modules" / "solc" / "package.json",
        ROOT / "tools" / "solc" / "solc.js",
        Path(__file__),
        Path(sys.argv[0]).resolve(),
    ):
        h.update(path.read_bytes() + b"\0")
    for name in ("slither-analyzer", "crytic-compile"):
        h.update(package_version(name).encode() + b"\0")
    for item in extra:
        h.update(item.encode() + b"\0")
    return h.hexdigest()


def cached(name: str, key: str) -> dict | None:
    path = CACHE_DIR / name
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data.get("result") if data.get("key") == key else None


def store(name: str, key: str, result: dict) -> None:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = CACHE_DIR / (name + ".tmp")
    tmp.write_text(json.dumps({"key": key, "result": result}))
    tmp.replace(CACHE_DIR / name)


# ---------------------------------------------------------------- text helpers

_SOURCE_REF = re.compile(r"\s*\((?:[^()\s]+/)?[^()\s/]+\.sol#\d+(?:-\d+)?\)")


def strip_source_refs(text: str) -> str:
    """A slither description without its `(file.sol#12-34)` references (line numbers move)."""
    return _SOURCE_REF.sub("", text)


def md_cell(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def seconds(t: float) -> str:
    return f"{t:.1f} s"


# ---------------------------------------------------------------- the YAML subset


class YamlError(AuditError):
    pass


_PLAIN_TYPED = re.compile(
    r"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON"
    r"|off|Off|OFF|[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9]+"
    r"|0x[0-9a-fA-F_]+|0o?[0-7_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


@dataclass
class _Line:
    number: int
    indent: int
    text: str  # without the indentation


@dataclass
class _YamlParser:
    """Block mappings and sequences, plain and quoted one-line scalars, flow sequences of
    scalars, and `>`/`|` block scalars: every value is a string, a list or a mapping.
    Anything else (anchors, tags, flow mappings, typed plain scalars) is refused with its
    line number, so the file means the same to this parser and to any YAML library."""

    source: str
    raw: list[str]
    pos: int = 0
    lines: list[_Line] = field(default_factory=list)

    def error(self, number: int, message: str) -> YamlError:
        return YamlError(f"{self.source}:{number}: {message}")

    # -- lines

    def _significant(self, i: int) -> _Line | None:
        while i < len(self.raw):
            text = self.raw[i]
            stripped = text.strip()
            if stripped and not stripped.startswith("#"):
                if "\t" in text[: len(text) - len(text.lstrip())]:
                    raise self.error(i + 1, "a tab in the indentation")
                indent = len(text) - len(text.lstrip(" "))
                return _Line(i + 1, indent, text[indent:].rstrip())
            i += 1
        return None

    def peek(self) -> _Line | None:
        line = self._significant(self.pos)
        if line is not None:
            self.pos = line.number - 1
        return line

    # -- nodes

    def document(self) -> object:
        line = self.peek()
        if line is None:
            return {}
        if line.text.startswith("---"):
            raise self.error(line.number, "document markers are not supported")
        node = self.node(line.indent)
        rest = self.peek()
        if rest is not None:
            raise self.error(rest.number, "unexpected indentation")
        return node

    def node(self, indent: int) -> object:
        line = self.peek()
        if line.text == "-" or line.text.startswith("- "):
            return self.sequence(indent)
        return self.mapping(indent)

    def mapping(self, indent: int) -> dict:
        result: dict = {}
        while (line := self.peek()) is not None and line.indent == indent:
            if line.text == "-" or line.text.startswith("- "):
                raise self.error(line.number, "a list item where a key was expected")
            key, rest = self.split_key(line)
            if key in result:
                raise self.error(line.number, f"duplicate key {key!r}")
            self.pos += 1
            result[key] = self.value(rest, indent, line)
        if line is not None and line.indent > indent:
            raise self.error(line.number, "unexpected indentation (multi-line text needs '>-')")
        return result

    def sequence(self, indent: int) -> list:
        items: list = []
        while (line := self.peek()) is not None and line.indent == indent:
            if not (line.text == "-" or line.text.startswith("- ")):
                break
            rest = line.text[1:].lstrip(" ")
            if not rest or rest.startswith("#"):
                self.pos += 1
                child = self.peek()
                if child is None or child.indent <= indent:
                    raise self.error(line.number, "an empty list item")
                items.append(self.node(child.indent))
            elif self.looks_like_key(rest):
                # "- key: value": a mapping whose keys sit at the column of "key".
                column = indent + len(line.text) - len(rest)
                self.raw[self.pos] = " " * column + rest
                items.append(self.mapping(column))
            else:
                self.pos += 1
                items.append(self.scalar(rest, line))
        if line is not None and line.indent > indent:
            raise self.error(line.number, "unexpected indentation")
        return items

    def value(self, rest: str, indent: int, line: _Line) -> object:
        rest = self.strip_comment(rest)
        if not rest:
            child = self.peek()
            if child is not None and (
                child.indent > indent
                or (child.indent == indent and (child.text == "-" or child.text.startswith("- ")))
            ):
                return self.node(child.indent)
            raise self.error(line.number, "a key without a value")
        if rest[0] in ">|":
            return self.block_scalar(rest, indent, line)
        if rest.startswith("["):
            return self.flow_sequence(rest, line)
        return self.scalar(rest, line)

    # -- scalars

    @staticmethod
    def looks_like_key(text: str) -> bool:
        if text[0] in "'\"":
            quote = text[0]
            end = text.find(quote, 1)
            return end > 0 and text[end + 1 :].lstrip().startswith(":")
        m = re.match(r"[^\s#:\[\]{},&*!|>'\"%@`-][^:#]*?:(?:\s|$)", text)
        return m is not None

    def split_key(self, line: _Line) -> tuple[str, str]:
        text = line.text
        if text[0] in "'\"":
            key = self.scalar(text[: text.index(text[0], 1) + 1], line)
            rest = text[text.index(text[0], 1) + 1 :].lstrip()
            if not rest.startswith(":"):
                raise self.error(line.number, "expected 'key: value'")
            return key, rest[1:].strip()
        m = re.match(r"([^\s#:\[\]{},&*!|>'\"%@`][^:#]*?):(?:\s+(.*))?$", text)
        if m is None:
            raise self.error(line.number, "expected 'key: value'")
        return m.group(1).rstrip(), (m.group(2) or "").strip()

    @staticmethod
    def strip_comment(text: str) -> str:
        if text[:1] in "'\"":
            return text  # a quoted scalar checks its own tail
        m = re.search(r"(^|\s)#", text)
        return text[: m.start()].rstrip() if m else text

    def scalar(self, text: str, line: _Line) -> str:
        text = text.strip()
        if text[:1] == "'":
            m = re.match(r"'((?:[^']|'')*)'\s*(#.*)?$", text)
            if m is None:
                raise self.error(line.number, "an unterminated or multi-line quoted scalar")
            return m.group(1).replace("''", "'")
        if text[:1] == '"':
            m = re.match(r'"((?:[^"\\]|\\.)*)"\s*(#.*)?$', text)
            if m is None:
                raise self.error(line.number, "an unterminated or multi-line quoted scalar")
            escapes = {"\\": "\\", '"': '"', "n": "\n"}

            def unescape(esc: re.Match) -> str:
                if esc.group(1) not in escapes:
                    raise self.error(line.number, 'only \\\\, \\" and \\n escapes are supported')
                return escapes[esc.group(1)]

            return re.sub(r"\\(.)", unescape, m.group(1))
        text = self.strip_comment(text)
        if not text:
            raise self.error(line.number, "an empty value")
        if text[0] in "&*!%@`{}|>[],?:" or text[:2] == "- ":
            raise self.error(line.number, f"unsupported YAML syntax in {text!r}: quote the value")
        if ": " in text or text.endswith(":"):
            raise self.error(line.number, f"': ' inside a plain value {text!r}: quote the value")
        if _PLAIN_TYPED.match(text):
            raise self.error(line.number, f"{text!r} is not a string to YAML: quote it")
        return text

    def flow_sequence(self, text: str, line: _Line) -> list[str]:
        text = self.strip_comment(text)
        if not text.endswith("]"):
            raise self.error(line.number, "a flow list must close on its line")
        inner = text[1:-1].strip()
        if not inner:
            return []
        items = [item.strip() for item in inner.split(",")]
        if any(not item or item[0] in "'\"[{" for item in items):
            raise self.error(line.number, "flow lists hold plain values only; use a block list")
        return [self.scalar(item, line) for item in items]

    def block_scalar(self, header: str, indent: int, line: _Line) -> str:
        m = re.match(r"([>|])([-+]?)\s*(#.*)?$", header)
        if m is None:
            raise self.error(line.number, f"unsupported block scalar header {header!r}")
        style, chomp = m.group(1), m.group(2)
        body: list[str] = []
        block_indent = None
        i = self.pos
        while i < len(self.raw):
            text = self.raw[i]
            if text.strip():
                ind = len(text) - len(text.lstrip(" "))
                if ind <= indent:
                    break
                if block_indent is None:
                    block_indent = ind
                if ind < block_indent:
                    raise self.error(i + 1, "a block scalar line indented less than its first")
                if style == ">" and ind > block_indent:
                    raise self.error(i + 1, "more-indented lines in a '>' block: use '|'")
                body.append(text[block_indent:].rstrip())
            else:
                body.append("")
            i += 1
        self.pos = i
        while body and not body[-1]:
            body.pop()
        if not body:
            raise self.error(line.number, "an empty block scalar")
        if style == "|":
            text = "\n".join(body)
        else:
            text, blank = "", 0
            for part in body:
                if not part:
                    blank += 1
                    continue
                if text:
                    text += "\n" * blank if blank else " "
                text += part
                blank = 0
        return text if chomp == "-" else text + "\n"


def load_yaml(path: Path) -> object:
    try:
        text = path.read_text()
    except OSError as exc:
        raise AuditError(f"cannot read {rel(path)}: {exc.strerror}") from None
    return _YamlParser(rel(path), text.splitlines()).document()


# ---------------------------------------------------------------- the triage file

# section -> (required keys, optional keys); every value is a string or a list of strings.
SCHEMA = {
    "triaged": ({"detector", "where", "reason"}, {"match"}),
    "fixed": ({"detector", "where", "fix"}, {"match"}),
    "erc_allowlist": ({"contract", "standard", "issue", "reason"}, {"match"}),
}
LIST_KEYS = {"where", "match", "contract"}


@dataclass
class Entry:
    section: str
    index: int  # 1-based within its section
    fields: dict

    def items(self, key: str) -> list[str]:
        value = self.fields.get(key, [])
        return value if isinstance(value, list) else [value]

    @property
    def label(self) -> str:
        return f"{self.section}[{self.index}]"


def load_triage(path: Path = TRIAGE_FILE) -> dict[str, list[Entry]]:
    if not path.is_file():
        raise AuditError(f"{rel(path)} is missing (the committed triage file)")
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise AuditError(f"{rel(path)}: the top level must be a mapping of sections")
    unknown = set(data) - set(SCHEMA)
    if unknown:
        known = ", ".join(SCHEMA)
        raise AuditError(f"{rel(path)}: unknown section(s) {sorted(unknown)}; known: {known}")
    result: dict[str, list[Entry]] = {}
    for section, (required, optional) in SCHEMA.items():
        entries = data.get(section) or []
        if not isinstance(entries, list):
            raise AuditError(f"{rel(path)}: {section} must be a list")
        result[section] = []
        for i, fields in enumerate(entries, 1):
            where = f"{rel(path)}: {section}[{i}]"
            if not isinstance(fields, dict):
                raise AuditError(f"{where} must be a mapping")
            missing, extra = required - set(fields), set(fields) - required - optional
            if missing or extra:
                raise AuditError(
                    f"{where}: missing {sorted(missing)}, unknown {sorted(extra)}"
                    if missing and extra
                    else f"{where}: missing {sorted(missing)}"
                    if missing
                    else f"{where}: unknown {sorted(extra)}"
                )
            for key, value in fields.items():
                values = value if isinstance(value, list) and key in LIST_KEYS else [value]
                if not values or not all(isinstance(v, str) and v.strip() for v in values):
                    raise AuditError(f"{where}: {key} must be a non-empty string or list of them")
            for key in ("reason", "fix"):
                if key in fields and len(fields[key].split()) < 4:
                    raise AuditError(f"{where}: {key} must say why, in words")
            result[section].append(Entry(section, i, fields))
    return result
