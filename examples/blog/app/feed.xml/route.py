"""/feed.xml: an RSS 2.0 feed of the newest posts, prerendered at build."""

from email.utils import format_datetime
from urllib.parse import quote
from xml.sax.saxutils import escape

import blog

import ssg

dynamic = "force-static"
revalidate = 3600
ITEMS = 20


def GET(request, params):
    site = ssg.site_config()
    base_url = site["base_url"]
    items = []
    for entry in blog.posts()[:ITEMS]:
        link = f"{base_url}{quote(blog.post_url(entry), safe='/')}"
        date = f"<pubDate>{format_datetime(entry.date)}</pubDate>" if entry.date else ""
        items.append(
            f"<item><title>{escape(entry.title)}</title><link>{escape(link)}</link>"
            f"<guid>{escape(link)}</guid>{date}"
            f"<description>{escape(entry.summary)}</description></item>"
        )
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(site.get('title', 'Blog'))}</title><link>{escape(base_url)}/</link>"
        f"<description>{escape(site.get('description', ''))}</description>"
        + "".join(items)
        + "</channel></rss>\n"
    )
    return ssg.Response(text=body, content_type="application/rss+xml")
