"""Sovereign stablecoin toolkit: the Python side shared by scripts and tests.

Scripts under ``scripts/`` are thin command-line wrappers over this package;
tests import it to deploy the system exactly as operators do.
"""

__version__ = "0.1.0"
