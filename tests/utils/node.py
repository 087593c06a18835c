"""An Anvil of the test's own, and the CLI run against it as an operator runs it:
separate processes, from a folder outside the repository, with an empty home."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.utils.cli import APE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """An Anvil on a fixed port whose state survives a restart (--state)."""

    def __init__(self, port: int, state: Path):
        self.port, self.state, self.proc = port, state, None
        self.url = f"http://127.0.0.1:{port}"

    def start(self):
        self.proc = subprocess.Popen(
            [
                shutil.which("anvil"),
                "--port",
                str(self.port),
                "--silent",
                "--accounts",
                "20",
                "--state",
                str(self.state),
                "--state-interval",
                "1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("anvil did not start")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)

    def rpc(self, method: str, params: list | None = None):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
        request = urllib.request.Request(
            self.url, body.encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())["result"]

    def nonces(self, addresses) -> dict[str, int]:
        return {a: int(self.rpc("eth_getTransactionCount", [a, "latest"]), 16) for a in addresses}

    def accounts(self) -> list[str]:
        from eth_utils import to_checksum_address

        return [to_checksum_address(a) for a in self.rpc("eth_accounts")]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def operator_env(home: Path, **extra) -> dict[str, str]:
    """A new user's environment: an empty home (so an empty ~/.ape), the toolchain's
    PATH, nothing of the repository's own settings."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APE_", "SOVEREIGN_"))}
    return {**env, "HOME": str(home), "COLUMNS": "200", **extra}


def ape(*argv: str, cwd: Path, env: dict[str, str], stdin: str | None = None) -> Run:
    out = subprocess.run(
        [APE, *argv],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return Run(out.returncode, out.stdout, out.stderr)
