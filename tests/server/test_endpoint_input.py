"""Bad input at /_ssg/* is a 4xx, never a 500: bytes in headers, deep JSON, fuzzed requests."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import MakeSite
from tests.server.conftest import Server, ServeSite, isr_site

SECRET = "s3cret"
ENDPOINTS = ("/_ssg/revalidate", "/_ssg/status")


async def send_raw(server: Server, head: bytes, body: bytes = b"") -> int:
    """Send a request byte for byte (headers a client library would refuse); return the status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(head + b"Connection: close\r\n\r\n" + body)
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    return int(data.split(b" ", 2)[1])


def request_head(
    method: str, target: str, headers: list[tuple[bytes, bytes]], length: int
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1".encode(), b"Host: 127.0.0.1"]
    lines += [name + b": " + value for name, value in headers]
    lines.append(f"Content-Length: {length}".encode())
    return b"\r\n".join(lines) + b"\r\n"


@pytest.fixture
async def server(
    make_site: MakeSite, serve_site: ServeSite, monkeypatch: pytest.MonkeyPatch
) -> Server:
    monkeypatch.setenv("SSG_REVALIDATE_SECRET", SECRET)
    return await serve_site(isr_site(make_site))


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_a_bearer_token_that_is_not_utf8_is_401(server: Server, path: str) -> None:
    head = request_head("POST", path, [(b"Authorization", b"Bearer \xff\xfe")], 0)

    assert await send_raw(server, head) == 401


async def test_deeply_nested_json_is_400(server: Server) -> None:
    body = b"[" * 7500 + b"]" * 7500
    auth = [(b"Authorization", f"Bearer {SECRET}".encode())]

    status = await send_raw(server, request_head("POST", ENDPOINTS[0], auth, len(body)), body)

    assert status == 400


# Header values: any bytes but CR/LF (which end the header line), sometimes the
# right secret with junk around it.
header_values = st.one_of(
    st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
    st.sampled_from([b"Bearer " + SECRET.encode(), b"bearer  " + SECRET.encode() + b" "]),
    st.binary(max_size=10).map(lambda b: b"Bearer " + b.replace(b"\r", b"").replace(b"\n", b"")),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {},
        optional={
            "path": st.one_of(st.text(max_size=30), json_values),
            "tag": st.one_of(st.text(max_size=30), json_values),
            "type": st.one_of(st.sampled_from(["page", "layout"]), json_values),
        },
    ).map(lambda v: json.dumps(v).encode()),
    st.integers(1, 20_000).map(lambda depth: b"[" * depth + b"]" * depth),
)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,  # the same cases every run
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(["GET", "POST", "HEAD", "PUT"]),
    path=st.sampled_from(
        [*ENDPOINTS, "/_ssg/revalidate?x=1", "/_ssg/status?pages=1", "/_ssg/health"]
    ),
    authorization=header_values,
    content_type=header_values,
    body=bodies,
)
async def test_fuzzed_requests_to_the_endpoints_never_get_a_500(
    server: Server, method: str, path: str, authorization: bytes, content_type: bytes, body: bytes
) -> None:
    headers = [(b"Authorization", authorization), (b"Content-Type", content_type)]

    status = await send_raw(server, request_head(method, path, headers, len(body)), body)

    assert status < 500
