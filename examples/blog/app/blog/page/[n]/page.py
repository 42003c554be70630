"""/blog/page/2, /blog/page/3, ...: the rest of the archive (/blog/page/1 redirects to /blog)."""

import blog
from blog_archive import archive_page

import ssg

dynamic_params = False


def generate_static_params(params):
    count = blog.page_count(len(blog.posts()))
    return [{"n": str(n)} for n in range(1, count + 1)]


def generate_metadata(params):
    return {"title": f"Blog, page {params['n']}"}


async def load(params):
    if params["n"] == "1":
        ssg.permanent_redirect("/blog")  # page 1 lives at /blog
    if not params["n"].isdigit():
        ssg.not_found()
    return await archive_page(int(params["n"]))
