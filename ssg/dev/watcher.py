"""The worker's watcher: templates, public/, theme and content edits applied in place, then pages told.

Code changes (.py, ssg.toml, added or removed routes) are the supervisor's:
it starts a new worker for them (see ssg.dev.supervisor).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import watchfiles

from ssg.content.memo import (
    expire_memoized,
    load_memoized,
    memoized_folders,
    memoized_stamps,
    save_memoized,
)
from ssg.dev.app import DevSite
from ssg.dev.changes import ChangeKind, WatchedFolders, classify, describe
from ssg.dev.events import DevEvent, EventBroker

logger = logging.getLogger("ssg.dev")

STEP_MILLISECONDS = 50
"""watchfiles waits this long without a new event before yielding a batch (an editor's
save is often several events: write, rename, chmod)."""


IDLE_MILLISECONDS = 50
PARSED_CONTENT_FILE = "content.pickle"
"""In SITE/.ssg/dev/: the parsed collections, so a new worker starts with them."""
"""watchfiles yields an empty batch after this long without changes."""


class SiteWatcher:
    """Watches app/, public/, the theme and every content folder the site has read.

    Args:
        dev: the worker's loaded site (which must have loaded).
        broker: where `reload` / `css` events go once a change is applied.
    """

    def __init__(self, dev: DevSite, broker: EventBroker) -> None:
        assert dev.site is not None and dev.services is not None
        self.dev = dev
        self.broker = broker
        config = dev.site.config
        self.folders = WatchedFolders(
            site_dir=config.site_dir,
            app_dir=config.app_dir,
            public_dir=config.public_dir,
            theme_dir=dev.site.theme.theme_dir,
        )
        self._rewatch = asyncio.Event()
        self._announce: set[Path] = set()
        self.parsed_file = config.cache_dir / "dev" / PARSED_CONTENT_FILE
        self._saved_stamps: dict[str, object] = {}
        self._saving: asyncio.Task[None] | None = None
        self.started = asyncio.Event()
        """Set once the first watch is in place (edits from then on are seen)."""

    def notice_content_folders(self) -> None:
        """Watch the content folders the site read since the last call (after each request)."""
        assert self.dev.services is not None
        folders = frozenset(memoized_folders(self.dev.services.shared))
        if not folders <= self.folders.content_dirs:
            self._announce |= folders - self.folders.content_dirs
            self.folders = WatchedFolders(
                site_dir=self.folders.site_dir,
                app_dir=self.folders.app_dir,
                public_dir=self.folders.public_dir,
                theme_dir=self.folders.theme_dir,
                content_dirs=self.folders.content_dirs | folders,
            )
            self._rewatch.set()

    async def reuse_parsed_content(self) -> int:
        """Start from the content an earlier worker parsed (see `save_memoized`); return collections."""
        assert self.dev.services is not None
        shared = self.dev.services.shared
        loaded = await asyncio.to_thread(load_memoized, shared, self.parsed_file)
        self._saved_stamps = dict(memoized_stamps(shared))
        self.notice_content_folders()
        return loaded

    def keep_parsed_content(self) -> None:
        """After a request: save the parsed content in the background when it changed."""
        assert self.dev.services is not None
        shared = self.dev.services.shared
        stamps = memoized_stamps(shared)
        if stamps == self._saved_stamps or (self._saving is not None and not self._saving.done()):
            return

        async def save() -> None:
            try:
                await asyncio.to_thread(save_memoized, shared, self.parsed_file)
            except OSError as exc:
                logger.warning("Could not keep the parsed content in %s: %s", self.parsed_file, exc)
            self._saved_stamps = dict(stamps)

        self._saving = asyncio.create_task(save(), name="ssg-dev-keep-content")

    async def close(self) -> None:
        """Let a save of the parsed content finish (a torn file is never read: temp + rename)."""
        if self._saving is not None:
            await asyncio.gather(self._saving, return_exceptions=True)

    async def run(self) -> None:
        """Watch until cancelled, starting again whenever the set of folders grows."""
        while True:
            self._rewatch = asyncio.Event()
            roots = self.folders.roots()
            watching = self.folders.content_dirs
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
                for folder in sorted(self._announce & watching):
                    logger.info(
                        "Watching %s (content the site reads)",
                        describe([folder], self.folders.site_dir),
                    )
                self._announce -= watching
                if changes:
                    self.apply({Path(file) for _change, file in changes})
            if not self._rewatch.is_set():
                return

    def apply(self, files: set[Path]) -> DevEvent | None:
        """Apply changed files to the loaded site and tell the pages; return the event sent.

        Templates: Jinja sees the new mtime itself (auto_reload). Content: collections look
        at their files again (changed files only are parsed). public/ and
        theme assets: listed and fingerprinted again. A change made of
        stylesheets only swaps them in the pages; anything else reloads.
        """
        site, services, files_served = self.dev.site, self.dev.services, self.dev.files
        assert site is not None and services is not None and files_served is not None
        kinds = {classify(file, self.folders) for file in files} - {
            ChangeKind.IGNORED,
            ChangeKind.CODE,
        }
        if not kinds:
            return None
        if ChangeKind.CONTENT in kinds:
            expire_memoized(services.shared)
        if kinds & {ChangeKind.PUBLIC, ChangeKind.STYLESHEET}:
            files_served.refresh_public()
        if kinds & {ChangeKind.ASSET, ChangeKind.STYLESHEET}:
            files_served.refresh_theme()
        event = DevEvent.CSS if kinds == {ChangeKind.STYLESHEET} else DevEvent.RELOAD
        told = self.broker.publish(event)
        what = "stylesheet swapped in" if event is DevEvent.CSS else "reloaded"
        logger.info(
            "%s changed: %d page%s %s",
            describe(files, self.folders.site_dir),
            told,
            "" if told == 1 else "s",
            what,
        )
        return event


def _not_code(change: watchfiles.Change, path: str) -> bool:
    """watchfiles' default filter (editor swap files, caches, VCS folders), minus .py files."""
    return not path.endswith(".py") and _DEFAULT(change, path)


_DEFAULT = watchfiles.DefaultFilter()
