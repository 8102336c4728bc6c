"""The self-contained HTML report of an account: plots embedded as PNG, tables, the change-set timeline."""

from reports.build import DailyScore, ReportData, build_report, collect_report

__all__ = ["DailyScore", "ReportData", "build_report", "collect_report"]
