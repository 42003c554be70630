"""The `ssg` command line: click commands that call ssg.commands.<name>.run()."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ssg import __version__


class _SsgGroup(click.Group):
    """Prints an SsgError's message without a traceback and exits 1 (as mkdocs Abort)."""

    def invoke(self, ctx: click.Context) -> object:
        # Imported once a command runs: `ssg --version` and `ssg --help` answer without
        # the exception tree (and the dataclasses it defines).
        from ssg.errors import SsgError

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
    import logging  # here, not at the top: `ssg --version` and `ssg --help` log nothing

    logging.basicConfig(level=logging.INFO, format="%(message)s")


@cli.command()
@click.argument("site", type=click.Path(path_type=Path), default=".")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Output folder.")
@click.option("--export", is_flag=True, help='Force output = "export" (plain files only).')
@click.option(
    "--strict",
    is_flag=True,
    help="Fail on content problems (bad front matter or dates) and broken links.",
)
@click.option(
    "--drafts",
    is_flag=True,
    help="Include drafts and future-dated posts (never in feeds or sitemaps).",
)
@click.option(
    "--base-url", help="Override base_url (absolute URLs in feeds, sitemaps, canonical links)."
)
@click.option(
    "--base-path",
    help='Override base_path: serve the site under a prefix, e.g. "/repo" (a GitHub Pages '
    "project site).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Ignore what earlier builds kept (parsed content, page records) and build cold; "
    "the data cache is kept (delete .ssg/data/ to fetch again).",
)
def build(
    site: Path,
    out_dir: Path | None,
    export: bool,
    strict: bool,
    drafts: bool,
    base_url: str | None,
    base_path: str | None,
    force: bool,
) -> None:
    """Build SITE (a folder holding app/) into out/."""
    from ssg.commands import build as command

    command.run(
        site,
        out_dir=out_dir,
        export=export,
        strict=strict,
        drafts=drafts,
        base_url=base_url,
        base_path=base_path,
        force=force,
    )


@cli.command()
@click.argument("site", type=click.Path(path_type=Path), default=".")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    default=3000,
    show_default=True,
    type=int,
    help="TCP port (0: any free port; the announced URL names it).",
)
@click.option("--prewarm", is_flag=True, help="Regenerate stale ISR pages without visitors.")
@click.option("--no-access-log", is_flag=True, help="Do not log one line per request.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Server processes sharing the port (each loads the site: more throughput, more memory).",
)
@click.option(
    "--cache-url",
    default=None,
    help="Share ISR state with other instances through Redis, e.g. redis://host:6379/0 "
    "(overrides cache_url and SSG_CACHE_URL).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="The build folder to serve (as `ssg build --out DIR` wrote it; default out_dir).",
)
def serve(
    site: Path,
    host: str,
    port: int,
    prewarm: bool,
    no_access_log: bool,
    workers: int,
    cache_url: str | None,
    out_dir: Path | None,
) -> None:
    """Serve SITE's build with ISR (builds first when out/ holds no build)."""
    from ssg.commands import serve as command

    command.run(
        site,
        host=host,
        port=port,
        prewarm=prewarm,
        access_log=not no_access_log,
        workers=workers,
        cache_url=cache_url,
        out_dir=out_dir,
    )


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--template",
    type=click.Choice(["blog", "docs", "minimal"]),
    default="blog",
    show_default=True,
    help="The starter to copy.",
)
def new(directory: Path, template: str) -> None:
    """Write a new site into DIRECTORY (new or empty) that builds and serves as it is."""
    from ssg.commands import new as command

    written = command.run(directory, template=template)
    click.echo(f"Created a {template} site in {directory} ({len(written)} files). Next:")
    click.echo(f"  ssg dev {directory}      # write it: pages reload as you save")
    click.echo(f"  ssg build {directory} && ssg serve {directory}   # production")


@cli.command()
@click.argument("site", type=click.Path(path_type=Path), default=".")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", default=3000, show_default=True, type=int, help="TCP port (0: any free port)."
)
@click.option(
    "--strict", is_flag=True, help="Content problems (bad front matter or dates) are errors."
)
def dev(site: Path, host: str, port: int, strict: bool) -> None:
    """Serve SITE from its sources while you write it: no build, pages reload on save."""
    from ssg.commands import dev as command

    command.run(site, host=host, port=port, strict=strict)


def main() -> None:
    """Console-script entry point (`ssg`, `python -m ssg`).

    The interpreter's normal teardown runs after a build (mostly its final
    garbage collections): skipping it (`os._exit`), freezing the collector or
    disabling it (which skips the teardown's first collection) lost what site
    modules left in open files.
    """
    cli()
