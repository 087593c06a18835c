"""``ape treasury report --html DIR``: the public transparency page, read from the chain
at one block (sovereign.report), written as DIR/index.html with DIR/report.json beside."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sovereign.cli.base import treasury_command
from sovereign.inputs import InputError

commands = click.Group()


def register(cli: click.Group) -> None:
    for command in commands.commands.values():
        cli.add_command(command)


def write_report(system, manifest: dict, folder: Path) -> dict:
    from sovereign.report import read_report
    from sovereign.report_html import render

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"{folder}: cannot be created ({err.strerror})") from None
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    report = read_report(system, manifest)
    (folder / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (folder / "index.html").write_text(render(report))
    return report


@treasury_command(commands, "report", write=False)
@click.option("--html", "folder", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="the folder to write index.html and report.json into")  # fmt: skip
def report(s, folder):
    """Write the transparency page: supply, collateral by asset and class, the ratio and
    its history since deployment, feed and attestation ages, the T-bill ladder and bond
    schedules, the redemption queue, pending governance, role holders and every contract
    address, all read from the chain at the head block (named on the page)."""
    data = write_report(s.system, s.manifest, folder)
    page = folder.resolve() / "index.html"
    s.print(f"written: {page} (block {data['block']:,}) and {folder.resolve() / 'report.json'}")
    return {
        "page": str(page),
        "json": str(folder.resolve() / "report.json"),
        "block": data["block"],
    }
