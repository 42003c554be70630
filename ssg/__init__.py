"""ssg: a Python static site generator with Next.js App Router semantics and ISR."""

from __future__ import annotations

__version__ = "0.1.0"
