"""The page records of an incremental build: a few changed pages appended to a log, the whole
records written again every LOG_MAX_ENTRIES builds, a log of other records never applied."""

from __future__ import annotations

from pathlib import Path

from ssg.builder.build_records import LOG_MAX_ENTRIES, load_records, log_file
from ssg.builder.kept_files import records_file
from ssg.config import load_config
from tests.builder.conftest import Build
from tests.builder.test_incremental import POSTS_SITE
from tests.conftest import MakeSite

# More posts than POSTS_SITE's three: one edit changes a few pages of many, as on a blog.
SITE = {
    **POSTS_SITE,
    **{
        f"posts/{name}.md": f"---\ntitle: {name}\ndate: 2020-02-0{index}\n---\nBody.\n"
        for index, name in enumerate("defghijk", 1)
    },
}


def edit_body(site: Path, text: str) -> None:
    (site / "posts/b.md").write_text(f"---\ntitle: B\ndate: 2020-01-02\n---\n{text}\n")


async def test_a_body_edit_appends_to_the_log_and_every_nth_build_writes_them_whole(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(SITE)
    config = load_config(site)
    await build(site)
    whole = records_file(config).stat().st_ino
    logged = []
    for step in range(LOG_MAX_ENTRIES + 2):
        edit_body(site, f"Body {step}.")
        result = await build(site)
        assert (result.pages_rendered, result.pages_reused) == (1, 11)
        assert f"Body {step}." in (site / "out/blog/b.html").read_text()
        logged.append(log_file(config).is_file())
        if records_file(config).stat().st_ino != whole:
            break
    # Logged, until the log held LOG_MAX_ENTRIES builds (or grew half the records' size).
    assert logged[0] and not logged[-1] and len(logged) <= LOG_MAX_ENTRIES + 1
    records, _reason = load_records(config)
    assert records is not None and records.log_entries == 0


async def test_the_records_read_with_their_log_are_the_last_builds(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(SITE)
    config = load_config(site)
    await build(site)
    edit_body(site, "Body 1.")
    await build(site)
    (site / "posts/c.md").unlink()  # a page and its reads go
    await build(site)

    records, _reason = load_records(config)

    assert records is not None and records.log_entries == 2
    assert sorted(records.pages)[:4] == ["/", "/blog/a", "/blog/b", "/blog/d"]
    assert "/blog/c" not in records.pages
    assert len(records.digests) == len(records.keys)
    # Nothing changed since: every digest kept is the digest now, so nothing renders.
    result = await build(site, out_dir=site / "out")
    assert (result.pages_rendered, result.pages_reused) == (0, 11)


async def test_a_log_left_beside_records_written_whole_is_not_applied(
    make_site: MakeSite, build: Build
) -> None:
    site = make_site(SITE)
    config = load_config(site)
    await build(site)
    edit_body(site, "Body 1.")
    await build(site)
    stale = log_file(config).read_bytes()  # names the records of the first build
    edit_body(site, "Body 2.")
    await build(site, out_dir=site / "out")
    records, _reason = load_records(config)
    assert records is not None
    # A build killed between writing the records whole and removing the log left it.
    log_file(config).unlink(missing_ok=True)
    records_file(config).write_bytes(records_file(config).read_bytes())
    log_file(config).write_bytes(stale)

    result = await build(site)

    assert "Body 2." in (site / "out/blog/b.html").read_text()
    assert result.pages_rendered <= 1
