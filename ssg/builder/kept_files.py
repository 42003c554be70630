"""Where a site's builds keep what the next build reads (the page records and the files
beside them, under the cache folder), and which output they describe: the stamp of
out/'s manifest, kept with them so records are used only with the out/ they were made for.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ssg.config import SiteConfig
from ssg.records import MANIFEST_FILE

RECORDS_FOLDER = "build"
"""Under the site's cache folder, beside the link check's `links.json`."""


def records_file(config: SiteConfig) -> Path:
    """Where the page records of builds into `config.out_dir` are kept (see `ssg.builder.build_records`)."""
    key = hashlib.blake2b(str(config.out_dir).encode(), digest_size=8).hexdigest()
    return config.cache_dir / RECORDS_FOLDER / f"pages-{key}.pickle"


def output_stamp(config: SiteConfig) -> str | None:
    """(inode, size, mtime in ns) of out/_ssg/manifest.json as text, or None without one.

    Records and snapshots are used only with the output they describe: a build
    into the same folder by anything else (another ssg, a copy) changes it.
    """
    try:
        found = (config.out_dir / MANIFEST_FILE).stat()
    except OSError:
        return None
    return f"{found.st_ino} {found.st_size} {found.st_mtime_ns}"


def write_output_stamp(config: SiteConfig, stamp: str) -> None:
    """Keep the output's stamp beside the records (`pages-<key>.stamp`, temp file + rename).

    Raises:
        OSError: the cache folder cannot be written.
    """
    target = records_file(config).with_suffix(".stamp")
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.write_text(stamp)
    os.replace(temp, target)


def read_output_stamp(config: SiteConfig) -> str | None:
    """The output stamp kept beside the records, or None."""
    try:
        return records_file(config).with_suffix(".stamp").read_text()
    except OSError:
        return None
