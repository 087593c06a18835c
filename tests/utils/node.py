"""A node of the test's own (Anvil, or Hardhat's node), and the CLI run against it as
an operator runs it: separate processes, from a folder outside the repository, with an
empty home."""

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
from tests.utils.constants import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


KINDS = ("anvil", "hardhat")
MINING = ("auto", "interval")
HARDHAT = ROOT / "node_modules" / ".bin" / "hardhat"
HARDHAT_CONFIG = ROOT / "tools" / "hardhat" / "hardhat.config.js"
INTERVAL_S = 2  # interval mining: one block every 2 s, as a real chain's pace


class Node:
    """A JSON-RPC node of the test's own on a fixed port: Anvil (the default), whose
    state survives a restart (--state), or Hardhat's node (npm hardhat 2.x,
    tools/hardhat/hardhat.config.js: the same chain id and accounts), which keeps no
    state across a restart. ``mining`` is ``auto`` (a block per transaction) or
    ``interval`` (a block every ``INTERVAL_S`` seconds, transactions wait for it)."""

    def __init__(
        self, port: int, state: Path | None = None, kind: str = "anvil", mining: str = "auto"
    ):
        assert kind in KINDS and mining in MINING, (kind, mining)
        self.port, self.state, self.proc = port, state, None
        self.kind, self.mining = kind, mining
        self.url = f"http://127.0.0.1:{port}"

    @property
    def keeps_state(self) -> bool:
        """Whether a restart continues the chain (Anvil's --state; Hardhat has none)."""
        return self.kind == "anvil" and self.state is not None

    def _command(self) -> tuple[list[str], dict[str, str] | None]:
        if self.kind == "anvil":
            argv = [shutil.which("anvil"), "--port", str(self.port), "--silent"]
            argv += ["--accounts", "20"]
            if self.state is not None:
                argv += ["--state", str(self.state), "--state-interval", "1"]
            if self.mining == "interval":
                argv += ["--block-time", str(INTERVAL_S)]
            return argv, None
        argv = [str(HARDHAT), "--config", str(HARDHAT_CONFIG), "node"]
        argv += ["--hostname", "127.0.0.1", "--port", str(self.port)]
        # Hardhat's own files (telemetry consent, analytics id) under .cache, not ~.
        xdg = ROOT / ".cache" / "hardhat" / "xdg"
        env = {
            **os.environ,
            "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true",
            "XDG_CONFIG_HOME": str(xdg / "config"),
            "XDG_CACHE_HOME": str(xdg / "cache"),
            "XDG_DATA_HOME": str(xdg / "data"),
            "SOVEREIGN_HARDHAT_INTERVAL_MS": str(
                INTERVAL_S * 1000 if self.mining == "interval" else 0
            ),
        }
        return argv, env

    def start(self):
        argv, env = self._command()
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,  # Hardhat runs only from inside the project that installed it
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(300):  # Hardhat takes ~2 s to start, Anvil a few ms
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited at start ({self.proc.returncode})")
            try:
                self.rpc("eth_chainId", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.kind} did not start")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)

    def rpc(self, method: str, params: list | None = None, timeout: float = 30):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
        request = urllib.request.Request(
            self.url, body.encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.loads(answer.read())["result"]

    def nonces(self, addresses) -> dict[str, int]:
        return {a: int(self.rpc("eth_getTransactionCount", [a, "latest"]), 16) for a in addresses}

    def accounts(self) -> list[str]:
        from eth_utils import to_checksum_address

        return [to_checksum_address(a) for a in self.rpc("eth_accounts")]

    def advance(self, seconds: int) -> None:
        """Move the node's clock forward and mine a block there (both nodes)."""
        self.rpc("evm_increaseTime", [seconds])
        self.rpc("evm_mine", [])


# The node kinds the end-to-end operator suite runs on: (kind, mining) by test id.
# `make test` runs them all; the Hardhat ones are also marked `hardhat` (-m hardhat to
# run them alone, -m "not hardhat" to leave them out).
NODE_KINDS = {
    "anvil": ("anvil", "auto"),
    "hardhat": ("hardhat", "auto"),
    "hardhat-interval": ("hardhat", "interval"),
}


def node_params(*ids: str, group: str | None = None) -> list:
    """``pytest.param``s for a fixture parametrized over node kinds; the Hardhat ones
    carry the ``hardhat`` mark, and with ``group`` each kind its own xdist group
    (``GROUP-KIND``), so that the kinds of one module may run on different workers."""
    import pytest

    params = []
    for name in ids or NODE_KINDS:
        marks = [pytest.mark.hardhat] if NODE_KINDS[name][0] == "hardhat" else []
        if group:
            marks.append(pytest.mark.xdist_group(f"{group}-{name}"))
        params.append(pytest.param(NODE_KINDS[name], id=name, marks=marks))
    return params


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


def module_node():
    """A module's own Anvil for the length of the module: use as
    ``node = pytest.fixture(scope="module")(module_node)``."""
    n = Node(free_port())
    n.start()
    yield n
    n.stop()
