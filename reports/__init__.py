"""The self-contained HTML report of an account: plots embedded as PNG, tables, the change-set timeline in words,
and "adpilot vs what you would have had" when other policies were replayed on the same week."""

from reports.build import DailyScore, ReportData, build_report, collect_report
from reports.comparison import PolicyResult, comparison_rows, policy_results
from reports.plots import policy_days_png
from reports.template import LP_SENTENCE
from reports.wording import count_line, stuck_job_line

__all__ = [
    "LP_SENTENCE",
    "DailyScore",
    "PolicyResult",
    "ReportData",
    "build_report",
    "collect_report",
    "comparison_rows",
    "count_line",
    "policy_days_png",
    "policy_results",
    "stuck_job_line",
]
