"""/sitemap.xml: every page of the blog with an absolute URL, prerendered at build."""

from urllib.parse import quote
from xml.sax.saxutils import escape

import blog

import ssg

dynamic = "force-static"
revalidate = 3600


def url_paths():
    """Every listed page's URL path (what the sitemap test checks exists)."""
    paths = ["/", "/blog", "/tags", "/about"]
    count = blog.page_count(len(blog.posts()))
    paths += [f"/blog/page/{n}" for n in range(2, count + 1)]
    paths += [blog.post_url(entry) for entry in blog.posts()]
    paths += [blog.tag_url(name) for name, _ in blog.tags().values()]
    paths += [f"/authors/{slug}" for slug in blog.authors()]
    return paths


def GET(request, params):
    base_url = ssg.site_config()["base_url"]
    # Sitemaps hold URLs, so non-ASCII slugs are percent-encoded (RFC 3986).
    urls = "".join(
        f"<url><loc>{escape(base_url + quote(p, safe='/'))}</loc></url>" for p in url_paths()
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + urls + "</urlset>\n"
    )
    return ssg.Response(text=body, content_type="application/xml")
