"""Home: a list of the posts in content/posts."""

from ssg.content import load_collection


def load(params):
    return {"posts": load_collection("content/posts")}
