"""Helpers shared by the CLI command modules: JSON output, tables, progress bars."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Any, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

__all__ = ["stdout", "stderr", "emit_json", "progress"]

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False)


def emit_json(payload: Any) -> None:
    """Write machine-readable output to stdout (plain JSON, no colour, newline-terminated)."""
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
    sys.stdout.flush()


@contextmanager
def progress(description: str, total: int) -> Iterator[Any]:
    """A rich progress bar on stderr; silent when stderr is not a terminal (CI, pipes).

    Yields an ``advance(n=1)`` callable.
    """
    if not stderr.is_terminal:
        yield lambda n=1: None
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)
