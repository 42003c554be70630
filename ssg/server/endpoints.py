"""The server's own endpoints under /_ssg/: revalidation and status behind a bearer secret, health open."""

from __future__ import annotations

import difflib
import hmac
import json
import os
from collections import Counter
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ssg.errors import page_label
from ssg.isr.freshness import freshness_of
from ssg.isr.tags import PathType, path_tag
from ssg.server.responses import DYNAMIC_CACHE_CONTROL, method_not_allowed

if TYPE_CHECKING:
    from collections.abc import Callable

    from ssg.isr.backend import CacheBackend
    from ssg.isr.engine import IsrEngine

SECRET_ENV = "SSG_REVALIDATE_SECRET"
REVALIDATE_PATH = "/_ssg/revalidate"
STATUS_PATH = "/_ssg/status"
HEALTH_PATH = "/_ssg/health"
MAX_REVALIDATE_BODY_BYTES = 16 * 1024
MAX_PAGES_LISTED = 1000
"""Cached pages listed at most by one /_ssg/status?pages=1 answer (page on with offset)."""
FAILURES_LISTED = 100
"""Failures listed by /_ssg/status, newest first (the server keeps up to 1,000)."""


class Endpoints:
    """`POST /_ssg/revalidate`, `GET /_ssg/status` and `GET /_ssg/health`.

    Revalidation and status need `Authorization: Bearer <secret>`; without a
    configured secret they do not exist (404), so a server never exposes them
    by accident. Health needs no secret: it is what a load balancer or a
    container runtime polls (it tells only that this server answers, and its
    build id).

    Args:
        engine: the ISR engine.
        backend: where the ISR state is shared (the local disk or Redis).
        secret: the bearer secret ($SSG_REVALIDATE_SECRET), or None.
        not_found: makes the 404 response.
        base_path: the served build's base path ("/docs", or ""): revalidated paths are
            given without it, as `revalidate_path` takes them.
    """

    def __init__(
        self,
        engine: IsrEngine,
        *,
        backend: CacheBackend,
        secret: str | None,
        not_found: Callable[[web.Request], web.Response],
        base_path: str = "",
    ) -> None:
        self.engine = engine
        self._base_path = base_path
        self.backend = backend
        self._secret = secret.encode("utf-8") if secret else None
        self._not_found = not_found

    async def dispatch(self, request: web.Request, url_path: str) -> web.StreamResponse:
        """Answer a request under /_ssg/ (anything else there is a 404, the manifest included)."""
        if url_path == HEALTH_PATH:
            if request.method not in ("GET", "HEAD"):
                return method_not_allowed(["GET", "HEAD"])
            return _json({"status": "ok", "build_id": self.engine.build_id})
        if url_path not in (REVALIDATE_PATH, STATUS_PATH) or self._secret is None:
            return self._not_found(request)
        if not self._authorized(request):
            return _json(
                {"error": "unauthorized: send Authorization: Bearer $SSG_REVALIDATE_SECRET"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="ssg"'},
            )
        if url_path == REVALIDATE_PATH:
            if request.method != "POST":
                return method_not_allowed(["POST"])
            return await self._revalidate(request)
        if request.method not in ("GET", "HEAD"):
            return method_not_allowed(["GET", "HEAD"])
        try:
            offset = max(0, int(request.query.get("offset", "0")))
            limit = min(MAX_PAGES_LISTED, max(0, int(request.query.get("limit", MAX_PAGES_LISTED))))
        except ValueError:
            return _bad("offset and limit must be whole numbers, e.g. ?pages=1&offset=0&limit=100")
        return _json(
            self.status(verbose=request.query.get("pages") == "1", offset=offset, limit=limit)
        )

    def _authorized(self, request: web.Request) -> bool:
        assert self._secret is not None
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        # compare_digest takes the same time wherever the first difference is,
        # so the secret cannot be guessed byte by byte from response times.
        # aiohttp decodes header bytes with surrogateescape: encoding the same way
        # gives the bytes sent back, so a non-UTF-8 token is a wrong token (401).
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode("utf-8", "surrogateescape"), self._secret
        )

    async def _revalidate(self, request: web.Request) -> web.Response:
        """Body `{"path": "/blog/a"}`, `{"path": "/blog/[slug]", "type": "page"}` or `{"tag": "posts"}`."""
        raw = await request.content.read(MAX_REVALIDATE_BODY_BYTES + 1)
        if len(raw) > MAX_REVALIDATE_BODY_BYTES:
            return _json({"error": "body too large"}, status=413)
        try:
            payload = json.loads(raw or b"null")
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python's stack
            return _bad('the body must be JSON such as {"path": "/blog/a"} or {"tag": "posts"}')
        if not isinstance(payload, dict) or ("path" in payload) == ("tag" in payload):
            return _bad('send exactly one of "path" or "tag", e.g. {"path": "/blog/a"}')
        now = self.engine.clock()
        if "tag" in payload:
            tag = payload["tag"]
            if not isinstance(tag, str) or not tag:
                return _bad('"tag" must be a non-empty string')
            marked = self.engine.revalidations.revalidate_tag(tag)
            await self.engine.revalidations.save_marks()  # answered once every worker can see it
            return _json({"revalidated": True, "tag": tag, "marked": marked, "now": now})
        path, kind = payload["path"], payload.get("type")
        if not isinstance(path, str) or not (kind is None or isinstance(kind, str)):
            return _bad('"path" must be a string and "type" "page", "layout" or absent')
        try:
            marked = self.engine.revalidations.revalidate_path(path, kind)
        except ValueError as exc:
            return _bad(str(exc))
        await self.engine.revalidations.save_marks()
        answer = {"revalidated": True, "path": path, "type": kind, "marked": marked, "now": now}
        base = self._base_path
        if not marked and base and (path == base or path.startswith(base + "/")):
            # The address bar's path: likely meant without the base path (not guessed, since
            # the site may have a segment of the same name).
            answer["hint"] = (
                f"paths are given without the base path {base}: "
                f'{{"path": "{path[len(base) :] or "/"}"}}'
            )
        elif not marked:
            answer["hint"] = self._nothing_marked(path, kind)
        return _json(answer)

    def _nothing_marked(self, path: str, kind: str | None) -> str:
        """Why a path revalidation marked no page: no route has it, or no page of it is stored.

        | path, type                | hint |
        | ------------------------- | ---- |
        | "/blgo/a", None           | no route matches /blgo/a; the closest route is /blog/[slug] |
        | "/blog/[id]", "page"      | no route has the pattern /blog/[id]; the closest is /blog/[slug] |
        | "/blog/new", None         | no page at /blog/new (route /blog/[slug]) is stored: ... |
        """
        table = self.engine.site.table
        if kind is None:
            match = table.match(path)
            if match is None:
                closest = table.closest(path)
                near = f"; the closest route is {closest}" if closest else ""
                return f"no route matches {path}{near}"
            where = f"at {page_label(match.route.route_pattern, path)}"
        else:
            pattern = path_tag(path, kind).rpartition("/")[0] or "/"
            patterns = [route.route_pattern for route in self.engine.site.routes]
            if kind == PathType.PAGE and pattern not in patterns:
                close = difflib.get_close_matches(pattern, patterns, n=1)
                near = f"; the closest is {close[0]}" if close else ""
                return f"no route has the pattern {pattern}{near}"
            where = (
                f"of route {pattern}" if kind == PathType.PAGE else f"under the layout at {pattern}"
            )
        return (
            f"no page {where} is stored: none was prerendered or rendered since (or it "
            "renders per request), so the next request renders it anyway"
        )

    def status(
        self, *, verbose: bool = False, offset: int = 0, limit: int = 1000
    ) -> dict[str, Any]:
        """Build id, shared cache backend, routes, freshness counts, renders and the last failures.

        JSON-ready data. `cache` says where the ISR state is shared: the local
        disk (one machine: `instances` 1, `stream_lag_ms` None) or Redis (the
        instances seen alive recently and this one's lag behind the stream of
        revalidations), with the Redis URL shown without its password.

        Bounded whatever the site's size: the newest FAILURES_LISTED failures
        (`failures_total` counts all kept), and with `verbose` one page of the
        cached pages (`offset`, `limit`; `pages_total` counts them all).

        With several workers, counters of renders are shared (all workers);
        freshness, failures and "worker" describe the worker that answered.

        Args:
            verbose: also list cached pages with their freshness, `limit` of them from `offset`.
            offset: the first page listed (in index order).
            limit: pages listed at most.
        """
        engine = self.engine
        now = engine.clock()
        regenerator = engine.regenerator
        counts: dict[str, Counter[str]] = {}
        pages: dict[str, Any] = {}
        listed = 0
        for page in engine.cache:
            freshness = freshness_of(page, now, expire_seconds=engine.expire_seconds).value
            record = page.record
            counts.setdefault(record.route_pattern, Counter())[freshness] += 1
            listed += 1
            if verbose and offset < listed <= offset + limit:
                pages[record.url_path] = {
                    "route_pattern": record.route_pattern,
                    "freshness": freshness,
                    "generated_at": record.generated_at,
                    "revalidate": record.revalidate.to_json(),
                    "status": record.status,
                    "source": "isr" if page.from_entry else "build",
                    "marked_stale": page.marked_stale,
                }
        routes = []
        for pattern, built in engine.routes.items():
            count = counts.get(pattern, Counter())
            routes.append(
                {
                    "route_pattern": pattern,
                    "kind": built.kind,
                    "render": built.render,
                    "revalidate": built.revalidate.to_json(),
                    "pages": sum(count.values()),
                    "fresh": count["fresh"],
                    "stale": count["stale"],
                    "expired": count["missing"],
                }
            )
        status: dict[str, Any] = {
            "build_id": engine.build_id,
            "now": now,
            # Where the ISR state is shared: {"backend": "disk"|"redis", "connected",
            # "instances" (alive recently), "stream_lag_ms" (Redis: how far this
            # instance trails the revalidation stream), and the backend's details}.
            "cache": self.backend.status().to_json(),
            # Renders actually run, by every worker since the build was first served.
            "regenerations": engine.renderer.regenerations_rendered.value(),
            "on_demand_renders": engine.renderer.on_demand_rendered.value(),
            "worker": {
                "pid": os.getpid(),
                "regenerations_started": regenerator.regenerations_started,
                "on_demand_started": regenerator.on_demand_started,
                "in_flight": sorted(regenerator.in_flight),
            },
            "cached_pages": len(engine.cache),
            "body_cache_bytes": engine.cache.body_bytes,
            "routes": routes,
            "failures": [
                {
                    "url_path": f.url_path,
                    "route_pattern": f.route_pattern,
                    "error": f.error,
                    "failed_at": f.failed_at,
                    "retry_at": f.retry_at,
                    "attempts": f.attempts,
                    "background": f.background,
                    "digest": f.digest,
                }
                for f in sorted(regenerator.failures.values(), key=lambda f: -f.failed_at)[
                    :FAILURES_LISTED
                ]
            ],
            "failures_total": len(regenerator.failures),
            "on_demand_entries": len(engine.on_demand),
            "on_demand_max_entries": engine.on_demand.max_entries,
            "on_demand_evicted": engine.on_demand.evicted,
        }
        if verbose:
            status["pages"] = pages
            status["pages_total"] = listed
        return status


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        data, status=status, headers={"Cache-Control": DYNAMIC_CACHE_CONTROL, **(headers or {})}
    )


def _bad(message: str) -> web.Response:
    return _json({"error": message}, status=400)
