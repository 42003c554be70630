"""The no-change short cut: when every input file of the last build still has the stamp it had
then, a build rewrites only the manifest's build id and times, and renders nothing.

After each build, `write_snapshot` keeps the stamp (mtime and ctime in ns, size, inode) of
every file the build may have depended on: the site folder (app/, public/, ssg.toml, its
modules), the theme, every content folder read, every other file or folder a render read,
and every module file the process imported (ssg and the libraries that render). The next
build compares them first (`unchanged_build`), as Git's index, Make and ninja compare file
stamps before any content: one stat per file instead of loading the site, its content and
the page records. Anything that is not proven the same (a stamp, the config, the options,
the `SSG_*` variables, Python, a page that read a data-cache entry or an uncached fetch, a
scheduled post now due) leaves the build to the page records (`ssg.builder.build_records`).

A file changed while the build ran could have been read before or after the change, and a
change in the same clock tick as the stamp could keep the stamp (Git's "racily clean"
entries): a build writes no snapshot when any stamp is not older than its start, taken
from a file it creates (the file system's own clock and granularity).

This module imports no renderer (Jinja2, Markdown, Pygments, aiohttp): the short cut
must not pay for them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ssg.builder.build_result import BuildResult, RouteResult
from ssg.builder.file_stamps import Stamp, module_files, output_stamps, stamp_of, take_stamps
from ssg.builder.journal import journal_file
from ssg.builder.kept_files import output_stamp, read_output_stamp, records_file, write_output_stamp
from ssg.config import SiteConfig
from ssg.records import MANIFEST_FILE, Manifest, PagesFromText, restamped_manifest_text

if TYPE_CHECKING:  # the link checker (and its HTML parser) is the full build's alone
    from ssg.builder.links import BrokenLink

log = logging.getLogger("ssg.builder")

SNAPSHOT_FORMAT = 7
"""Bump when `InputSnapshot` changes shape (7: `outputs` stamps out/'s folders, not its pages)."""

_MANIFEST_FOLDER = "_ssg"

Taken = tuple[tuple[str, ...], tuple[str, ...], dict[str, Stamp | None]]
"""What the short cut stamped before a build that found a change: the snapshot's roots and
files, and their stamps then (`write_snapshot` keeps them when its roots and files are the
same: taken before the build read anything, they are as old as any it read)."""


def snapshot_file(config: SiteConfig) -> Path:
    """Where the input snapshot of builds into `config.out_dir` is kept, beside the records."""
    return records_file(config).with_suffix(".inputs")


def build_environment() -> tuple[list[tuple[str, str]], str, str | None]:
    """What a build reads from its environment besides files: the `SSG_*` variables (site
    modules read them), the working directory and PYTHONPATH (where the site's imports
    are found). Both the no-change short cut and the page records' fingerprint
    ("environment variable SSG_CONTENT_DIR changed") compare it."""
    return (
        sorted((k, v) for k, v in os.environ.items() if k.startswith("SSG_")),
        os.getcwd(),
        os.environ.get("PYTHONPATH"),
    )


def build_settings(config: SiteConfig, *, include_drafts: bool, strict: bool) -> str:
    """What a build depends on besides files, as one digest: the loaded config (ssg.toml,
    `SSG_*` overrides, CLI options), --drafts, --strict, `build_environment`, and the
    Python running it (its version and prefix)."""
    text = repr(
        (repr(config), include_drafts, strict, build_environment(), sys.version, sys.prefix)
    )
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class BuildSummary:
    """What the build report of an unchanged build repeats from the last build.

    Attributes:
        routes: one settled RouteResult per route.
        manifest: the manifest without its pages (they are read from out/ when asked for).
        pages_written: pages and handler files written.
        broken_links: the link check's answer (warned again).
        exported: a static export.
        warnings: the content problems the last build logged (logged again).
    """

    routes: list[RouteResult]
    manifest: Manifest
    pages_written: int
    broken_links: list[BrokenLink] = field(default_factory=list)
    exported: bool = False
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)  # identity equality: no generated __eq__/__hash__
class InputSnapshot:
    """The stamps of every input of the last build, and what its report said (pickled).

    Attributes:
        settings: `build_settings` of the build.
        output: `output_stamp` after the build.
        records: the Stamps of the page records the build kept and of their log (they
            must be the ones the next build would check).
        roots: folders stamped whole (every file below them).
        files: single files and folders stamped (outside the roots).
        stamps: path -> Stamp, for every file below the roots and every one of `files`
            (a missing one as None).
        outputs: name -> Stamp (`ssg.builder.file_stamps.output_stamps`) of every folder
            of out/ and every file but the pages and the manifest: the short cut keeps
            out/ only when nothing added, removed or replaced a file of it, or changed
            one a build would write again, since (the page records then render the
            pages whose file is gone and remove what the build did not write).
        next_due_at: the earliest date a scheduled post falls due (epoch seconds), or None.
        summary: the build report's figures.
        format: SNAPSHOT_FORMAT.
    """

    settings: str
    output: str
    records: tuple[Stamp, Stamp | None] | None
    roots: tuple[str, ...]
    files: tuple[str, ...]
    stamps: dict[str, Stamp | None]
    outputs: dict[str, Stamp | None]
    next_due_at: float | None
    summary: BuildSummary
    format: int = SNAPSHOT_FORMAT


def _skipped(config: SiteConfig) -> frozenset[str]:
    """What the build writes itself: the output folder and the cache folder."""
    return frozenset({str(config.out_dir), str(config.cache_dir)})


def write_snapshot(
    config: SiteConfig,
    *,
    started_ns: int | None,
    settings: str,
    roots: Iterable[Path],
    files: Iterable[str],
    outputs: Iterable[str],
    volatile: bool,
    next_due_at: float | None,
    summary: BuildSummary,
    taken: Taken | None = None,
) -> bool:
    """Keep the stamps of the build's inputs for the next build's short cut, once out/ is in place.

    Args:
        config: the site config.
        started_ns: `start_marker` at the build's start (None: keep no snapshot).
        settings: `build_settings` of the build.
        roots: folders whose every file is an input (site, theme, content folders).
        files: other files and folders read (absolute), besides the imported modules.
        outputs: what to stamp in out/ (`ssg.builder.file_stamps.output_names`).
        volatile: a page read something no stamp speaks for (a data-cache entry, an
            uncached fetch): keep no snapshot.
        next_due_at: when the next scheduled post falls due (epoch seconds), or None.
        summary: the build report's figures.
        taken: the stamps the short cut took before this build (`short_cut`), kept
            when they are of the same roots and files; else every file is stamped now.

    Returns:
        True when a snapshot was written. Without one (volatile reads, a file
        changed during the build, no output stamp) the old one is removed.

    Raises:
        OSError: the cache folder cannot be written.
    """
    target = snapshot_file(config)
    output = output_stamp(config)
    stamps = None
    root_names = tuple(sorted({str(root) for root in roots}))
    # A root itself (`os.listdir` of the site folder, as imports do) and what lies in out/
    # and the cache change with every build; the walk stamps the rest below the roots,
    # and the files it skips (a module of a .venv in the site folder) are stamped one by one.
    skipped = _skipped(config)
    own = tuple(os.path.join(name, "") for name in skipped)
    file_names = tuple(
        sorted(
            name
            for name in set(files) | module_files()
            if name not in root_names and name not in skipped and not name.startswith(own)
        )
    )
    output_names = tuple(outputs)
    stamped_outputs = None
    if started_ns is not None and output is not None and not volatile:
        if taken is not None and taken[:2] == (root_names, file_names):
            stamps = taken[2]
        else:
            stamps = take_stamps(root_names, file_names, skipped)
        stamped_outputs = output_stamps(config.out_dir, output_names)
        # Changed while the build ran, or in its first clock tick: not proven.
        if stamps is not None and any(
            found is not None and max(found[0], found[1]) >= started_ns for found in stamps.values()
        ):
            stamps = None
    if stamps is None or stamped_outputs is None or output is None:
        target.unlink(missing_ok=True)
        return False
    snapshot = InputSnapshot(
        settings=settings,
        output=output,
        records=_records_stamp(config),
        roots=root_names,
        files=file_names,
        stamps=stamps,
        outputs=stamped_outputs,
        next_due_at=next_due_at,
        summary=summary,
    )
    _write_snapshot(target, snapshot)
    return True


def _records_stamp(config: SiteConfig) -> tuple[Stamp, Stamp | None] | None:
    """The stamps of the page records and of their log (`ssg.builder.build_records`)."""
    target = records_file(config)
    try:
        found = stamp_of(target.stat())
    except OSError:
        return None
    try:
        return found, stamp_of(target.with_suffix(".log").stat())
    except OSError:
        return found, None


def _write_snapshot(target: Path, snapshot: InputSnapshot) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.write_bytes(pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(temp, target)


def _load_snapshot(config: SiteConfig) -> InputSnapshot | None:
    try:
        data = snapshot_file(config).read_bytes()
    except OSError:
        return None
    try:
        snapshot = pickle.loads(data)
    except Exception:  # torn or foreign: only costs the check by page records
        log.info("The input snapshot of the last build is unreadable; checking the page records")
        return None
    if not isinstance(snapshot, InputSnapshot) or snapshot.format != SNAPSHOT_FORMAT:
        return None
    return snapshot


def unchanged_build(
    config: SiteConfig,
    *,
    now: float,
    include_drafts: bool,
    strict: bool,
    started: float,
) -> BuildResult | None:
    """The result of a build whose inputs are all as the last build left them, or None
    (`short_cut` without the stamps it took)."""
    return short_cut(
        config, now=now, include_drafts=include_drafts, strict=strict, started=started
    )[0]


def short_cut(
    config: SiteConfig,
    *,
    now: float,
    include_drafts: bool,
    strict: bool,
    started: float,
) -> tuple[BuildResult | None, Taken | None]:
    """The result of a build whose inputs are all as the last build left them, or None.

    When every stamp, the settings and the output are as the last build's snapshot
    says and no scheduled post fell due since, the output is the last build's but
    for the manifest's build id and times: the manifest is rewritten (temp file +
    rename) with a new build id and `now` as every page's generated time, and
    the content problems and broken links the last build reported are logged again.

    Args:
        config: the site config.
        now: the build's time (epoch seconds).
        include_drafts, strict: the build's options.
        started: `time.perf_counter()` at the build's start.

    Returns:
        The BuildResult (nothing rendered, every page reused), or None: build normally;
        and, when it stamped the snapshot's roots and files, their stamps (`Taken`).
    """
    if journal_file(config.out_dir).exists():
        return None, None  # a killed build's update of out/ to finish first (ssg.builder.journal)
    snapshot = _load_snapshot(config)
    if snapshot is None:
        return None, None
    if snapshot.settings != build_settings(config, include_drafts=include_drafts, strict=strict):
        return None, None
    if snapshot.next_due_at is not None and now >= snapshot.next_due_at:
        return None, None
    output = output_stamp(config)
    if output is None or output != snapshot.output or read_output_stamp(config) != output:
        return None, None
    if snapshot.records is None or _records_stamp(config) != snapshot.records:
        return None, None
    stamps = take_stamps(snapshot.roots, snapshot.files, _skipped(config))
    taken = None if stamps is None else (snapshot.roots, snapshot.files, stamps)
    if stamps != snapshot.stamps:
        return None, taken
    if output_stamps(config.out_dir, snapshot.outputs) != snapshot.outputs:  # a file removed, say
        return None, taken
    build_id = uuid.uuid4().hex
    manifest_file = config.out_dir / MANIFEST_FILE
    try:
        text = manifest_file.read_text(encoding="utf-8")
    except OSError:
        return None, taken
    restamped = restamped_manifest_text(text, build_id=build_id, generated_at=now)
    if restamped is None:
        return None, taken
    summary = snapshot.summary
    manifest = replace(
        summary.manifest, build_id=build_id, generated_at=now, pages=PagesFromText(restamped)
    )
    temp = manifest_file.with_name(f".{manifest_file.name}.{os.getpid()}.tmp")
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(restamped)
        handle.flush()
        os.fsync(handle.fileno())  # the new manifest, or the old one, after a power loss
    os.replace(temp, manifest_file)
    new_output = output_stamp(config)
    if new_output is not None:
        write_output_stamp(config, new_output)
        # The manifest's folder changed with its rename: stamped again, as this build leaves it.
        outputs = {**snapshot.outputs, **output_stamps(config.out_dir, [_MANIFEST_FOLDER])}
        _write_snapshot(
            snapshot_file(config), replace(snapshot, output=new_output, outputs=outputs)
        )
    for warning in summary.warnings:
        logging.getLogger("ssg.content").warning("%s", warning)
    if summary.broken_links:
        from ssg.builder.links import broken_links_message  # only when there are some

        log.warning("%s", broken_links_message(summary.broken_links))
    result = BuildResult(
        out_dir=config.out_dir,
        routes=summary.routes,
        pages_written=summary.pages_written,
        seconds=time.perf_counter() - started,
        manifest=manifest,
        next_due_at=snapshot.next_due_at,
        broken_links=summary.broken_links,
        exported=summary.exported,
        pages_rendered=0,
        pages_reused=summary.pages_written,
    )
    return result, None
