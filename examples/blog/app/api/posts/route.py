"""GET /api/posts: every listed post as JSON, newest first (prerendered; ISR every minute).

The archive pages fetch this in-process with `ssg.fetch("/api/posts")`: no server
is needed during the build.
"""

import blog

revalidate = 60


def GET(request, params):
    return [blog.summary(entry) for entry in blog.posts()]
