"""/feed.xml: an RSS 2.0 feed of the newest posts, written at build."""

import blog_posts

import ssg

revalidate = 3600


def GET(request, params):
    return ssg.feed(blog_posts.posts(), url=blog_posts.post_url)
