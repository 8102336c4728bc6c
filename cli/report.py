"""``adpilot report --since … --out report.html``: the HTML report of an account from the store."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from adpilot.errors import InvalidInput
from cli import context
from cli.output import console
from cli.output import data as data_text
from db.coordination import PeriodClaimRepository
from db.performance import data_clock
from db.reporting import ReportRepository
from reports import build_report, collect_report, stuck_job_line

__all__ = ["parse_since", "report"]

STUCK_AFTER_S = 15 * 60


def parse_since(text: str, now: datetime) -> datetime:
    """``7d`` / ``36h`` (relative to the account's clock) or an ISO date/time (UTC)."""
    match = re.fullmatch(r"(\d+)([dh])", text.strip())
    if match:
        n, unit = int(match.group(1)), match.group(2)
        return now - (timedelta(days=n) if unit == "d" else timedelta(hours=n))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(
            f"cannot read --since {text!r}", remedy="use 7d, 36h or an ISO date like 2025-01-01"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def report(
    since: str = typer.Option("7d", help="7d, 36h, or an ISO date (UTC)"),
    out: Path = typer.Option(Path("adpilot-report.html"), help="where to write the HTML file"),
    account: int | None = typer.Option(None, help="account id (default: the newest)"),
) -> None:
    """Write the HTML report (spend vs plan, CPA vs target, creatives, change-set timeline) for an account.

    The window ends at the account's data clock (the end of its latest synced hour) and starts ``--since`` before
    it; the header, the totals, the counts and the timeline all use that one window."""
    db = context.database()
    with db.transaction() as session:
        repo = ReportRepository(session)
        account_id = account or repo.latest_account_id()
        campaigns = repo.campaigns(account_id) if account_id else []
        clocks = [c for c in (data_clock(session, c.id) for c in campaigns) if c is not None]
        stuck = [  # the same test as `adpilot daemon status`: a claimed run not finished after 15 minutes
            {"job": c.job_name, "period_start": c.period_start, "claimed_by": c.claimed_by, "claimed_at": c.claimed_at}
            for c in PeriodClaimRepository(session).unfinished(STUCK_AFTER_S)
        ]
    now = max(clocks) if clocks else datetime.now(UTC)
    start = parse_since(since, now)
    if start >= now:
        raise InvalidInput(
            f"--since {since!r} starts at {start:%Y-%m-%d %H:%M} UTC, not before the data's end ({now:%Y-%m-%d %H:%M})",
            remedy="pick an earlier start, e.g. --since 7d",
        )
    data = collect_report(db, start=start, end=now, account_id=account_id, llm_backend=context.settings().llm_backend)
    data.warnings = [stuck_job_line(job) for job in stuck]
    path = build_report(data, out)
    console.print(
        f"report for {start:%Y-%m-%d %H:%M} → {now:%Y-%m-%d %H:%M} UTC written to [bold]{data_text(path)}[/] "
        f"({path.stat().st_size // 1024} KiB)"
    )
