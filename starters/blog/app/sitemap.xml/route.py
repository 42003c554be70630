"""/sitemap.xml: every page the build wrote, with the posts' dates."""

import blog_posts

import ssg

revalidate = 3600


def GET(request, params):
    return ssg.sitemap(blog_posts.posts(), url=blog_posts.post_url)
