"""Page bundles under ssg serve: a post's image beside its index.md is published at its URL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import MakeSite

from .conftest import LAYOUT, FakeClock, ServeSite

PNG = b"\x89PNG\r\n\x1a\n not really an image"


def bundle_site(make_site: MakeSite, body: str = "![A diagram](diagram.png)") -> Path:
    site = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/blog/[slug]/page.html": "<article>{{ post.html }}</article>",
            "app/blog/[slug]/page.py": "import ssg\nfrom ssg.content import load_collection\n"
            "def generate_static_params(params):\n"
            "    return [{'slug': p.slug} for p in load_collection('content')]\n"
            "def load(params):\n"
            "    post = load_collection('content').get(params['slug'])\n"
            "    if post is None:\n        ssg.not_found()\n"
            "    return {'post': post}\n",
            "content/hello/index.md": f"---\ntitle: Hello\ndate: 2020-01-01\n---\n{body}\n",
        }
    )
    (site / "content/hello/diagram.png").write_bytes(PNG)
    return site


async def test_bundle_image_is_served_next_to_the_post(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    # The server fixture's clock starts in 1970; the post is dated 2020.
    server = await serve_site(bundle_site(make_site), clock=FakeClock(2_000_000_000.0))

    page = await server.get("/blog/hello")
    image = await server.get("/blog/hello/diagram.png")

    assert '<img src="/blog/hello/diagram.png" alt="A diagram"' in page.text
    assert image.status == 200
    assert image.body == PNG
    assert image.headers["Content-Type"] == "image/png"


def test_strict_build_fails_on_a_missing_bundle_file(make_site: MakeSite) -> None:
    site = bundle_site(make_site, "Intro.\n\n![](gone.png)")

    result = subprocess.run(
        [sys.executable, "-m", "ssg", "build", str(site), "--strict"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1
    assert "content/hello/index.md:7" in result.stderr and "'gone.png'" in result.stderr
    assert "Traceback" not in result.stderr


async def test_bundle_image_of_a_post_rendered_on_demand_is_served(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    """A scheduled post is not in the build: its page renders on demand, its files with it."""
    site = bundle_site(make_site)
    (site / "content/soon").mkdir()
    (site / "content/soon/index.md").write_text(
        "---\ntitle: Soon\ndate: 2033-05-18T03:35:00Z\n---\n![Later](later.png)\n"
    )
    (site / "content/soon/later.png").write_bytes(PNG + b" later")
    clock = FakeClock(2_000_000_000.0)  # 100 s before the post's date
    server = await serve_site(site, clock=clock)

    before = await server.get("/blog/soon/later.png")
    clock.advance(101)
    page = await server.get("/blog/soon")
    image = await server.get("/blog/soon/later.png")
    elsewhere = await server.get("/blog/soon/other.png")

    assert before.status == 404
    assert page.status == 200 and '<img src="/blog/soon/later.png"' in page.text
    assert (image.status, image.body) == (200, PNG + b" later")
    assert elsewhere.status == 404
