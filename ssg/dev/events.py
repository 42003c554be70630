"""Live reload: the Server-Sent Events stream at /_ssg/dev/events and the script every page gets.

The stream follows the HTML standard's EventSource model: each event has an id
`GENERATION:N`, and `retry:` makes browsers reconnect quickly after the worker
restarts. A client that last saw another generation (its `Last-Event-ID`, or
the `generation` the page was rendered with) is sent `reload` at once, so a
page reloads after a restart of the site code. The script also sends its page
(`path`: `location.pathname`) and `seen` (how many changes the worker had applied
when the page was rendered), so a change reloads only the pages it touched, and a
page that missed one on its way to the browser reloads as its stream opens (see
`ssg.dev.open_pages`).

| query        | example                | meaning                                  |
| ------------ | ---------------------- | ---------------------------------------- |
| `generation` | `4123-2`               | the worker that rendered the page         |
| `seen`       | `3`                    | changes applied when it was rendered      |
| `path`       | `%2Fblog%2Fhello`      | the page's location (base path included)  |
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import re
from collections.abc import Callable

from aiohttp import web

logger = logging.getLogger("ssg.dev")

EVENTS_PATH = "/_ssg/dev/events"
RETRY_MILLISECONDS = 100
"""How soon a browser reconnects after the stream ends (a worker restart)."""
KEEPALIVE_SECONDS = 15.0
"""A comment line this often, so a vanished client is noticed and proxies keep the stream."""


class DevEvent(enum.Enum):
    """What a page is told to do."""

    RELOAD = "reload"
    """Reload the page."""
    CSS = "css"
    """Fetch the stylesheets again, without reloading."""


class EventBroker:
    """Sends DevEvents to the open pages of one worker.

    Each stream says which page it belongs to (`?path=` of the injected script:
    the page's `location.pathname`), so a change can reach only the pages it
    touched (see `ssg.dev.open_pages`).

    Args:
        generation: this worker's id; a client that saw another one reloads.
    """

    def __init__(self, generation: str) -> None:
        self.generation = generation
        # Each stream's queue -> (its page's URL path, its request: gone once disconnected).
        self._queues: dict[asyncio.Queue[str | None], tuple[str | None, web.Request]] = {}
        self._sequence = 0

    def publish(
        self,
        event: DevEvent,
        data: object = None,
        *,
        to: Callable[[str | None], bool] | None = None,
    ) -> int:
        """Send `event` (with JSON `data`) to the listening pages; return how many were sent it.

        Args:
            event: what the pages do.
            data: JSON-encodable data sent with it.
            to: picks the pages by URL path (None for a stream that did not say);
                every page when None.
        """
        self._sequence += 1
        message = self._format(event.value, json.dumps(data))
        sent = 0
        for queue, (page, request) in list(self._queues.items()):
            if request.transport is None or request.transport.is_closing():
                continue  # the page went away (noticed at the stream's next write)
            if to is None or to(page):
                queue.put_nowait(message)
                sent += 1
        return sent

    async def close(self) -> None:
        """End every stream (on shutdown), so the browsers reconnect to the next worker."""
        for queue in self._queues:
            queue.put_nowait(None)

    async def stream(
        self, request: web.Request, *, page: str | None = None, stale: bool = False
    ) -> web.StreamResponse:
        """Answer GET /_ssg/dev/events with a text/event-stream that lasts until shutdown.

        Args:
            request: the request.
            page: the URL path of the page listening, or None when unknown.
            stale: the page missed a change that touched it (it reloads at once).
        """
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Robots-Tag": "noindex",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        seen = request.query.get("generation") or request.headers.get("Last-Event-ID") or ""
        seen_generation = seen.partition(":")[0]
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._queues[queue] = (page, request)
        try:
            await response.write(
                f"retry: {RETRY_MILLISECONDS}\n".encode()
                + self._format("hello", json.dumps(self.generation)).encode()
            )
            if stale or (seen_generation and seen_generation != self.generation):
                await response.write(self._format(DevEvent.RELOAD.value, "null").encode())
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    message = ": keepalive\n\n"
                if message is None:
                    break
                await response.write(message.encode())
        except (ConnectionResetError, ConnectionError):
            pass  # the page went away
        finally:
            self._queues.pop(queue, None)
        return response

    def _format(self, event: str, data: str) -> str:
        return f"id: {self.generation}:{self._sequence}\nevent: {event}\ndata: {data}\n\n"


_SCRIPT = """<script data-ssg-dev>(() => {
  const url = "%(url)s?generation=%(generation)s&seen=%(seen)d&path=" +
    encodeURIComponent(location.pathname);
  const swap = () => {
    for (const link of document.querySelectorAll('link[rel~="stylesheet"]')) {
      const next = link.cloneNode();
      const href = new URL(link.href);
      href.searchParams.set("ssg-dev", Date.now());
      next.href = href.href;
      next.onload = () => link.remove();
      link.after(next);
    }
  };
  const connect = () => {
    const source = new EventSource(url);
    source.addEventListener("hello", () => { document.documentElement.dataset.ssgDev = "live"; });
    source.addEventListener("reload", () => location.reload());
    source.addEventListener("css", swap);
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, %(retry)d);
    };
  };
  connect();
})();</script>"""

_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)


def live_reload_script(generation: str, seen: int = 0) -> bytes:
    """The script that listens to the events stream (reload; swap stylesheets on `css`).

    Args:
        generation: the worker's id.
        seen: how many changes the worker had applied when the page was rendered; the
            stream is opened with it and the page's path, so a change the page missed
            on its way to the browser reloads it.
    """
    values = {"url": EVENTS_PATH, "generation": generation, "seen": seen}
    return (_SCRIPT % {**values, "retry": RETRY_MILLISECONDS}).encode()


def inject_script(html: bytes, script: bytes) -> bytes:
    """Insert `script` before the last `</body>` of an HTML page (at the end when there is none).

    | page                           | result                                |
    | ------------------------------ | ------------------------------------- |
    | `<body><p>x</p></body></html>` | `<body><p>x</p><script…></body></html>` |
    | `<p>x</p>` (a fragment)        | `<p>x</p><script…>`                   |
    """
    last = None
    for last in _BODY_END.finditer(html):  # noqa: B007 - only the last match is wanted
        pass
    if last is None:
        return html + script
    return html[: last.start()] + script + html[last.start() :]
