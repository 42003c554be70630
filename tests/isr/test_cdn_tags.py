"""Tags as a CDN header spells them: plain tags kept, others hashed, overflow bucketed."""

from __future__ import annotations

import hashlib

import pytest

from ssg.isr.cdn_tags import (
    MAX_HEADER_BYTES,
    MAX_TAGS,
    bucket_tag,
    cdn_purge_tags,
    cdn_tag,
    cdn_tag_header_value,
    cdn_tag_list,
)


def hashed(tag: str) -> str:
    return "ssg-h-" + hashlib.sha256(tag.encode()).hexdigest()[:24]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        pytest.param("posts", "posts", id="plain"),
        pytest.param("/blog/[slug]/page", "/blog/[slug]/page", id="implicit"),
        pytest.param("/blog/caf%C3%A9", "/blog/caf%C3%A9", id="encoded-path"),
        pytest.param("a" * 128, "a" * 128, id="128-chars"),
        pytest.param("a" * 129, hashed("a" * 129), id="129-chars"),
        pytest.param("author:Ada Lovelace", hashed("author:Ada Lovelace"), id="space"),
        pytest.param("a,b", hashed("a,b"), id="comma"),
        pytest.param("café", hashed("café"), id="non-ascii"),
    ],
)
def test_cdn_tag(tag: str, expected: str) -> None:
    assert cdn_tag(tag) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("Cache-Tag", "/a,posts", id="cloudflare"),
        pytest.param("edge-cache-tag", "/a,posts", id="akamai"),
        pytest.param("Surrogate-Key", "/a posts", id="fastly"),
        pytest.param("X-Tags", "/a posts", id="other"),
    ],
)
def test_separator_follows_the_cdn(header: str, expected: str) -> None:
    assert cdn_tag_header_value(header, {"posts", "/a"}) == expected


def test_a_list_within_the_limits_is_every_tag_sorted() -> None:
    tags = [f"t{n:03d}" for n in range(MAX_TAGS)]

    assert cdn_tag_list(reversed(tags)) == tags


def test_too_many_tags_keep_a_sorted_prefix_and_buckets_for_the_rest() -> None:
    tags = [f"t{n:03d}" for n in range(MAX_TAGS + 1)]

    listed = cdn_tag_list(tags)

    assert len(listed) <= MAX_TAGS
    assert listed[: MAX_TAGS - 16] == tags[: MAX_TAGS - 16]
    assert set(listed[MAX_TAGS - 16 :]) == {bucket_tag(t) for t in tags[MAX_TAGS - 16 :]}


def test_long_tags_stay_under_the_header_byte_limit() -> None:
    tags = [f"{n:03d}" + "x" * 124 for n in range(127)]  # 127 tags of 127 chars: 16,256 bytes

    listed = cdn_tag_list(tags)

    assert len(",".join(listed).encode()) <= MAX_HEADER_BYTES
    assert all(set(cdn_purge_tags(tag)) & set(listed) for tag in tags)
