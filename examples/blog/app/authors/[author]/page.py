"""/authors/[author]: the posts of one author."""

import blog

import ssg

revalidate = 3600


def generate_static_params(params):
    return [{"author": slug} for slug in blog.authors()]


def load(params):
    found = blog.authors().get(params["author"])
    if found is None:
        ssg.not_found()
    name, entries = found
    return {"author": name, "posts": [blog.card(e) for e in entries]}


def generate_metadata(params):
    found = blog.authors().get(params["author"])
    return {"title": f"Posts by {found[0]}" if found else "Author"}
