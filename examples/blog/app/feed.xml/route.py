"""/feed.xml: an RSS 2.0 feed of the newest posts, prerendered at build."""

import blog

import ssg

dynamic = "force-static"
revalidate = 3600


def GET(request, params):
    return ssg.feed(blog.posts(), url=blog.post_url)
