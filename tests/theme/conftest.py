"""Render the default theme the way the renderer does, and read the result like a browser.

The environment follows the renderer's contract: the site's `app/` folder
first, then the theme (also reachable as `theme/...`), autoescape on, and an
`asset_url` global that returns fingerprinted URLs, and `url()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import Any

import jinja2
import pytest
from markupsafe import Markup

from ssg.base_path import absolute_url, with_base_path

THEME_TEMPLATES_DIR = "themes/default/templates"
# Elements that never have an end tag (HTML Living Standard, "void elements").
VOID_TAGS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)


def fake_asset_url(name: str) -> str:
    """style.css -> /_assets/style.3f2a1b9c.css, as the builder fingerprints assets."""
    asset = PurePosixPath(name)
    return f"/_assets/{asset.stem}.3f2a1b9c{asset.suffix}"


@dataclass(eq=False)
class Element:
    """A parsed HTML element: enough DOM to assert what a reader sees."""

    tag: str
    attrs: dict[str, str | None]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The element's text content with whitespace collapsed."""
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else f" {child.text} ")
        return " ".join("".join(parts).split())

    def iter(self) -> list[Element]:
        found: list[Element] = []
        for child in self.children:
            if isinstance(child, Element):
                found.append(child)
                found.extend(child.iter())
        return found

    def find_all(self, tag: str | None = None, **attrs: str | bool) -> list[Element]:
        """Descendants by tag and attributes (`aria_label=` for aria-label; True: present)."""
        wanted = {name.rstrip("_").replace("_", "-"): value for name, value in attrs.items()}
        return [
            element
            for element in self.iter()
            if (tag is None or element.tag == tag)
            and all(
                (name in element.attrs) if value is True else element.attrs.get(name) == value
                for name, value in wanted.items()
            )
        ]

    def find(self, tag: str | None = None, **attrs: str | bool) -> Element:
        """The first matching descendant; fails the test when there is none."""
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag or '*'}> with {attrs} in:\n{self}"
        return found[0]

    def __str__(self) -> str:
        attrs = "".join(f' {k}="{v}"' if v is not None else f" {k}" for k, v in self.attrs.items())
        inner = "".join(str(child) for child in self.children)
        return f"<{self.tag}{attrs}>{inner}</{self.tag}>"


@dataclass(eq=False)
class Document(Element):
    """The parsed output, with the raw HTML and every nesting error the parser met."""

    source: str = ""
    doctype: str | None = None
    errors: list[str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    def __init__(self, document: Document) -> None:
        super().__init__(convert_charrefs=True)
        self.document = document
        self.stack: list[Element] = [document]

    def handle_decl(self, decl: str) -> None:
        self.document.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID_TAGS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        if self.stack[-1].tag != tag:
            self.document.errors.append(f"</{tag}> closes <{self.stack[-1].tag}>")
            open_tags = [element.tag for element in self.stack]
            if tag not in open_tags:
                return
            while self.stack[-1].tag != tag:
                self.stack.pop()
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def close(self) -> None:
        super().close()
        unclosed = [element.tag for element in self.stack[1:]]
        if unclosed:
            self.document.errors.append(f"unclosed: {unclosed}")


def parse_html(source: str) -> Document:
    """Parse rendered HTML into a Document."""
    document = Document("#document", {}, source=source)
    builder = _TreeBuilder(document)
    builder.feed(source)
    builder.close()
    return document


@pytest.fixture
def app_dir(tmp_path: Any) -> Any:
    """The site's app/ folder: write templates here to override or extend the theme."""
    path = tmp_path / "app"
    path.mkdir()
    return path


@pytest.fixture
def theme_env(app_dir: Any, pytestconfig: pytest.Config) -> jinja2.Environment:
    theme_loader = jinja2.FileSystemLoader(pytestconfig.rootpath / THEME_TEMPLATES_DIR)
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(app_dir),
                jinja2.PrefixLoader({"theme": theme_loader}),
                theme_loader,
            ]
        ),
        autoescape=True,
        # As ssg.theme: whitespace control must not change what renders.
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset_url"] = fake_asset_url
    # The renderer's url(): the site's base path ("" here) on root-relative URLs.
    env.globals["url"] = lambda url_path: with_base_path(url_path, "")
    env.globals["absolute_url"] = _absolute_url
    return env


@jinja2.pass_context
def _absolute_url(context: Any, url_path: str) -> str:
    """The renderer's absolute_url(): the site's base_url (`site` of the render) + the path."""
    site_url = str((context.get("site") or {}).get("base_url") or "").rstrip("/")
    return absolute_url(url_path, site_url) if site_url else with_base_path(url_path, "")


SITE = {
    "title": "Field Notes",
    "description": "Notes from the field.",
    "nav": [{"title": "Blog", "url": "/blog"}, {"title": "About", "url": "/about"}],
    "author": "Ada",
}


@pytest.fixture
def render(theme_env: jinja2.Environment) -> Callable[..., Document]:
    """render(template_name, **context) -> Document; context defaults to a small site."""

    def render_template(template_name: str, **context: Any) -> Document:
        defaults: dict[str, Any] = {
            "site": SITE,
            "metadata": {},
            "url_path": "/",
            "params": {},
            "children": Markup(""),
            "slots": {},
        }
        html = theme_env.get_template(template_name).render({**defaults, **context})
        return parse_html(html)

    return render_template


@pytest.fixture
def render_string(theme_env: jinja2.Environment) -> Callable[..., Document]:
    """render_string(source, **context) -> Document, for a page template written inline."""

    def render_source(source: str, **context: Any) -> Document:
        return parse_html(theme_env.from_string(source).render(context))

    return render_source
