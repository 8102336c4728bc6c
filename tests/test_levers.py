"""Issue 11 item 11: each change action is defined once, as a lever (typed payload, clamp, before, platform call,
read-back, store mirror, inverse, description), and work kinds have one owner."""

from __future__ import annotations

import inspect

import pytest

from adpilot.errors import InvalidInput
from db.enums import ChangeAction
from db.work_kinds import WorkKind
from levers import LEVERS, Lever
from scheduler.registry import JobRegistry


def test_every_action_has_exactly_one_complete_lever() -> None:
    assert set(LEVERS) == set(ChangeAction)
    for action, lever in LEVERS.items():
        assert isinstance(lever, Lever) and lever.action is action
        assert not inspect.isabstract(type(lever)), type(lever).__name__
        assert lever.target_type in {"campaign", "segment", "placement", "creative"}


@pytest.mark.parametrize("action", list(ChangeAction))
def test_payloads_are_typed_and_closed(action: ChangeAction) -> None:
    lever = LEVERS[action]
    fields = lever.payload.model_fields
    with pytest.raises(InvalidInput):
        lever.parse({**dict.fromkeys(fields, True), "unexpected": 1})  # booleans are never numbers, no extra keys


def test_the_daemon_handles_only_declared_work_kinds() -> None:
    import structlog

    from scheduler.jobs import register_builtin

    registry = JobRegistry()
    register_builtin(registry, has_platform=True, simulated=True, log=structlog.get_logger("test"))
    handled = set(registry.kinds())
    assert handled == {str(k) for k in WorkKind}  # every kind declared once, in db.work_kinds, and handled
