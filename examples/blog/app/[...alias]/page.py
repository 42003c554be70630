"""Old URLs (posts' `aliases` and Zola `path`) redirect to the post; nothing else matches."""

import blog

import ssg

dynamic_params = False


@ssg.cache
def _aliases():
    """Alias parts -> the post's URL path (memoized for the whole build by ssg.cache)."""
    found = {}
    for entry in blog.posts():
        # Zola/Hugo `aliases`, and the post's old URL (`path`, as rust-blog published it).
        old_path = entry.metadata.get("path")
        old_paths = (old_path,) if isinstance(old_path, str) else ()
        for alias in (*entry.aliases, *old_paths):
            parts = tuple(p for p in alias.strip("/").split("/") if p)
            if parts:
                found[parts] = blog.post_url(entry)
    return found


def generate_static_params(params):
    return [{"alias": list(parts)} for parts in _aliases()]


def load(params):
    target = _aliases().get(tuple(params["alias"]))
    if target is None:
        ssg.not_found()
    ssg.permanent_redirect(target)
