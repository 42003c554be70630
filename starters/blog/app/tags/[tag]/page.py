"""/tags/[tag]: the posts with one tag (the theme links every tag of a post here)."""

from blog_posts import card, tags

import ssg

dynamic_params = False  # a tag no post has is a 404


def generate_static_params(params):
    return [{"tag": tag} for tag in tags()]


def load(params):
    tagged = tags().get(params["tag"])
    if tagged is None:
        ssg.not_found()
    return {"tag": params["tag"], "posts": [card(post) for post in tagged]}


def generate_metadata(params):
    return {"title": f"Tagged “{params['tag']}”"}
