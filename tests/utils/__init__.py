"""Helpers and constants for the tests (the conftest modules hold only fixtures and hooks).

- ``tests.utils.constants``: paths, the hypothesis profile, units and amounts;
- ``tests.utils.chain``: readable ids, time travel, dummy arguments (through ape);
- ``tests.utils.cli``: running ``ape run`` in this process or as a real one;
- ``tests.utils.audit``: the auditor's suite's raw JSON-RPC helpers (``send``, ``read``,
  ``assert_reverts``, ``isolated``, ...), imported from there.

``tests.utils`` itself exports what the single module ``tests/utils.py`` did (``ref``,
``travel``, ``dummy_args``, ``APE``, ``ROOT``, ``Outcome``, ``ape_run``).
"""

from tests.utils.chain import dummy_args, ref, travel
from tests.utils.cli import APE, Outcome, ape_run
from tests.utils.constants import ROOT

__all__ = [
    "APE",
    "ROOT",
    "Outcome",
    "ape_run",
    "dummy_args",
    "ref",
    "travel",
]
