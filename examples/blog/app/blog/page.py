from blog_archive import archive_page

metadata = {"title": "Blog"}


async def load(params):
    return await archive_page(1)
