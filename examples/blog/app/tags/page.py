import blog

metadata = {"title": "Tags"}


def load(params):
    return {
        "tags": [
            {"name": name, "url": blog.tag_url(name), "count": len(entries)}
            for name, entries in blog.tags().values()
        ]
    }
