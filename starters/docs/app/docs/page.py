"""/docs: the table of contents."""

import docs_pages

metadata = {"title": "Documentation"}


def load(params):
    return {
        "pages": [{"title": p.title, "url": docs_pages.page_url(p)} for p in docs_pages.pages()]
    }
