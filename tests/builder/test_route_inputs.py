"""The site modules a page module imports, followed through imports (what an edit of one re-renders)."""

from __future__ import annotations

import importlib.util
import marshal
import os
import py_compile
from pathlib import Path
from py_compile import PycInvalidationMode

from ssg.site_imports import imported_site_modules


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


# Explicit: SOURCE_DATE_EPOCH changes py_compile's default.
TIMESTAMP = PycInvalidationMode.TIMESTAMP
CHECKED_HASH = PycInvalidationMode.CHECKED_HASH

SITE = {
    "app/blog/page.py": (
        "import os\n"
        "import blog\n"
        "from lib import tags as t\n"
        "def load(params):\n"
        "    from lib.feeds import make\n"
        "    return {}\n"
    ),
    "blog.py": "from lib.dates import *\n",
    "lib/__init__.py": "",
    "lib/tags.py": "from . import words\n",
    "lib/words.py": "",
    "lib/feeds/__init__.py": "from ..dates import when\n",
    "lib/dates.py": "import datetime\n",
    "lib/unused.py": "",
    "broken.py": "def (:\n",
}


def test_imports_are_followed_through_site_modules_in_every_form(tmp_path: Path) -> None:
    write(tmp_path, SITE)
    found = imported_site_modules([tmp_path / "app/blog/page.py"], tmp_path)
    assert {path.relative_to(tmp_path).as_posix() for path in found} == {
        "blog.py",  # import blog
        "lib/__init__.py",  # the package of every lib.* import
        "lib/tags.py",  # from lib import tags as t
        "lib/words.py",  # from . import words, in lib/tags.py
        "lib/feeds/__init__.py",  # imported inside a function
        "lib/dates.py",  # from ..dates import when; from lib.dates import *
    }


def test_a_module_that_does_not_compile_is_not_followed(tmp_path: Path) -> None:
    write(tmp_path, {**SITE, "app/page.py": "import broken\n"})
    found = imported_site_modules([tmp_path / "app/page.py"], tmp_path)
    assert found == {tmp_path / "broken.py"}


def test_the_imports_are_read_from_a_bytecode_cache_that_holds_the_sources_hash(
    tmp_path: Path,
) -> None:
    write(tmp_path, {"app/page.py": "import blog\n", "blog.py": "", "other.py": ""})
    page = tmp_path / "app/page.py"
    # A cache as the site's imports write it (checked hash-based), holding other code
    # than the source compiles to: found imports come from the cache, as an import's code.
    header = importlib.util.MAGIC_NUMBER + (0b11).to_bytes(4, "little")
    header += importlib.util.source_hash(page.read_bytes())
    cached = Path(importlib.util.cache_from_source(str(page)))
    cached.parent.mkdir()
    cached.write_bytes(header + marshal.dumps(compile("import other\n", str(page), "exec")))
    found = imported_site_modules([page], tmp_path)
    assert found == {tmp_path / "other.py"}


def test_a_bytecode_cache_of_an_older_source_is_not_read(tmp_path: Path) -> None:
    write(tmp_path, {"app/page.py": "import other\n", "blog.py": "", "other.py": ""})
    page = tmp_path / "app/page.py"
    py_compile.compile(str(page), doraise=True, invalidation_mode=CHECKED_HASH)
    page.write_text("import blog\n")
    found = imported_site_modules([page], tmp_path)
    assert found == {tmp_path / "blog.py"}


def test_a_timestamp_bytecode_cache_is_not_trusted(tmp_path: Path) -> None:
    write(tmp_path, {"app/page.py": "import other\n", "blog.py": "", "other.py": ""})
    page = tmp_path / "app/page.py"
    py_compile.compile(str(page), doraise=True, invalidation_mode=TIMESTAMP)
    stamp = page.stat()
    # Edited within the same second, keeping the size: the timestamp cache looks current.
    page.write_text("import blog \n")
    os.utime(page, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    found = imported_site_modules([page], tmp_path)
    assert found == {tmp_path / "blog.py"}
