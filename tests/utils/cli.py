"""Running ``ape treasury`` and ``ape run`` from tests: in this process (fast) or as a
real process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.utils.constants import ROOT

APE = str(Path(sys.executable).with_name("ape"))


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def ape_run(*argv: str, env: dict[str, str], process: bool = False) -> Outcome:
    """``ape run ARGV`` (see ``ape_cli``)."""
    return ape_cli("run", *argv, env=env, process=process)


def ape_cli(
    *argv: str, env: dict[str, str], process: bool = False, cwd: Path | None = None
) -> Outcome:
    """``ape ARGV`` (``ape treasury …``, ``ape run deploy …``). By default through ape's
    own command-line entry point inside this process: the same click commands, argument
    parsing, script loading and network connection as the shell command, without the
    ~3 s a new ape process takes to start. With ``process=True`` as a real process,
    whose exit code the shell would see."""
    env = {"COLUMNS": "200", **env}
    if process:
        out = subprocess.run(
            [APE, *argv],
            cwd=cwd or ROOT,
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
        out = CliRunner(mix_stderr=False).invoke(cli, list(argv))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if out.exception and not isinstance(out.exception, SystemExit):
        raise out.exception
    return Outcome(out.exit_code, out.stdout, out.stderr)
