"""Home: the five most recent posts."""

import blog_posts

revalidate = 3600  # seconds: `ssg serve` renders it again at most once an hour


def load(params):
    return {"posts": [blog_posts.card(p) for p in blog_posts.posts()[:5]]}
