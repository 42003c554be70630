"""What the forked render worker sends back through its pipe: the records, links and reads
of the pages it finished, and the pages that failed, pickled compactly (`WorkerReport`)."""

from __future__ import annotations

import dataclasses
import operator
from dataclasses import dataclass
from typing import NamedTuple

from ssg.builder.finish import FinishedPage
from ssg.errors import BuildError, TemplateError
from ssg.reads import Reads
from ssg.records import PageRecord

_WORKER_NOTE = "failed in the render worker process (see the message above for the details)"


class PageFailure(NamedTuple):
    """A page error as the child sends it (custom SsgError subclasses may not unpickle)."""

    route_pattern: str
    url_path: str
    message: str
    template_file: str | None
    line: int | None


@dataclass(eq=False)  # identity equality: no generated __eq__
class WorkerReport:
    """What the worker sends back: the results of one chunk, or of all chunks so far."""

    finished: list[FinishedPage]
    not_found: list[str]
    failures: list[PageFailure]
    bug: str | None = None  # the formatted traceback of a bug in ssg
    link_seconds: float = 0.0  # CPU seconds reading links out of its pages

    def add(self, other: WorkerReport) -> None:
        """Append `other`'s pages, failures and CPU seconds (the report of a later chunk)."""
        self.finished.extend(other.finished)
        self.not_found.extend(other.not_found)
        self.failures.extend(other.failures)
        self.link_seconds += other.link_seconds
        self.bug = self.bug or other.bug

    @property
    def pages(self) -> int:
        """How many pages the report settles: written, not found, or failed."""
        return len(self.finished) + len(self.not_found) + len(self.failures)

    def __reduce__(self) -> tuple[object, ...]:
        # Records as tuples of their values: a slotted dataclass pickles itself through
        # Python-level __getstate__/__setstate__ that look up its fields for each record.
        pages = [(_record_values(page.record), page.links, page.reads) for page in self.finished]
        return (
            _rebuild_report,
            (pages, self.not_found, self.failures, self.bug, self.link_seconds),
        )


_RECORD_FIELDS = tuple(field.name for field in dataclasses.fields(PageRecord))
_record_values = operator.attrgetter(*_RECORD_FIELDS)


def _record(values: tuple[object, ...]) -> PageRecord:
    # Positional, in the order of _RECORD_FIELDS (every field is an __init__ argument):
    # half the cost of keywords through a dict, for every page of the worker.
    return PageRecord(*values)  # type: ignore[arg-type]


def _rebuild_report(
    pages: list[tuple[tuple[object, ...], tuple[str, ...], Reads | None]],
    not_found: list[str],
    failures: list[PageFailure],
    bug: str | None,
    link_seconds: float,
) -> WorkerReport:
    """The WorkerReport that `WorkerReport.__reduce__` packed."""
    finished = [FinishedPage(_record(values), links, reads) for values, links, reads in pages]
    return WorkerReport(finished, not_found, failures, bug, link_seconds)


def failure_of(error: BuildError) -> PageFailure:
    """A page's BuildError as the worker sends it."""
    return PageFailure(
        error.route_pattern, error.url_path, str(error), error.source_file, error.line
    )


def rebuild_error(failure: PageFailure) -> BuildError:
    """The BuildError of a page that failed in the worker, as this process would have made it."""
    error = BuildError(
        failure.message,
        route_pattern=failure.route_pattern,
        url_path=failure.url_path,
        source_file=failure.template_file,
        line=failure.line,
    )
    if failure.template_file is not None:
        error.__cause__ = TemplateError(
            _WORKER_NOTE, template_file=failure.template_file, line=failure.line
        )
    return error
