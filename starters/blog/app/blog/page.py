"""/blog: every post."""

import blog_posts

metadata = {"title": "Blog"}
revalidate = 3600


def load(params):
    return {"posts": [blog_posts.card(p) for p in blog_posts.posts()]}
