"""The `ssg` command line: click commands that call ssg.commands.<name>.run()."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from ssg import __version__
from ssg.errors import SsgError


class _SsgGroup(click.Group):
    """Prints an SsgError's message without a traceback and exits 1 (as mkdocs Abort)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SsgError as exc:
            click.secho("Error: ", fg="red", bold=True, err=True, nl=False)
            click.echo(str(exc), err=True)
            sys.exit(1)


@click.group(cls=_SsgGroup)
@click.version_option(__version__, prog_name="ssg")
def cli() -> None:
    """ssg: a static site generator with Next.js App Router semantics and ISR."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")


@cli.command()
@click.argument("site", type=click.Path(path_type=Path), default=".")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Output folder.")
@click.option("--export", is_flag=True, help='Force output = "export" (plain files only).')
def build(site: Path, out_dir: Path | None, export: bool) -> None:
    """Build SITE (a folder holding app/) into out/."""
    from ssg.commands import build as command

    command.run(site, out_dir=out_dir, export=export)


def main() -> None:
    """Console-script entry point."""
    cli()
