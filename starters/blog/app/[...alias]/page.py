"""Old URLs (posts' `aliases`, as Hugo and Zola write them) redirect to the post.

A post with `aliases: [/2019/01/hello]` in its front matter answers /2019/01/hello with a
permanent redirect (308 under ssg serve; a `_redirects` line and a page with a meta
refresh in a static export). Nothing else matches: other URLs are 404.
"""

import blog_posts

import ssg

dynamic_params = False


@ssg.cache
def _aliases():
    """Alias parts -> the post's URL path (memoized for the whole build by ssg.cache)."""
    found = {}
    for entry in blog_posts.posts():
        for alias in entry.aliases:
            parts = tuple(p for p in alias.strip("/").split("/") if p)
            if parts:
                found[parts] = blog_posts.post_url(entry)
    return found


def generate_static_params(params):
    return [{"alias": list(parts)} for parts in _aliases()]


def load(params):
    target = _aliases().get(tuple(params["alias"]))
    if target is None:
        ssg.not_found()
    ssg.permanent_redirect(target)
