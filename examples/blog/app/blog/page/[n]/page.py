"""/blog/page/2, /blog/page/3, ...: the rest of the archive (page 1 is /blog)."""

import blog
from blog_archive import archive_page

import ssg

dynamic_params = False


def generate_static_params(params):
    count = blog.page_count(len(blog.posts()))
    return [{"n": str(n)} for n in range(2, count + 1)]


def generate_metadata(params):
    return {"title": f"Blog, page {params['n']}"}


async def load(params):
    if not params["n"].isdigit() or params["n"] == "1":
        ssg.not_found()
    return await archive_page(int(params["n"]))
