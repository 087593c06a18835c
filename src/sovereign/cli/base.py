"""What every ``ape treasury`` command shares: exit codes, parameter types, the
connected command class that turns operator mistakes into one line, and output
(``--json`` alone on stdout; everything else on stderr)."""

from __future__ import annotations

import inspect
import json
import re
from enum import IntEnum
from functools import wraps

import click
from ape.cli import ConnectedProviderCommand, network_option, skip_confirmation_option
from ape.cli.choices import AccountAliasPromptChoice

from sovereign.inputs import InputError
from sovereign.units import text_to_bytes32

# The network when --network is not given: the local Anvil (ape-foundry), started
# for the command or, when one listens on 127.0.0.1:8545, that one.
DEFAULT_NETWORK = "ethereum:local:foundry"


class Exit(IntEnum):
    """Exit codes, documented in the README's bad-input table."""

    OK = 0
    FAILED = 1  # a bug: an unexpected error (with its traceback)
    USAGE = 2  # click: a missing or malformed argument or option
    INPUT = 3  # input refused: unknown label, too many decimals, bad CSV row, ...
    REFUSED = 4  # the write was not sent: preflight revert, no permission, not confirmed
    NODE = 5  # the node cannot be reached
    MANIFEST = 6  # no manifest, a broken one, or one of another chain
    PARTIAL = 7  # a batch stopped part-way; running it again resumes it
    DIFFERS = 8  # journal verify: the journal and the chain differ (each difference listed)


class CliError(click.ClickException):
    """One line on stderr and a documented exit code."""

    def __init__(self, message: str, code: Exit):
        super().__init__(message.splitlines()[0] if message else code.name.lower())
        self.exit_code = int(code)

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.message}", err=True)


def _classify(err: BaseException) -> Exit | None:
    from sovereign.artifacts import ArtifactsMissing
    from sovereign.events import LogScanError
    from sovereign.journal import JournalDiffers, JournalLocked, JournalUnwritable
    from sovereign.manifest import ManifestError
    from sovereign.operations import OperationRefused, PartialBatch

    if isinstance(err, InputError):
        return Exit.INPUT
    if isinstance(err, LogScanError):
        return Exit.NODE
    if isinstance(err, JournalDiffers):
        return Exit.DIFFERS
    if isinstance(err, OperationRefused | JournalLocked | JournalUnwritable):
        return Exit.REFUSED
    if isinstance(err, ManifestError):
        return Exit.MANIFEST
    if isinstance(err, PartialBatch):
        return Exit.PARTIAL
    if isinstance(err, ArtifactsMissing):
        return Exit.FAILED
    return None


def _unreachable(err: BaseException) -> bool:
    """Connection failures as ape, web3 and requests raise them."""
    from ape.exceptions import ProviderNotConnectedError

    if isinstance(err, ProviderNotConnectedError | ConnectionError):
        return True
    text = f"{type(err).__name__} {err}".lower()
    return any(
        k in text
        for k in (
            "connection refused",
            "failed to connect",
            "max retries",
            "not connected",
            "no (supported) node found",
            "name or service not known",
        )
    )


def stderr_logs() -> None:
    """ape logs (``INFO: Connecting…``) go to stderr, so stdout carries results only."""
    from ape.logging import ClickHandler, logger

    for handler in logger._logger.handlers:
        if isinstance(handler, ClickHandler):
            handler.echo_kwargs = {
                level: {"err": True} for level in ("debug", "info", "success", "warning", "error")
            }
    logger.set_level("WARNING")


# Anvil's test accounts a local deployment uses: the deployer, the eleven role holders
# and participants (as in the repository's ape-config.yaml, which other folders lack).
LOCAL_TEST_ACCOUNTS = 20


def local_test_accounts() -> None:
    from ape.utils.basemodel import ManagerAccessMixin

    test = ManagerAccessMixin.config_manager.test
    if test.number_of_accounts < LOCAL_TEST_ACCOUNTS:
        test.number_of_accounts = LOCAL_TEST_ACCOUNTS


class OneLineUsageError(click.UsageError):
    """click's usage error in one line: the command, the problem, where help is."""

    def show(self, file=None) -> None:
        where = self.ctx.command_path if self.ctx else "ape treasury"
        click.echo(f"Error: {where}: {self.format_message()} (see --help)", err=True)


class TreasuryCommand(ConnectedProviderCommand):
    """A command connected to a network whose operator mistakes end in one line."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as err:
            if isinstance(err, OneLineUsageError):
                raise
            raise OneLineUsageError(err.format_message(), ctx=err.ctx) from None

    def invoke(self, ctx):
        stderr_logs()
        local_test_accounts()
        from sovereign import apefix

        apefix.apply_all()
        from ape.cli.options import NETWORK_META_KEY

        provider = (ctx.meta.get(NETWORK_META_KEY) or {}).get("provider")
        where = getattr(provider, "network_choice", None) or DEFAULT_NETWORK
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as err:  # noqa: BLE001 - sorted below; the rest is a bug
            code = _classify(err)
            if code is not None:
                raise CliError(str(err), code) from None
            if _unreachable(err):
                raise CliError(
                    f"cannot reach a node at {where}: is it running?", Exit.NODE
                ) from None
            raise


# ------------------------------------------------------------------ parameters


class AmountType(click.ParamType):
    """A plain decimal amount in ASCII digits, optionally grouped by thousands:
    ``1,250,000.50``. Checked here for form; against the token's decimals later."""

    name = "amount"

    def convert(self, value, param, ctx):
        from sovereign.inputs import amount_form

        try:
            return amount_form(value)
        except InputError as err:
            self.fail(str(err), param, ctx)


class IdType(click.ParamType):
    """An instruction id, case or licence reference: 1-32 printable ASCII characters.
    Surrounding spaces are stripped, as the CSV reader strips them."""

    name = "id"

    def convert(self, value, param, ctx):
        text = str(value).strip()
        if not text or not all(32 < ord(c) < 127 for c in text) or len(text) > 32:
            self.fail(
                f"{value!r} is not an id: 1 to 32 printable ASCII characters, no spaces",
                param,
                ctx,
            )
        return text


class AddressType(click.ParamType):
    """A checksummed address or a label of the manifest (resolved once connected)."""

    name = "address|label"
    _LABEL = re.compile(r"[A-Za-z][A-Za-z0-9:_-]{0,63}")

    def convert(self, value, param, ctx):
        from eth_utils import is_checksum_address, is_hex_address, to_checksum_address

        text = str(value).strip()
        if is_hex_address(text):
            if not is_checksum_address(text):
                self.fail(
                    f"{text} is not checksummed; if it is right, write {to_checksum_address(text)}",
                    param,
                    ctx,
                )
            return text
        if text.lower().startswith("0x") or not self._LABEL.fullmatch(text):
            self.fail(f"{value!r} is neither a 20-byte address nor a label", param, ctx)
        return text


AMOUNT, ID, ADDRESS = AmountType(), IdType(), AddressType()


def id_bytes(text: str) -> bytes:
    return text_to_bytes32(text)


# --------------------------------------------------------------------- options


def _signer_help(role_label: str | None) -> str:
    if role_label is None:
        return "ape account that signs (an alias from `ape accounts list`, or TEST::n); required"
    return (
        "ape account that signs (an alias from `ape accounts list`, or TEST::n); default "
        f"on a local chain: the Anvil test account holding the {role_label} role"
    )


def json_option(fn):
    return click.option(
        "--json", "as_json", is_flag=True, help="print one JSON document, alone on stdout"
    )(fn)


def common_options(fn):
    fn = json_option(fn)
    return network_option(default=DEFAULT_NETWORK)(fn)


def treasury_command(
    group: click.Group, name: str, *, role: str | None = "", write=True, safe=True, **kw
):
    """Declare a command: connected, ``--network`` and ``--json``; for a write also
    ``--account`` (its help naming ``role``), ``--dry-run``, ``-y/--yes`` and, unless
    ``safe`` is false, ``--safe`` (propose the write as a Safe transaction instead).
    The wrapped function returns a result dict (printed with ``--json``)."""
    # `batch` sends its rows itself (sovereign/batchrun.py), not through Operator.run:
    # it declares its own --safe, which proposes MultiSend chunks (sovereign/batchsafe.py).
    safe = safe and write and name != "batch"

    def decorate(fn):
        @wraps(fn)
        def run(*args, as_json=False, **kwargs):
            from sovereign.cli.session import Session

            through = kwargs.pop("safe", None)
            session = Session(
                as_json=as_json,
                dry_run=kwargs.pop("dry_run", False),
                yes=kwargs.pop("skip_confirmation", False),
                account=kwargs.pop("account", None),
                role=role,
            )
            if through is not None:
                from sovereign.safeops import SafeSender

                session.account = SafeSender.resolve(through, session.account, session.manifest)
            result = fn(session, *args, **kwargs)
            session.finish(result)

        if safe:
            run = click.option(
                "--safe",
                metavar="SAFE",
                help="propose the write as a transaction of this Safe (an ape Safe alias, a "
                "manifest label or an address; --account is the proposing owner), not send it",
            )(run)
        if write:
            run = skip_confirmation_option(help="send without asking")(run)
            run = click.option(
                "--dry-run", is_flag=True, help="preflight only: simulate every step, send nothing"
            )(run)
            # ape's account choice: an alias or TEST::n, refused as a usage error.
            run = click.option(
                "--account", type=AccountAliasPromptChoice(), help=_signer_help(role or None)
            )(run)
        run = common_options(run)
        doc = inspect.cleandoc(fn.__doc__ or "")
        if write:
            doc += f"\n\nSigner: {'the ' + role + ' role' if role else 'see --account'}."
        # "-5" must reach the amount's type (which refuses it by name), not click's
        # option parser as an unknown option.
        kw.setdefault("context_settings", {"ignore_unknown_options": True})
        return group.command(name, cls=TreasuryCommand, help=doc, **kw)(run)

    return decorate


def echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def confirm(prompt: str) -> bool:
    """Ask on stderr; no answer (end of input) is a no."""
    import sys

    try:
        answer = click.confirm(prompt, default=False, err=True)
    except click.Abort:
        answer = False
    if not sys.stdin.isatty():
        click.echo(err=True)  # a piped answer is not echoed: end the prompt's line
    return answer
