"""Nightly retraining from the campaign store: CTR on every logged impression, post-click CVR on the clicks whose
conversion window has closed (so delayed conversions are not read as negatives), each registered as a candidate
and promoted only if it beats the champion on the same time-ordered holdout. The daemon's ``model_retraining`` job
calls :func:`retrain_and_promote`; cold start (too few logs) is reported, not an error. (``models.cvr`` offers the
ESMM model over the whole impression space; the nightly job trains the post-click CVR the sandbox bidder multiplies
with pCTR.)

Training reads at most ``model_training_window_days`` (settings; the impression-log retention may never be shorter)
back from the newest logged impression — the data clock, not the wall clock, so simulated weeks work.

Why the retraining runs in a child process: a night's training holds every read row as Python dicts, a DataFrame,
encoded arrays and LightGBM datasets at once, and the allocator keeps that high-water mark in the daemon after the
objects are gone, so the daemon's RSS climbed with the logs night after night (issue 12 part 8: 0.5 → 2.3 GB over
a 30-day demo). A child process returns all of it to the operating system when it exits; the models it trains
reach serving processes through the registry, as before. Cost: ~2–3 s of interpreter start-up per night.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from adpilot.errors import AdpilotError
from adpilot.settings import Settings
from db.database import Database, make_engine
from db.performance import recent_impressions
from models.datasets import LabelledFrame, load_impression_logs
from models.errors import ModelError, PromotionRefused
from models.lgbm import LgbmConfig
from models.registry import RegistryService
from models.sources import time_holdout
from models.training import TrainConfig

__all__ = [
    "CVR_WINDOW_S",
    "MIN_CLICKS",
    "MIN_CONVERSIONS",
    "MIN_IMPRESSIONS",
    "NIGHTLY",
    "default_training_window_days",
    "retrain_and_promote",
    "within_window",
]

# Nightly retraining runs while the daemon's day waits on it (the stepped demo waits for it before the market moves):
# a faster schedule than the offline default (lr 0.03, ≤1000 rounds), which took 40-120 s a night by day 6 of a
# 5-campaign week for AUC differences in the third decimal; promotion still requires beating the champion.
NIGHTLY = TrainConfig(algo="lgbm", lgbm=LgbmConfig(learning_rate=0.1, max_rounds=300, early_stopping_rounds=30))
MIN_IMPRESSIONS = 10_000
# Post-click conversions of the platforms we serve arrive within hours; a 24 h window lets CVR train after two days of
# logs instead of four, at the cost of reading the rare later conversion as a negative (a small, stated bias).
CVR_WINDOW_S = 24 * 3600.0
MIN_CLICKS = 300
MIN_CONVERSIONS = 30
_RESULT = "retrain-result "
_ERROR = "retrain-error "


def _train_and_promote(service: RegistryService, frame: LabelledFrame, kind: str) -> str:
    train, holdout = time_holdout(frame, 0.2)
    row = service.train(train, holdout, NIGHTLY, kind=kind)  # type: ignore[arg-type]
    try:
        service.promote(kind, row.version, holdout=holdout)  # type: ignore[arg-type]
    except PromotionRefused as exc:
        return f"v{row.version} stays a candidate ({exc.message})"
    return f"v{row.version} promoted"


def default_training_window_days() -> int:
    """The settings' default, so callers without a Settings object train on the same window as the daemon."""
    return int(Settings.model_fields["model_training_window_days"].default)


def within_window(rows: list[dict[str, Any]], days: int) -> list[dict[str, Any]]:
    """The rows (oldest first) no older than ``days`` before the newest one."""
    if not rows:
        return rows
    start: datetime = rows[-1]["timestamp"] - timedelta(days=days)
    first = next((i for i, row in enumerate(rows) if row["timestamp"] >= start), len(rows))
    return rows[first:]


def retrain_and_promote(
    database: Database,
    *,
    limit: int = 200_000,
    training_window_days: int | None = None,
    isolated: bool = True,
) -> dict[str, Any]:
    """Retrain and promote CTR and CVR; ``isolated`` (the default) runs it in a child process (see the module
    docstring), ``isolated=False`` in this process."""
    window = training_window_days or default_training_window_days()
    if not isolated:
        return _retrain(database, limit=limit, window_days=window)
    job = {
        "url": database.engine.url.render_as_string(hide_password=False),
        "embedded": database.embedded,
        "limit": limit,
        "window_days": window,
    }
    # A plain interpreter on ``-m models.lifecycle``, not multiprocessing: spawn re-imports the parent's __main__
    # (a script without a main guard would run again in the child) and fork is unsafe in a threaded daemon. The URL
    # goes through stdin, so a password never shows in the process list.
    done = subprocess.run(
        [sys.executable, "-m", "models.lifecycle"], input=json.dumps(job), capture_output=True, text=True, check=False
    )
    lines = done.stdout.splitlines()
    for line in reversed(lines):
        if line.startswith(_RESULT):
            return dict(json.loads(line.removeprefix(_RESULT)))
        if line.startswith(_ERROR):
            error = json.loads(line.removeprefix(_ERROR))
            raise ModelError(f"nightly retraining failed: {error['message']}", remedy=error["remedy"])
    tail = " | ".join(done.stderr.strip().splitlines()[-3:])
    raise ModelError(
        f"nightly retraining process exited with code {done.returncode} without a result: {tail}",
        remedy="the message ends with the child's last stderr lines; the work item is retried with backoff and "
        "the next night retrains again",
    )


def _child_main() -> int:
    """Entry point of the child process: the job as JSON on stdin, the result as the last line of stdout."""
    job = json.loads(sys.stdin.read())
    database = Database(make_engine(job["url"], pool_size=1), embedded=bool(job["embedded"]))
    try:
        result = _retrain(database, limit=int(job["limit"]), window_days=int(job["window_days"]))
    except AdpilotError as exc:
        print(_ERROR + json.dumps({"message": exc.message, "remedy": exc.remedy}), flush=True)
        return 1
    finally:
        database.dispose()
    print(_RESULT + json.dumps(result), flush=True)
    return 0


def _retrain(database: Database, *, limit: int, window_days: int) -> dict[str, Any]:
    with database.transaction() as session:
        rows = within_window(recent_impressions(session, limit=limit), window_days)
    if len(rows) < MIN_IMPRESSIONS:
        return {"skipped": f"{len(rows)} impressions logged; training starts at {MIN_IMPRESSIONS}"}
    out: dict[str, Any] = {"impressions": len(rows)}
    log = load_impression_logs(rows)
    del rows  # the dicts are the largest thing held; the frame has what training needs
    service = RegistryService(database)
    ctr = log.ctr()
    if int(ctr.label.sum()) >= MIN_CLICKS:
        out["ctr"] = _train_and_promote(service, ctr, "ctr")
    else:
        out["ctr"] = f"skipped: {int(ctr.label.sum())} clicks (need {MIN_CLICKS})"
    as_of = float(np.nanmax(log.shown_at))
    matured = log.clicked & (log.shown_at <= as_of - CVR_WINDOW_S)
    converted = np.isfinite(log.converted_at) & (log.converted_at <= log.shown_at + CVR_WINDOW_S)
    idx = np.flatnonzero(matured)
    labels = converted[idx].astype(np.int8)
    if idx.size >= MIN_CLICKS and int(labels.sum()) >= MIN_CONVERSIONS:
        cvr = LabelledFrame("cvr", log.frame.iloc[idx].reset_index(drop=True), labels, log.schema, log.shown_at[idx])
        out["cvr"] = _train_and_promote(service, cvr, "cvr")
    else:
        out["cvr"] = f"skipped: {idx.size} matured clicks, {int(labels.sum())} conversions"
    return out


if __name__ == "__main__":
    sys.exit(_child_main())
