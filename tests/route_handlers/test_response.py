"""ssg.Response: what a route handler returns to set status, headers or content type."""

from __future__ import annotations

import pytest

from ssg import Response
from ssg.errors import HandlerReturnError
from ssg.route_handlers.invoke import to_handler_response


@pytest.mark.parametrize(
    ("response", "content_type", "body"),
    [
        (Response(text="hé"), "text/plain; charset=utf-8", "hé".encode()),
        (
            Response(text="<a/>", content_type="application/xml"),
            "application/xml; charset=utf-8",
            b"<a/>",
        ),
        (Response(text="x", charset="latin-1"), "text/plain; charset=latin-1", b"x"),
        (Response(body=b"\x89PNG", content_type="image/png"), "image/png", b"\x89PNG"),
        (Response(body=b"raw"), "application/octet-stream", b"raw"),
        (Response(), "application/octet-stream", b""),
        (Response(text="x", headers={"content-type": "text/csv"}), "text/csv; charset=utf-8", b"x"),
        (
            Response(text="café", headers={"Content-Type": "text/plain; charset=iso-8859-1"}),
            "text/plain; charset=iso-8859-1",
            "café".encode("iso-8859-1"),
        ),
        (
            Response(body=b"x", content_type="text/csv", charset="utf-8"),
            "text/csv; charset=utf-8",
            b"x",
        ),
    ],
    ids=[
        "text",
        "text-xml",
        "charset",
        "png",
        "bytes",
        "empty",
        "header",
        "header-charset",
        "body-charset",
    ],
)
def test_content_type_and_body(response: Response, content_type: str, body: bytes) -> None:
    sent = to_handler_response(response)
    assert (sent.status, sent.content_type, sent.body) == (200, content_type, body)


def test_status_and_headers_are_sent_without_a_stale_content_length() -> None:
    sent = to_handler_response(
        Response(text="gone", status=410, headers={"X-Why": "moved", "Content-Length": "99"})
    )
    assert sent.status == 410
    assert ("X-Why", "moved") in sent.header_items
    assert all(name.lower() != "content-length" for name, _ in sent.header_items)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"body": b"a", "text": "a"}, ValueError, "not both"),
        ({"body": "a str"}, TypeError, "body must be bytes"),
        ({"text": b"bytes"}, TypeError, "text must be a str"),
        ({"status": 99}, ValueError, "100-599"),
        ({"content_type": "text/html\r\nX-Evil: 1"}, ValueError, "line break"),
        ({"text": "x", "headers": {"X-A": "1\r\nX-Evil: 1"}}, ValueError, "line break"),
        ({"text": "x", "content_type": "text/xml; charset=utf-8"}, ValueError, "charset="),
        (
            {"text": "x", "content_type": "text/xml", "headers": {"Content-Type": "a/b"}},
            ValueError,
            "give one",
        ),
        (
            {"body": b"x", "charset": "utf-8", "headers": {"content-type": "a/b"}},
            ValueError,
            "give one",
        ),
        ({"text": "x", "charset": "no-such-charset"}, ValueError, "not a known encoding"),
    ],
    ids=[
        "both",
        "str-body",
        "bytes-text",
        "status",
        "type-injection",
        "header-injection",
        "charset-in-type",
        "header-and-type",
        "header-and-charset",
        "unknown-charset",
    ],
)
def test_bad_arguments_say_what_to_pass(kwargs: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Response(**kwargs)


def test_other_return_values_name_the_types_a_handler_may_return() -> None:
    with pytest.raises(HandlerReturnError, match=r"returned set; return an ssg.Response"):
        to_handler_response({1})
