"""/feed.xml: an RSS feed of the posts, written at build."""

import ssg
from ssg.content import load_collection

dynamic = "force-static"


def GET(request, params):
    return ssg.feed(load_collection("content/posts"), url=lambda post: f"/posts/{post.slug}")
