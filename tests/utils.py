"""Helpers for tests: running `ape run`, dummy arguments from an ABI, time travel."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ape import chain

from sovereign.units import text_to_bytes32


def ref(text: str) -> bytes:
    """A readable bytes32 id / case reference."""
    return text_to_bytes32(text)


def travel(seconds: int) -> None:
    """Move the chain's clock forward and mine a block at the new time."""
    chain.mine(1, timestamp=chain.pending_timestamp + seconds)


def dummy_args(abi, filler_address: str) -> list:
    """Plausible arguments for every input of ``abi`` (used to hit access checks)."""
    out = []
    for inp in abi.inputs:
        t = inp.type
        if t == "address":
            out.append(filler_address)
        elif t.startswith("uint") or t.startswith("int"):
            out.append(1)
        elif t == "bytes32":
            out.append(ref("dummy"))
        elif t == "bool":
            out.append(True)
        elif t.endswith("[]"):
            out.append([])
        elif t in ("string", "bytes"):
            out.append("x" if t == "string" else b"x")
        else:
            raise NotImplementedError(f"no dummy for {t}")
    return out


ROOT = Path(__file__).resolve().parents[1]
APE = str(Path(sys.executable).with_name("ape"))


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def ape_run(*argv: str, env: dict[str, str], process: bool = False) -> Outcome:
    """``ape run ARGV``. By default through ape's own command-line entry point
    inside this process: the same click commands, argument parsing, script
    loading and network connection as the shell command, without the ~3 s a new
    ape process takes to start. With ``process=True`` as a real process, whose
    exit code the shell would see."""
    env = {"COLUMNS": "200", **env}
    if process:
        out = subprocess.run(
            [APE, "run", *argv],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, **env},
        )
        return Outcome(out.returncode, out.stdout, out.stderr)
    from ape._cli import cli
    from click.testing import CliRunner

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        out = CliRunner(mix_stderr=False).invoke(cli, ["run", *argv])
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if out.exception and not isinstance(out.exception, SystemExit):
        raise out.exception
    return Outcome(out.exit_code, out.stdout, out.stderr)
