"""/blog/[slug]: one page per post, prerendered; a post published later renders on demand."""

import blog_posts

import ssg

revalidate = 3600


def generate_static_params(params):
    return [{"slug": post.slug} for post in blog_posts.posts()]


def _post(slug):
    # get() also publishes a page bundle's files (hello-world/picture.svg) beside this URL.
    post = blog_posts.posts().get(slug)
    if post is None:
        ssg.not_found()
    return post


def generate_metadata(params):
    post = _post(params["slug"])
    return {"title": post.title, "description": post.summary}


def load(params):
    return {"post": blog_posts.card(_post(params["slug"]))}
