"""A page's cache tags as a CDN header spells them: separator, hashed long tags, overflow buckets (pure)."""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterable

MAX_TAG_CHARS = 128
"""Longest tag sent as it is (Akamai's limit per tag; Cloudflare and Fastly allow 1,024)."""
MAX_TAGS = 128
"""Tags per response at most (Akamai's limit per object)."""
MAX_HEADER_BYTES = 16_000
"""Bytes of the header value at most (Cloudflare: 16 KB for all Cache-Tag headers)."""
OVERFLOW_BUCKETS = 16
"""Tags past the limits share this many bucket tags (`ssg-b-0` ... `ssg-b-f`)."""
HASHED_PREFIX = "ssg-h-"
BUCKET_PREFIX = "ssg-b-"
COMMA_HEADERS = frozenset({"cache-tag", "edge-cache-tag"})
"""Headers CDNs read as comma-separated: Cloudflare `Cache-Tag`, Akamai `Edge-Cache-Tag`."""

# Printable ASCII without the separators (space, comma) and quotes: a tag made of
# these is the same bytes in every CDN's header.
_PLAIN = frozenset(string.ascii_letters + string.digits + "!#$%&'()*+-./:;<=>?@[\\]^_`{|}~")


def cdn_tag(tag: str) -> str:
    """The spelling of one tag in the CDN tag header.

    A tag of at most MAX_TAG_CHARS printable ASCII characters, with no space,
    comma or quote, is itself; any other becomes `ssg-h-` and the first 24 hex
    digits of the SHA-256 of its UTF-8 bytes.

    | tag                          | cdn_tag                              |
    | ---------------------------- | ------------------------------------ |
    | `posts`                      | `posts`                              |
    | `/blog/[slug]/page`          | `/blog/[slug]/page`                  |
    | `author:Ada Lovelace`        | `ssg-h-` + sha256(tag)[:24]          |
    | 200 characters               | `ssg-h-` + sha256(tag)[:24]          |

    Args:
        tag: a tag as `revalidate_tag` or `revalidate_path` names it.

    Returns:
        The tag as it appears in the header and in purge webhook bodies.
    """
    if len(tag) <= MAX_TAG_CHARS and tag and _PLAIN.issuperset(tag):
        return tag
    return HASHED_PREFIX + hashlib.sha256(tag.encode("utf-8")).hexdigest()[:24]


def bucket_tag(tag: str) -> str:
    """The overflow bucket of a tag: `ssg-b-` and the first hex digit of its SHA-256."""
    return BUCKET_PREFIX + hashlib.sha256(tag.encode("utf-8")).hexdigest()[0]


def cdn_purge_tags(tag: str) -> tuple[str, str]:
    """What to purge at the CDN so every page tagged `tag` goes: its spelling and its bucket.

    A page whose tags pass the CDN's limits carries some of them only as their
    bucket (see `cdn_tag_list`); purging the bucket too reaches those pages
    (and purges some other pages early, which is safe).

    Example: `cdn_purge_tags("posts") == ("posts", "ssg-b-" + sha256(b"posts")[0])`.
    """
    return cdn_tag(tag), bucket_tag(tag)


def cdn_tag_list(tags: Iterable[str]) -> list[str]:
    """A page's tags for the header: each `cdn_tag`, within MAX_TAGS and MAX_HEADER_BYTES.

    Tags are taken sorted; once the list would pass the limits (keeping room
    for every bucket), each remaining tag is replaced by its `bucket_tag`.

    | page tags                      | result                                     |
    | ------------------------------ | ------------------------------------------ |
    | 5 short tags                   | the 5, sorted                              |
    | 300 short tags                 | the first 112 sorted, then <= 16 buckets   |
    """
    ordered = sorted(set(tags))
    forms = [cdn_tag(tag) for tag in ordered]
    if len(forms) <= MAX_TAGS and sum(len(f) + 1 for f in forms) <= MAX_HEADER_BYTES:
        return forms
    bucket_bytes = OVERFLOW_BUCKETS * (len(BUCKET_PREFIX) + 2)
    kept: list[str] = []
    buckets: set[str] = set()
    size = 0
    for tag, form in zip(ordered, forms, strict=True):
        fits = size + len(form) + 1 <= MAX_HEADER_BYTES - bucket_bytes
        if not buckets and len(kept) < MAX_TAGS - OVERFLOW_BUCKETS and fits:
            kept.append(form)
            size += len(form) + 1
        else:
            buckets.add(bucket_tag(tag))
    return kept + sorted(buckets)


def cdn_tag_separator(header_name: str) -> str:
    """`,` for Cloudflare's `Cache-Tag` and Akamai's `Edge-Cache-Tag`, a space otherwise (Fastly `Surrogate-Key`)."""
    return "," if header_name.lower() in COMMA_HEADERS else " "


def cdn_tag_header_value(header_name: str, tags: Iterable[str]) -> str:
    """The value of `header_name` for a page with `tags` (explicit and implicit).

    Example: `cdn_tag_header_value("Cache-Tag", {"posts", "/blog/a"}) == "/blog/a,posts"`.
    """
    return cdn_tag_separator(header_name).join(cdn_tag_list(tags))
