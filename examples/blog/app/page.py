"""Home: the most recent posts."""

import blog

RECENT = 5


def load(params):
    listed = blog.posts()
    return {"posts": [blog.card(p) for p in listed[:RECENT]], "total": len(listed)}
