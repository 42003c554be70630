"""make_services: the data services of a build or a server over one loaded site."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ssg.content.cache import CACHE_FOLDER
from ssg.data.memo import RequestMemo
from ssg.render.dispatch import InProcessDispatcher
from ssg.scope import Clock, DataServices, Revalidator, ServiceMode
from ssg.site import Site

if TYPE_CHECKING:
    from ssg.data.cached_value import DataCache


def make_services(
    site: Site,
    *,
    mode: ServiceMode,
    clock: Clock,
    strict: bool = False,
    revalidator: Revalidator | None = None,
    include_drafts: bool = False,
    force: bool = False,
    store: DataCache | None = None,
) -> DataServices:
    """Data services for a build or a server over `site`.

    Args:
        site: the loaded site (its config names the data cache folder and timeouts).
        mode: BUILD gives one request memo for the whole build (as Next.js: a fetch
            is deduplicated across every page of a build); SERVE gives none, so
            each render gets its own memo.
        clock: epoch seconds (time.time; tests pass a fake).
        strict: content problems fail instead of warning (`ssg build --strict`).
        revalidator: the server's ISR revalidator (None in a build).
        include_drafts: content collections keep drafts and future-dated
            entries (`ssg build --drafts`, `ssg dev`).
        force: ignore the parsed content kept by earlier builds, and rewrite it
            (`ssg build --force`).
        store: the data cache to use (a shared one, e.g. in Redis); None opens
            the one on disk under `cache_dir/data`.

    Returns:
        DataServices with in-process dispatch for relative fetches, the data
        cache under `cache_dir/data` and parsed content kept under `cache_dir/content`. The caller closes them with `aclose()`.
    """
    if store is None and mode is ServiceMode.SERVE:
        from ssg.data.store import DataStore

        # A server keeps sqlite off its event loop, and opens it (and says what is wrong
        # with it) at its start.
        store = DataStore(site.config.cache_dir / "data", clock=clock, own_thread=True)
    elif store is None:
        from ssg.data.lazy_store import LazyDataStore

        # A build forks and keeps sqlite inline; it opens the store when a page first
        # reads or stores an entry (most rebuilds never do).
        store = LazyDataStore(site.config.cache_dir / "data", clock=clock)
    return DataServices(
        mode=mode,
        clock=clock,
        dispatch=InProcessDispatcher(site),
        store=store,
        build_memo=RequestMemo() if mode is ServiceMode.BUILD else None,
        fetch_timeout_seconds=site.config.fetch_timeout_seconds,
        fetch_max_bytes=site.config.fetch_max_bytes,
        site_dir=site.config.site_dir,
        site_values=site.config.template_values(),
        strict=strict,
        revalidator=revalidator,
        include_drafts=include_drafts,
        content_cache_dir=site.config.cache_dir / CACHE_FOLDER,
        force=force,
    )
