"""Event scans in pages of block ranges from the deployment block, within what public nodes serve.

Public providers cap the block range of one ``eth_getLogs`` (2,000 or 10,000 blocks are
common) and refuse a wider one. ``scan`` asks ape's ``ContractEvent.range`` for one page
at a time: ``SOVEREIGN_LOG_PAGE`` blocks (default 2,000), or its ``page`` argument. A page
the node still refuses is halved and asked again, down to a single block; a node that
refuses even one block is a ``LogScanError``; a node that cannot be reached at all is not
asked again (its error is raised as it is). Every scan starts at ``deployment_block``:
nothing of the system can be older than its first deployment transaction.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from ape.exceptions import ProviderError, ProviderNotConnectedError
from requests.exceptions import ConnectionError as RequestsConnectionError

from sovereign.inputs import InputError

DEFAULT_PAGE = 2_000  # blocks: within the smallest common cap of public providers
PAGE_ENV = "SOVEREIGN_LOG_PAGE"


class LogScanError(ProviderError):
    """The node refused the logs of a single block; the message is one line (ape's
    command line shows it as one, as it shows the node's own refusals)."""


UNREACHABLE = (ConnectionError, RequestsConnectionError, ProviderNotConnectedError)


def page_size(page: int | None = None) -> int:
    """Blocks per ``eth_getLogs``: ``page``, else ``$SOVEREIGN_LOG_PAGE``, else 2,000."""
    if page is None:
        text = os.environ.get(PAGE_ENV, "").strip()
        if not text:
            return DEFAULT_PAGE
        try:
            page = int(text.replace(",", "").replace("_", ""))
        except ValueError:
            raise InputError(f"{PAGE_ENV}={text!r} is not a whole number of blocks") from None
    if page < 1:
        raise InputError(f"the log page must be at least 1 block, not {page}")
    return page


def deployment_block(manifest: Mapping) -> int:
    """The block of the earliest contract or deployment step the manifest records (0 when
    it records none: a manifest from before blocks were recorded)."""
    entries = list((manifest.get("contracts") or {}).values())
    entries += list(manifest.get("transactions") or ())
    blocks = [
        e.get("block")
        for e in entries
        if isinstance(e, Mapping)
        and isinstance(e.get("block"), int)
        and not isinstance(e.get("block"), bool)
    ]
    return min(blocks, default=0)


def scan(
    event,
    start: int,
    stop: int | None = None,
    *,
    search_topics: dict | None = None,
    page: int | None = None,
) -> Iterator:
    """The decoded logs of ``event`` (an ape ``ContractEvent``, e.g. ``manager.RoleGranted``)
    from block ``start`` up to, not including, ``stop`` (default: the head, included), in
    block order, one page of blocks per request. A refused page is halved and asked again;
    the smaller page is kept for the rest of the scan."""
    from ape import chain

    size = page_size(page)
    end = chain.blocks.head.number + 1 if stop is None else int(stop)
    block = max(0, int(start))
    while block < end:
        last = min(block + size, end)  # exclusive
        try:
            logs = list(event.range(block, last, search_topics=search_topics))
        except UNREACHABLE:
            raise  # a smaller page would not help
        except Exception as err:  # noqa: BLE001 - a node's refusal has no common type
            if last - block <= 1:
                reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
                raise LogScanError(
                    f"the node refused the {getattr(event, 'name', 'event')} logs of block "
                    f"{block} even one block at a time: {reason}"
                ) from err
            size = (last - block) // 2
            continue
        yield from logs
        block = last
