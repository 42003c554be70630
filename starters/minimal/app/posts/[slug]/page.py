"""/posts/[slug]: one page per post in content/posts."""

import ssg
from ssg.content import load_collection


def _post(slug):
    post = load_collection("content/posts").get(slug)
    if post is None:
        ssg.not_found()
    return post


def generate_static_params(params):
    return [{"slug": post.slug} for post in load_collection("content/posts")]


def generate_metadata(params):
    return {"title": _post(params["slug"]).title}


def load(params):
    return {"post": _post(params["slug"])}
