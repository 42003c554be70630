"""/tags/[tag]: the posts with one tag."""

import blog

revalidate = 3600
dynamic_params = False  # an unknown tag or author is a 404 (and export needs no server)


def generate_static_params(params):
    return [{"tag": slug} for slug in blog.tags()]


def load(params):
    name, posts = blog.group_page(blog.tags(), params["tag"])
    return {"tag": name, "posts": posts}


def generate_metadata(params):
    found = blog.tags().get(params["tag"])
    return {"title": f"Tagged “{found[0]}”" if found else "Tag"}
