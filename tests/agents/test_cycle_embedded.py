"""A full agent cycle on sandbox data with the REAL embedded model (SmolLM2 on transformers + llguidance, small
max_tokens, fixed seed). Checks the change-set's structure, not the model's wording."""

from __future__ import annotations

import pytest

from adpilot.settings import load_settings
from agents.llm.factory import make_backend
from agents.runner import run_cycle
from agents.toolbelt import ALLOWED_TOOLS
from db.schema import AgentRun, ChangeSet
from guardrails.creative import creative_violations
from guardrails.policy import GuardrailPolicy
from tests.embedded_llm import require_embedded_llm

pytestmark = [pytest.mark.embedded_llm, pytest.mark.slow]


def test_cycle_with_the_embedded_model(world, monkeypatch, tmp_path) -> None:
    require_embedded_llm()
    monkeypatch.chdir(tmp_path)
    settings = load_settings(llm_backend="embedded", llm_max_tokens=160, llm_seed=7)
    llm = make_backend(settings)
    policy = GuardrailPolicy()
    result = run_cycle(
        world.database, world.campaign_ids[1], now=world.now, llm=llm, policy=policy, seed=3, max_tokens=160
    )
    assert result.prompt_tokens > 0 and result.completion_tokens > 0
    assert result.refused_calls == []
    for entry in result.tool_calls:
        node, tool = entry.split(":")
        assert tool in ALLOWED_TOOLS[node]
    assert result.change_set_id is not None  # this campaign has candidates (see test_cycle)
    with world.database.transaction() as s:
        cs = s.get(ChangeSet, result.change_set_id)
        assert cs.origin == "agents" and cs.status in ("approved", "pending_approval", "blocked")
        assert cs.summary and cs.items
        for item in cs.items:
            assert item.guardrail_verdict is not None and item.idempotency_key
            if item.action == "create_creative" and item.status != "blocked":
                assert creative_violations(item.after["headline"], item.after["description"], policy.creative) == []
        run = s.get(AgentRun, result.run_id)
        assert run.prompt_tokens == result.prompt_tokens and run.status == "succeeded"
