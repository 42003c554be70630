"""/authors/[author]: the posts of one author."""

import blog

revalidate = 3600
dynamic_params = False  # an unknown tag or author is a 404 (and export needs no server)


def generate_static_params(params):
    return [{"author": slug} for slug in blog.authors()]


def load(params):
    name, posts = blog.group_page(blog.authors(), params["author"])
    return {"author": name, "posts": posts}


def generate_metadata(params):
    found = blog.authors().get(params["author"])
    return {"title": f"Posts by {found[0]}" if found else "Author"}
