"""examples/blog names the address it is deployed at: no URL of the original domain leaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssg.builder.builder import build_site
from ssg.config import load_config

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "blog"
ORIGINAL = "ssg-example.netlify.app"


async def test_a_forks_deploy_names_its_own_address_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSG_CONTENT_DIR", raising=False)
    fork = "https://fork.example"
    config = load_config(EXAMPLE, out_dir=tmp_path / "out", base_url=fork)
    await build_site(config)
    out = tmp_path / "out"
    robots = (out / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {fork}/sitemap.xml" in robots.splitlines()
    assert f"<loc>{fork}/blog/hello-ssg</loc>" in (out / "sitemap.xml").read_text()
    assert f"<link>{fork}/blog/hello-ssg</link>" in (out / "feed.xml").read_text()
    post = (out / "blog" / "hello-ssg.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{fork}/blog/hello-ssg">' in post
    leaks = [
        file.relative_to(out).as_posix()
        for file in out.rglob("*")
        if file.is_file() and ORIGINAL in file.read_text(encoding="utf-8", errors="replace")
    ]
    assert leaks == []
