"""/sitemap.xml: every page the build wrote."""

import ssg

dynamic = "force-static"


def GET(request, params):
    return ssg.sitemap()
