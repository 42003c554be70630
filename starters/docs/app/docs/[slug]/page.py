"""/docs/[slug]: one page per Markdown file in content/docs."""

import docs_pages

import ssg

dynamic_params = False  # only the pages that exist


def generate_static_params(params):
    return [{"slug": page.slug} for page in docs_pages.pages()]


def generate_metadata(params):
    page = next((p for p in docs_pages.pages() if p.slug == params["slug"]), None)
    return {"title": page.title if page else "Not found"}


def load(params):
    pages = docs_pages.pages()
    index = next((i for i, p in enumerate(pages) if p.slug == params["slug"]), None)
    if index is None:
        ssg.not_found()

    def link(i):
        if 0 <= i < len(pages):
            return {"title": pages[i].title, "url": docs_pages.page_url(pages[i])}
        return None

    return {"page": pages[index], "previous": link(index - 1), "next": link(index + 1)}
