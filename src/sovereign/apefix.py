"""Work-arounds for ape 0.8.51 behaviour that costs seconds per call.

ape-foundry prints a call trace for every custom-error revert, and enriching
that trace asks "is this address one of the test accounts?" hundreds of times;
each question re-derives the test accounts from the mnemonic (about 27 ms per
account). A revert cost about 4 s; with the derivation cached it costs tens of
milliseconds. The cache is keyed by mnemonic, HD path and index, so it returns
exactly what the derivation would.
"""

from __future__ import annotations

_applied = False


def cache_test_account_derivation() -> None:
    global _applied
    if _applied:
        return
    from ape_test.accounts import TestAccountContainer

    original = TestAccountContainer.get_test_account
    cache: dict[tuple, object] = {}

    def get_test_account(self, index: int):
        if index >= self.number_of_accounts:
            return original(self, index)  # generated on demand: not cached
        key = (self.mnemonic, self.hd_path, index)
        if key not in cache:
            cache[key] = original(self, index)
        return cache[key]

    TestAccountContainer.get_test_account = get_test_account
    _applied = True


def skip_debug_log_tracing() -> None:
    """ape traces every transaction after sending it, only to print Solidity
    ``console.log`` output (``_post_send_transaction``, marked TODO upstream).
    These contracts never log to the console, so the trace (an RPC round trip and
    its parsing, about half the client-side cost of a transaction) is skipped."""
    import ape_ethereum.provider as provider

    provider._post_send_transaction = lambda tx, receipt: None


def quiet_revert_traces() -> None:
    """ape-foundry prints the whole call trace of every reverted transaction,
    unconditionally (``_handle_execution_reverted`` calls ``trace.show()``). The
    revert itself is still raised and decoded; only the printout, which costs a
    trace fetch and its enrichment (about a third of a test run), is dropped.
    Set ``SOVEREIGN_SHOW_TRACES=1`` to get it back when debugging."""
    import os

    if os.environ.get("SOVEREIGN_SHOW_TRACES"):
        return
    from ape_ethereum.trace import Trace

    Trace.show = lambda self, *args, **kwargs: None


def apply_all() -> None:
    """Every work-around above, for tests and scripts alike."""
    cache_test_account_derivation()
    skip_debug_log_tracing()
    quiet_revert_traces()
    walk_sources_past_dependency_cache()


def walk_sources_past_dependency_cache() -> None:
    """ape lists a project's sources by walking the contracts folder and stops at
    500 files. ape-solidity copies dependencies (all of OpenZeppelin, ~500 files)
    into ``contracts/.cache`` while compiling, so a process that walks the folder
    at that moment (a second test worker, say) stops inside the cache and loses
    the project's own contracts ("no attribute 'MockERC20'"). Hidden folders are
    excluded from sources anyway, so the walk skips them from the start."""
    import os
    from functools import cached_property
    from pathlib import Path

    from ape.exceptions import ProjectError
    from ape.managers.project import SourceManager

    def _all_files(self) -> list[Path]:
        try:
            root = self.get_contracts_path()
        except ProjectError:
            return []
        found = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            found.extend(Path(folder) / name for name in files)
        return found

    prop = cached_property(_all_files)
    prop.__set_name__(SourceManager, "_all_files")
    SourceManager._all_files = prop
