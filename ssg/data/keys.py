"""Cache keys: versioned, stable digests of a fetch or a cached call and its options.

Memo keys live for one build or one render; data keys persist on disk, so they
are digests that stay stable across processes and never embed secrets in clear.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

KEY_VERSION = "v1"
"""Bump when a key's parts or the stored value's shape change: old entries are then never read
(as Next.js `MAIN_KEY_PREFIX`)."""


def _digest(parts: list[object]) -> str:
    """Return sha256 hex of `parts` serialized as JSON (stable across processes)."""
    encoded = json.dumps(parts, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()


def normalize_headers(headers: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    """Return request headers as sorted (lowercased name, value) pairs.

    Header names are case-insensitive (RFC 9110 5.1), so `{"Accept": "x"}` and
    `{"accept": "x"}` are the same request and share a memo and a data entry.

    Example: `{"X-B": "2", "Accept": "a"}` -> `(("accept", "a"), ("x-b", "2"))`.
    """
    if not headers:
        return ()
    return tuple(sorted((str(name).lower(), str(value)) for name, value in headers.items()))


def body_digest(body: bytes | None) -> str | None:
    """Return sha256 hex of a request body, or None when there is none."""
    return None if body is None else hashlib.sha256(body).hexdigest()


def fetch_data_key(
    method: str, url: str, headers: tuple[tuple[str, str], ...], body: bytes | None
) -> str:
    """Return the persistent data-cache key of a fetch: method, URL, headers and body.

    Caching options are not part of it (as Next.js `generateCacheKey`): fetches
    of the same request with different `revalidate` share one entry.

    Example: `("GET", "https://api/x", (), None)` -> `"v1:fetch:3f2a..."`.
    """
    parts: list[object] = [method, url, [list(h) for h in headers], body_digest(body)]
    return f"{KEY_VERSION}:fetch:{_digest(parts)}"


def fetch_memo_key(
    method: str,
    url: str,
    headers: tuple[tuple[str, str], ...],
    body: bytes | None,
    options: tuple[object, ...],
) -> tuple[object, ...]:
    """Return the request-memo key of a fetch: the request plus its caching options.

    Two fetches share a memo entry only when everything a caller could observe
    matches, including `revalidate`, `cache` and `tags` (as Next.js dedupes
    fetches by URL and options).
    """
    return (KEY_VERSION, "fetch", method, url, headers, body_digest(body), options)


def call_data_key(function_id: str, arguments_digest: str) -> str:
    """Return the persistent data-cache key of an `ssg.cache` call.

    Example: `("blog.posts.get_post", "9c1e...")` -> `"v1:call:5d0b..."`.
    """
    return f"{KEY_VERSION}:call:{_digest([function_id, arguments_digest])}"


def call_memo_key(
    function_id: str, arguments_digest: str, options: tuple[object, ...]
) -> tuple[object, ...]:
    """Return the request-memo key of an `ssg.cache` call."""
    return (KEY_VERSION, "call", function_id, arguments_digest, options)


def sorted_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Return tags deduplicated and sorted, so the order they were given in does not matter."""
    return tuple(sorted(set(tags)))
