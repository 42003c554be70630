"""The paginated archive, shared by /blog (page 1) and /blog/page/[n]."""

from datetime import datetime

import blog

import ssg


@ssg.cache
async def all_posts() -> list[dict]:
    """Every post summary from the JSON API (fetched in-process, decoded once per build)."""
    response = await ssg.fetch("/api/posts")
    return response.json()


async def archive_page(number: int) -> dict:
    """The template context of archive page `number` (1-based), or a 404."""
    posts = await all_posts()
    count = blog.page_count(len(posts))
    if not 1 <= number <= count:
        ssg.not_found()
    start = (number - 1) * blog.PAGE_SIZE
    # Copies: the cached list is shared by every page of the build.
    shown = [dict(post) for post in posts[start : start + blog.PAGE_SIZE]]
    for post in shown:
        post["date"] = datetime.fromisoformat(post["date"]) if post["date"] else None
    return {"posts": shown, "page": number, "page_count": count, "page_url": blog.archive_url}
