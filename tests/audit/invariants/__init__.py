"""The stateful invariant machines run by tests/audit/test_invariants.py."""
