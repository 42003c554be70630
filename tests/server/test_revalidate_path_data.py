"""revalidate_path expires the data the page's last render read, so its regeneration refetches.

Written from test/e2e/app-dir/app-static ("should revalidate all fetches during
on-demand revalidate": after revalidatePath the page's fetches are made again)
and the Next.js revalidatePath docs; the other page keeps its cached data.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import MakeSite
from tests.server.conftest import LAYOUT, ServeSite

UPSTREAM_PAGE = """
import ssg
from pathlib import Path

SITE = Path(__file__).resolve().parents[2]
revalidate = {revalidate}

@ssg.cache(revalidate=3600)
def upstream():
    with open(SITE / "upstream.log", "a", encoding="utf-8") as log:
        log.write("{name}\\n")
    return (SITE / "content" / "{name}.txt").read_text(encoding="utf-8").strip()

def load(params):
    return {{"value": upstream()}}
"""

REVALIDATE_ROUTE = """
import ssg

def POST(request, params):
    return {"marked": ssg.revalidate_path(request.query["path"])}
"""


def calls(site_dir: Path) -> list[str]:
    log = site_dir / "upstream.log"
    return log.read_text(encoding="utf-8").split() if log.exists() else []


async def test_revalidate_path_refetches_the_pages_data_and_leaves_other_pages_data(
    make_site: MakeSite, serve_site: ServeSite
) -> None:
    site_dir = make_site(
        {
            "app/layout.html": LAYOUT,
            "app/a/page.html": "a={{ value }}",
            "app/a/page.py": UPSTREAM_PAGE.format(name="a", revalidate=3600),
            "app/b/page.html": "b={{ value }}",
            "app/b/page.py": UPSTREAM_PAGE.format(name="b", revalidate=10),
            "app/api/revalidate/route.py": REVALIDATE_ROUTE,
            "content/a.txt": "1",
            "content/b.txt": "1",
        }
    )
    server = await serve_site(site_dir)
    manifest = json.loads((site_dir / "out/_ssg/manifest.json").read_text())
    (site_dir / "content/a.txt").write_text("2")
    (site_dir / "content/b.txt").write_text("2")

    marked = await server.request("POST", "/api/revalidate?path=/a")
    stale = await server.get("/a")
    await server.engine.regenerator.wait_idle()
    fresh = await server.get("/a")
    server.clock.advance(11)  # /b's page is stale by time; its data (3600 s) is not
    await server.get("/b")
    await server.engine.regenerator.wait_idle()
    b_after = await server.get("/b")

    assert manifest["pages"]["/a"]["data_keys"] != manifest["pages"]["/b"]["data_keys"]
    assert marked.json() == {"marked": 1}
    assert (stale.headers["X-SSG-Cache"], "a=1" in stale.text) == ("STALE", True)
    assert (fresh.headers["X-SSG-Cache"], "a=2" in fresh.text) == ("HIT", True)
    assert "b=1" in b_after.text  # regenerated from its cached data
    assert calls(site_dir) == ["a", "b", "a"]
