"""The worker's watcher: templates, public/, theme and content edits applied in place, then pages told.

Code changes (.py, ssg.toml, added or removed routes) are the supervisor's:
it starts a new worker for them (see ssg.dev.supervisor).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Callable
from pathlib import Path

import watchfiles

from ssg.builder.file_stamps import Stamp, take_stamps
from ssg.content.memo import (
    collections_read,
    expire_memoized,
    memoized_folders,
    preload_collections,
)
from ssg.content.specs import CollectionSpec, read_collection_specs, write_collection_specs
from ssg.dev.app import DevSite
from ssg.dev.changes import ChangeKind, WatchedFolders, classify, describe
from ssg.dev.events import DevEvent, EventBroker
from ssg.dev.logged_once import LoggedOnce
from ssg.layout_children import LAYOUT_FILE, warn_childless_layouts

logger = logging.getLogger("ssg.dev")

STEP_MILLISECONDS = 50
"""watchfiles waits this long without a new event before yielding a batch (an editor's
save is often several events: write, rename, chmod)."""


IDLE_MILLISECONDS = 50
"""watchfiles yields an empty batch after this long without changes."""


class SiteWatcher:
    """Watches app/, public/, the theme and every content folder the site has read.

    Args:
        dev: the worker's loaded site (which must have loaded).
        broker: where `reload` / `css` events go once a change is applied.
        logged_once: the session's content warnings filter: an edited content file's
            warnings are logged again.
    """

    def __init__(
        self, dev: DevSite, broker: EventBroker, logged_once: LoggedOnce | None = None
    ) -> None:
        assert dev.site is not None and dev.services is not None
        self.dev = dev
        self.broker = broker
        self.logged_once = logged_once
        config = dev.site.config
        self.folders = WatchedFolders(
            site_dir=config.site_dir,
            app_dir=config.app_dir,
            public_dir=config.public_dir,
            theme_dir=dev.site.theme.theme_dir,
        )
        self._rewatch = asyncio.Event()
        self._announce: set[Path] = set()
        self._before_rewatch: dict[str, Stamp | None] | None = None
        self.cache_dir = config.cache_dir
        self._listed: set[CollectionSpec] = set()
        self._listing: asyncio.Task[None] | None = None
        self.started = asyncio.Event()
        """Set once the first watch is in place (edits from then on are seen)."""

    def notice_content_folders(self) -> None:
        """Watch the content folders the site read since the last call (after each request)."""
        assert self.dev.services is not None
        folders = frozenset(memoized_folders(self.dev.services.shared))
        if not folders <= self.folders.content_dirs:
            self._announce |= folders - self.folders.content_dirs
            self.folders = dataclasses.replace(
                self.folders, content_dirs=self.folders.content_dirs | folders
            )
            # Between now and the new watch's start no watch sees an edit (the new
            # folders were never watched): the files' stamps now, compared once it runs.
            if self._before_rewatch is None:
                self._before_rewatch = _stamps(self.folders)
            self._rewatch.set()

    def listed_content_folders(self) -> None:
        """Watch, from the first watch on, the content folders the last build or worker read."""
        specs = read_collection_specs(self.cache_dir)
        self._listed = set(specs)
        folders = {Path(spec.content_dir) for spec in specs} - self.folders.content_dirs
        folders = {folder for folder in folders if folder.is_dir()}
        self._announce |= folders
        self.folders = dataclasses.replace(
            self.folders, content_dirs=self.folders.content_dirs | folders
        )

    async def preload_content(self) -> int:
        """Load the collections read last time, from the content cache (see `preload_collections`).

        The cache is the one `ssg build` and `ssg serve` use (SITE/.ssg/content):
        only files changed since any of them parsed them are parsed again.

        Returns:
            How many collections were loaded.
        """
        assert self.dev.services is not None
        loaded = await asyncio.to_thread(preload_collections, self.dev.services, self.cache_dir)
        self.notice_content_folders()
        return loaded

    def keep_collection_specs(self) -> None:
        """After a request: list a newly read collection for the next start (in the background)."""
        assert self.dev.services is not None
        specs = set(collections_read(self.dev.services))
        if specs <= self._listed or (self._listing is not None and not self._listing.done()):
            return

        async def write() -> None:
            try:
                await asyncio.to_thread(
                    write_collection_specs, self.cache_dir, specs, keep_listed=True
                )
            except OSError as exc:
                logger.warning("Could not list the content read in %s: %s", self.cache_dir, exc)
            self._listed |= specs

        self._listing = asyncio.create_task(write(), name="ssg-dev-list-content")

    async def close(self) -> None:
        """Let a write of the collection list finish (a torn file is never read: temp + rename)."""
        if self._listing is not None:
            await asyncio.gather(self._listing, return_exceptions=True)

    async def run(self) -> None:
        """Watch until cancelled, starting again whenever the set of folders grows."""
        while True:
            self._rewatch = asyncio.Event()
            roots = self.folders.roots()
            watching = self.folders.content_dirs
            before, self._before_rewatch = self._before_rewatch, None
            known = await asyncio.to_thread(_paths_below, roots)
            if before is not None:  # a file removed since these stamps was there: told
                known.update(before)
            async for changes in watchfiles.awatch(
                *roots,
                watch_filter=_not_code,
                stop_event=self._rewatch,
                step=STEP_MILLISECONDS,
                debounce=1_000,
                yield_on_timeout=True,
                rust_timeout=IDLE_MILLISECONDS,
            ):
                # The first yield comes once the new watch is in place: only then are
                # edits of a newly read folder sure to be seen.
                self.started.set()
                if before is not None:  # the edits made while no watch ran
                    now = await asyncio.to_thread(_stamps, self.folders)
                    changes = {*changes, *_missed(before, now)}
                    before = None
                elif self._before_rewatch is not None:  # stopping: no need to see these again
                    for _change, file in changes:
                        self._before_rewatch.pop(file, None)
                        self._before_rewatch.update(take_stamps((), (file,), frozenset()) or {})
                for folder in sorted(self._announce & watching):
                    logger.info(
                        "Watching %s (content the site reads)",
                        describe([folder], self.folders.site_dir),
                    )
                self._announce -= watching
                told = _told(changes, known)
                if told:
                    await self.apply(told)
            if not self._rewatch.is_set():
                return

    async def apply(self, files: set[Path]) -> DevEvent | None:
        """Apply changed files to the loaded site and tell the open pages; return the event sent.

        Templates: Jinja sees the new mtime itself (auto_reload). Content: collections look
        at their files again (changed files only are parsed). public/ and
        theme assets: listed and fingerprinted again. Then the pages: a change
        made of stylesheets only swaps them in every page. A template or content
        change reloads the pages whose recorded reads it changed (see `OpenPages`),
        and those without a record; the other pages swap their stylesheets when
        some changed too. A public file or theme asset reloads every page (no
        record lists the files a browser loads).
        """
        site, services, files_served = self.dev.site, self.dev.services, self.dev.files
        pages = self.dev.pages
        assert site is not None and services is not None and files_served is not None
        assert pages is not None
        kinds = {classify(file, self.folders) for file in files} - {
            ChangeKind.IGNORED,
            ChangeKind.CODE,
        }
        if not kinds:
            return None
        recorded = kinds & {ChangeKind.TEMPLATE, ChangeKind.CONTENT}
        await pages.settle()  # the pages rendered so far are recorded before the change
        if recorded:
            pages.begin_change()  # before the memo expires: renders from now on see the edit
        layouts = [
            f for f in files if f.name == LAYOUT_FILE and f.is_relative_to(site.config.app_dir)
        ]
        if layouts:  # an edit that drops {{ children }} is told at once, as at start
            config = site.config
            await asyncio.to_thread(
                warn_childless_layouts,
                site.env,
                site.routes,
                config.app_dir,
                config.site_dir,
                layouts,
            )
        if ChangeKind.CONTENT in kinds:
            if self.logged_once is not None:
                edited = [f for f in files if classify(f, self.folders) is ChangeKind.CONTENT]
                self.logged_once.forget(edited)
            expire_memoized(services.shared)
        if kinds & {ChangeKind.PUBLIC, ChangeKind.STYLESHEET}:
            files_served.refresh_public()
        if kinds & {ChangeKind.ASSET, ChangeKind.STYLESHEET}:
            files_served.refresh_theme()
        what = describe(files, self.folders.site_dir)
        if kinds == {ChangeKind.STYLESHEET}:
            told = self.broker.publish(DevEvent.CSS)
            logger.info("%s changed, stylesheets swapped in %s", what, count_pages(told))
            return DevEvent.CSS
        reload: Callable[[str | None], bool] | None = None
        if not kinds & {ChangeKind.PUBLIC, ChangeKind.ASSET}:
            touched = await asyncio.to_thread(pages.changed_pages)

            def reload(page: str | None) -> bool:
                return pages.reloads(page, touched)
        elif recorded:
            await asyncio.to_thread(pages.changed_pages)  # keeps the digests current
        told = self.broker.publish(DevEvent.RELOAD, to=reload)
        if ChangeKind.STYLESHEET in kinds and reload is not None:
            chosen = reload
            self.broker.publish(DevEvent.CSS, to=lambda page: not chosen(page))
        logger.info("%s changed, %s reloaded", what, count_pages(told))
        return DevEvent.RELOAD


def _stamps(folders: WatchedFolders) -> dict[str, Stamp | None]:
    """The stamps of every file below the watched folders ({} when one cannot be walked)."""
    return take_stamps([str(root) for root in folders.roots()], (), frozenset()) or {}


def _missed(
    before: dict[str, Stamp | None], now: dict[str, Stamp | None]
) -> set[tuple[watchfiles.Change, str]]:
    """The changes between two `_stamps` (those a restarting watch could not see), as
    watchfiles gives them, filtered as the watch filters them."""
    found = set()
    for name in before.keys() | now.keys():
        if before.get(name) != now.get(name):
            change = (
                watchfiles.Change.added
                if name not in before
                else watchfiles.Change.deleted
                if name not in now
                else watchfiles.Change.modified
            )
            if _not_code(change, name):
                found.add((change, name))
    return found


def _paths_below(roots: list[Path]) -> set[str]:
    """Every file and folder below `roots` (absolute paths, as watchfiles names them)."""
    found: set[str] = set()
    for root in roots:
        for folder, folders, files in os.walk(root):
            found.update(os.path.join(folder, name) for name in folders)
            found.update(os.path.join(folder, name) for name in files)
    return found


def _told(changes: set[tuple[watchfiles.Change, str]], known: set[str]) -> set[Path]:
    """The changed paths worth applying and naming: those there now, and those gone that
    were there before (a removed post). A file written and removed between two looks
    (vim's "4913" probe, an editor's temporary "a.md.tmp.123" renamed over a.md) was
    never a page or post: it is left out. `known` (the paths there) is kept up to date.
    """
    told = set()
    for _change, name in changes:
        if os.path.lexists(name):
            known.add(name)
        elif name in known:
            known.discard(name)
        else:
            continue
        told.add(Path(name))
    return told


def count_pages(count: int) -> str:
    """For the terminal: 1 -> "1 page", 2 -> "2 pages"."""
    return f"{count} page{'' if count == 1 else 's'}"


def _not_code(change: watchfiles.Change, path: str) -> bool:
    """watchfiles' default filter (editor swap files, caches, VCS folders), minus .py files."""
    return not path.endswith(".py") and _DEFAULT(change, path)


_DEFAULT = watchfiles.DefaultFilter()
