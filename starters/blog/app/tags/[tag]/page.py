"""/tags/[tag]: the posts with one tag (the theme links every tag of a post here)."""

from blog_posts import card, tags

import ssg

dynamic_params = False  # a tag no post has is a 404


def generate_static_params(params):
    return [{"tag": slug} for slug in tags()]  # "CI/CD" is at /tags/CI-CD


def load(params):
    found = tags().get(params["tag"])
    if found is None:
        ssg.not_found()
    name, tagged = found
    return {"tag": name, "posts": [card(post) for post in tagged]}


def generate_metadata(params):
    name = tags().get(params["tag"], (params["tag"], []))[0]
    return {"title": f"Tagged “{name}”"}
