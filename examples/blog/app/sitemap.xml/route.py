"""/sitemap.xml: every page the build prerendered, with lastmod from the posts' dates."""

import blog

import ssg

dynamic = "force-static"
revalidate = 3600


def GET(request, params):
    return ssg.sitemap(blog.posts(), url=blog.post_url)
