"""Rich progress bars on stderr for ``bench system``: one bar for the runs, one for the simulated days of each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from simulation.week import Progress as WeekProgress

__all__ = ["week_bars"]


@contextmanager
def week_bars() -> Iterator[Callable[[str], WeekProgress]]:
    """Yields ``on_week(label) -> progress(done, total, note)``: each call starts a new bar for one week."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[note]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as bars:

        def on_week(label: str) -> WeekProgress:
            task = bars.add_task(label, total=1.0, note="")

            def progress(done: int, total: int, note: str) -> None:
                bars.update(task, completed=done / total, note=note)

            return progress

        yield on_week
