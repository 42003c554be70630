"""/robots.txt: crawlers welcome, and the sitemap's address from base_url, prerendered at build.

Generated rather than kept in public/ so a fork's or a preview's deploy names its
own sitemap (base_url comes from --base-url, SSG_BASE_URL or Netlify's URL).
"""

import ssg

dynamic = "force-static"


def GET(request, params):
    base_url = ssg.site_config()["base_url"]
    lines = ["User-agent: *", "Allow: /"]
    if base_url:
        lines.append(f"Sitemap: {base_url}/sitemap.xml")
    return ssg.Response(text="\n".join(lines) + "\n", content_type="text/plain")
