"""/theme: the default theme's blocks, partials and macros, from the README it ships with."""

from markupsafe import Markup

import ssg
from ssg.content import render_markdown
from ssg.theme import shipped_themes_dir

metadata = {
    "title": "Theme",
    "description": "The default theme: its blocks, partials, macros and assets, and how to override them.",
}


def load(params):
    readme = shipped_themes_dir() / "default" / "README.md"
    base_path = ssg.site_config()["base_path"]
    rendered = render_markdown(readme.read_text(encoding="utf-8"), base_path=base_path)
    return {"readme": Markup(rendered.html)}  # the theme's own README: trusted, as any page.md
