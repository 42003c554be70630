"""/tags/[tag]: the posts with one tag."""

import blog

import ssg

revalidate = 3600


def generate_static_params(params):
    return [{"tag": slug} for slug in blog.tags()]


def load(params):
    found = blog.tags().get(params["tag"])
    if found is None:
        ssg.not_found()
    name, entries = found
    return {"tag": name, "posts": [blog.card(e) for e in entries]}


def generate_metadata(params):
    found = blog.tags().get(params["tag"])
    return {"title": f"Tagged “{found[0]}”" if found else "Tag"}
