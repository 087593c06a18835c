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
