"""make_policy: how revalidate/cache/tags map to memo-only, stored, or dynamic (Next.js fetch)."""

from __future__ import annotations

import pytest

from ssg.data.keys import fetch_data_key, fetch_memo_key, normalize_headers
from ssg.data.policy import CachePolicy, make_policy
from ssg.revalidate import Revalidate

MEMO_ONLY = CachePolicy(stored=False, revalidate=Revalidate.NEVER, tags=())
NO_STORE = CachePolicy(stored=False, revalidate=Revalidate.EVERY_REQUEST, tags=())
FOREVER = CachePolicy(stored=True, revalidate=Revalidate.NEVER, tags=())
SIXTY = CachePolicy(stored=True, revalidate=Revalidate.after(60), tags=())


@pytest.mark.parametrize(
    ("revalidate", "cache", "expected"),
    [
        (None, None, MEMO_ONLY),
        (60, None, SIXTY),
        (60.0, "force-cache", SIXTY),
        (False, None, FOREVER),
        (None, "force-cache", FOREVER),
        (0, None, NO_STORE),
        (None, "no-store", NO_STORE),
        (0, "no-store", NO_STORE),
    ],
    ids=[
        "default",
        "revalidate-n",
        "force-cache-with-n",
        "revalidate-false",
        "force-cache",
        "revalidate-0",
        "no-store",
        "no-store-with-0",
    ],
)
def test_options_map_to_a_policy(
    revalidate: float | bool | None, cache: str | None, expected: CachePolicy
) -> None:
    assert make_policy(revalidate=revalidate, cache=cache, tags=()) == expected


@pytest.mark.parametrize(
    ("revalidate", "cache", "message"),
    [
        (60, "no-store", "contradict each other"),
        (False, "no-store", "contradict each other"),
        (0, "force-cache", "contradict each other"),
        (-5, None, "must be 0 or more seconds"),
        (float("inf"), None, "use revalidate=False"),
        (True, None, "is not a number of seconds"),
        (None, "no_store", 'Did you mean cache="no-store"'),
    ],
    ids=[
        "no-store-and-n",
        "no-store-and-false",
        "force-cache-and-0",
        "negative",
        "infinite",
        "true",
        "typo",
    ],
)
def test_bad_options_raise_value_error_with_the_fix(
    revalidate: float | bool | None, cache: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make_policy(revalidate=revalidate, cache=cache, tags=())


def test_tags_are_deduplicated_and_sorted() -> None:
    policy = make_policy(revalidate=60, cache=None, tags=["b", "a", "b"])
    assert policy.tags == ("a", "b")


def test_empty_tag_is_rejected() -> None:
    with pytest.raises(ValueError, match="non-empty strings"):
        make_policy(revalidate=60, cache=None, tags=[""])


def test_data_key_is_versioned_and_ignores_header_case_and_order() -> None:
    one = fetch_data_key("GET", "https://a/x", normalize_headers({"B": "2", "a": "1"}), None)
    two = fetch_data_key("GET", "https://a/x", normalize_headers({"A": "1", "b": "2"}), None)
    assert one == two
    assert one.startswith("v1:fetch:")


def test_data_key_covers_method_and_body() -> None:
    keys = {
        fetch_data_key("GET", "https://a/x", (), None),
        fetch_data_key("POST", "https://a/x", (), None),
        fetch_data_key("POST", "https://a/x", (), b"1"),
        fetch_data_key("POST", "https://a/x", (), b"2"),
    }
    assert len(keys) == 4


def test_memo_key_covers_caching_options() -> None:
    plain = fetch_memo_key("GET", "https://a/x", (), None, MEMO_ONLY.memo_options)
    cached = fetch_memo_key("GET", "https://a/x", (), None, SIXTY.memo_options)
    assert plain != cached
    assert plain[0] == "v1"
