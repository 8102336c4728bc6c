"""Output for humans (Rich tables) and machines (``--json``: one JSON document on stdout).

Every value shown in a table is data, never markup: campaign names, rationales and creative text come from ad
platforms and models, and Rich would otherwise read ``[/]`` as a closing tag (a ``MarkupError`` for the whole list)
or ``[conceal]`` as a style that hides text from the approver (issue 11). Cells are ``rich.text.Text``; any other
interpolation goes through :func:`data`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

__all__ = ["console", "data", "emit_json", "emit_record", "emit_table", "to_jsonable"]


def data(value: Any) -> str:
    """A value for a markup string: escaped, so it prints as written and styles nothing."""
    return escape(str(value))


class _PerCallConsole:
    """A fresh Console per use, so terminal width and colour are read when printing, not at import."""

    def __getattr__(self, name: str) -> Any:
        return getattr(Console(), name)


console = _PerCallConsole()


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


def emit_json(data: Any) -> None:
    # print via plain stdout: Rich would wrap long lines and break the JSON
    print(json.dumps(to_jsonable(data), indent=2, sort_keys=False))


def emit_table(title: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]], *, as_json: bool) -> None:
    if as_json:
        emit_json(list(rows))
        return
    table = Table(title=Text(title))
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_cell(row.get(column)) for column in columns))
    console.print(table)


def emit_record(title: str, record: Mapping[str, Any], *, as_json: bool) -> None:
    if as_json:
        emit_json(record)
        return
    table = Table(title=Text(title), show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in record.items():
        table.add_row(key, _cell(value))
    console.print(table)


def _cell(value: Any) -> Text:
    if value is None:
        return Text("-")
    if isinstance(value, Mapping | list):
        return Text(json.dumps(to_jsonable(value), ensure_ascii=False))
    return Text(str(to_jsonable(value)))
