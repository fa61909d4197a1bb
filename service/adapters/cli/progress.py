"""Progress of the long commands: a bar with its rate and time left on standard error
(only where it is a terminal: logs and pipes get the summary alone), and a summary
table at the end on standard output."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table


@dataclass
class Bar:
    """Moved on by the command: how far it is (in `unit`s of `total`), and how many
    things (rows, recoveries, events) it has done, for the rate."""

    progress: Progress | None
    task: TaskID | None
    things: str
    started: float = field(default_factory=time.monotonic)
    done: int = 0

    def update(self, *, completed: int, done: int, total: int | None = None) -> None:
        self.done = done
        if self.progress is None or self.task is None:
            return
        elapsed = max(time.monotonic() - self.started, 1e-9)
        self.progress.update(
            self.task,
            completed=completed,
            total=total,
            rate=f"{done:,} {self.things}, {done / elapsed:,.0f}/s",
        )

    @property
    def rate(self) -> float:
        return self.done / max(time.monotonic() - self.started, 1e-9)


@contextmanager
def progress_bar(description: str, *, total: int | None, things: str) -> Iterator[Bar]:
    console = Console(stderr=True)
    if not console.is_terminal:
        yield Bar(None, None, things)
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn() if total is None else TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(description, total=total, rate="")
        yield Bar(progress, task, things)


def print_summary(title: str, rows: Sequence[tuple[str, str]]) -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    # Wide enough never to wrap a value: the summary is read by scripts too.
    Console(file=sys.stdout, width=1000).print(table)
