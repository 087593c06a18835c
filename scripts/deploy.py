"""`ape run deploy`: the project convention's name for `ape treasury deploy`.

    ape run deploy --network http://127.0.0.1:8545 --yes

The command itself (options, journal, --resume, --replace) lives in
sovereign/cli/deploy.py; see `ape treasury deploy --help`.
"""

from sovereign.cli.deploy import deploy as cli

__all__ = ["cli"]
