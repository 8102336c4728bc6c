"""``adpilot models list|train|evaluate|promote|rollback``: thin commands over :class:`models.registry.RegistryService`.

Data for ``train`` / ``evaluate`` / ``promote`` is a named source (``criteo``, ``avazu``, ``talkingdata`` from
``../shared/data``, or ``sandbox`` logs) or a sample path; its last ``--holdout`` fraction (time order) is the holdout,
so the same ``--data`` always yields the same holdout and comparisons are like for like.
"""

from __future__ import annotations

from typing import Any

import typer

from cli import context
from cli.output import emit_json, emit_record, emit_table

__all__ = ["models_app"]

models_app = typer.Typer(help="CTR/CVR models: registry, training, promotion.", no_args_is_help=True)

_KIND = typer.Option("ctr", "--kind", help="ctr | cvr")
_DATA = typer.Option("criteo", "--data", help="criteo | avazu | talkingdata | sandbox | path to a sample")
_HOLDOUT = typer.Option(0.2, "--holdout", min=0.05, max=0.5, help="time-ordered holdout fraction")
_JSON = typer.Option(False, "--json", help="print JSON")


def _kind(kind: str) -> Any:
    if kind not in ("ctr", "cvr"):
        raise typer.BadParameter("--kind must be ctr or cvr")
    return kind


def _service() -> Any:
    from models.registry import RegistryService

    return RegistryService(context.database())


def _split(data: str, holdout: float, seed: int) -> Any:
    from models.sources import load_source, time_holdout

    return time_holdout(load_source(data, seed=seed), holdout)


def _summary(row: Any) -> dict[str, Any]:
    m = row.metrics.get("holdout") or {}
    return {
        "kind": row.kind,
        "version": row.version,
        "status": row.status,
        "algorithm": row.algorithm,
        "auc": m.get("auc"),
        "logloss": m.get("logloss"),
        "ece": m.get("ece"),
        "trained_at": row.trained_at,
        "promoted_at": row.promoted_at,
        "holdout": (row.holdout_fingerprint or "")[:12],
        "notes": row.notes,
    }


@models_app.command("list")
def list_versions(
    kind: str | None = typer.Option(None, "--kind", help="ctr | cvr (default both)"), as_json: bool = _JSON
) -> None:
    """Registered model versions with their holdout metrics."""
    rows = [_summary(r) for r in _service().list(_kind(kind) if kind else None)]
    emit_table(
        "model versions",
        ["kind", "version", "status", "algorithm", "auc", "logloss", "ece", "trained_at", "notes"],
        rows,
        as_json=as_json,
    )


@models_app.command("train")
def train(
    kind: str = _KIND,
    data: str = _DATA,
    algo: str = typer.Option("lgbm", "--algo", help="lgbm | dcnv2 | blend"),
    holdout: float = _HOLDOUT,
    dask: str | None = typer.Option(None, "--dask", help="Dask scheduler address: train with lightgbm.dask"),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = _JSON,
) -> None:
    """Train on the source minus its holdout and register a candidate (promote it separately)."""
    from models.training import TrainConfig

    if algo not in ("lgbm", "dcnv2", "blend"):
        raise typer.BadParameter("--algo must be lgbm, dcnv2 or blend")
    if kind == "cvr" and data == "sandbox":
        raise typer.BadParameter(
            "sandbox logs give click labels; ESMM CVR training (models.cvr.train_esmm) is not wired to the CLI yet"
        )
    train_set, holdout_set = _split(data, holdout, seed)
    row = _service().train(train_set, holdout_set, TrainConfig(algo=algo, dask_address=dask), kind=_kind(kind))  # type: ignore[arg-type]
    emit_record(f"registered {row.kind} v{row.version} (candidate)", _summary(row), as_json=as_json)


@models_app.command("evaluate")
def evaluate_version(
    version: int = typer.Argument(..., help="version number"),
    kind: str = _KIND,
    data: str = _DATA,
    holdout: float = _HOLDOUT,
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = _JSON,
) -> None:
    """Evaluate a version on the source's holdout and record the metrics."""
    _, holdout_set = _split(data, holdout, seed)
    metrics = _service().evaluate(_kind(kind), version, holdout_set)
    emit_record(f"{kind} v{version} on {data} holdout", metrics, as_json=as_json)


@models_app.command("promote")
def promote(
    version: int = typer.Argument(..., help="version number"),
    kind: str = _KIND,
    data: str | None = typer.Option(None, "--data", help="holdout source; default: the candidate's own holdout"),
    holdout: float = _HOLDOUT,
    force: bool = typer.Option(False, "--force", help="promote even if it does not beat the champion"),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = _JSON,
) -> None:
    """Promote a candidate if it beats the champion on the same holdout."""
    holdout_set = _split(data, holdout, seed)[1] if data else None
    result = _service().promote(_kind(kind), version, holdout=holdout_set, force=force)
    record = {"kind": result.kind, "champion": result.promoted, "retired": result.retired,
              "candidate_auc": result.candidate_metrics.get("auc"),
              "previous_auc": (result.champion_metrics or {}).get("auc")}  # fmt: skip
    if as_json:
        emit_json(record)
    else:
        emit_record(f"{kind} v{version} promoted", record, as_json=False)


@models_app.command("rollback")
def rollback(kind: str = _KIND, as_json: bool = _JSON) -> None:
    """Retire the champion and reinstate the previous one."""
    result = _service().rollback(_kind(kind))
    emit_record(
        f"{kind} rolled back",
        {"kind": result.kind, "champion": result.promoted, "retired": result.retired},
        as_json=as_json,
    )
