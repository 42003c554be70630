"""/blog/[slug]: one page per post; redirect stubs become permanent redirects."""

import blog

import ssg

revalidate = 3600


def generate_static_params(params):
    return [{"slug": entry.slug} for entry in blog.published()]


def _find(slug):
    entry = blog.collection().get(slug)
    if entry is None or (entry.date is None and entry.redirect is None):
        ssg.not_found()
    return entry


def generate_metadata(params):
    entry = blog.collection().get(params["slug"])
    if entry is None or entry.redirect:
        return {"title": "Moved"}
    return {"title": entry.title, "description": entry.summary}


def load(params):
    entry = _find(params["slug"])
    if entry.redirect:
        target = entry.redirect
        ssg.permanent_redirect(target if target.startswith("/") else f"/blog/{target}")
    listed = blog.posts()
    index = blog.post_positions()[entry.slug]
    newer = blog.card(listed[index - 1]) if index > 0 else None
    older = blog.card(listed[index + 1]) if index + 1 < len(listed) else None
    return {"post": blog.card(entry), "prev_post": older, "next_post": newer}
