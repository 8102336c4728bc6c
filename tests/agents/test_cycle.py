"""A full agent cycle on sandbox data with the scripted fake backend: every node, the model's veto, fallbacks,
dry runs, checkpoints and token accounting."""

from __future__ import annotations

from sqlalchemy import func, select, text

from agents.creative.prompts import CreativeDraft
from agents.llm.fake import FakeBackend
from agents.reviewer.node import ReviewNote
from agents.runner import run_cycle
from agents.selection import CandidateReview
from agents.toolbelt import ALLOWED_TOOLS
from db.schema import AgentRun, ChangeSet
from guardrails.creative import creative_violations
from guardrails.policy import GuardrailPolicy

POLICY = GuardrailPolicy()
GOOD = [
    CreativeDraft(
        headline="Trail shoes that last", description="Grippy soles, light uppers. Free returns.", angle="quality"
    ),
    CreativeDraft(
        headline="Run more, pay less", description="Last season's trail shoes at a fair price.", angle="price"
    ),
]
BAD = {"headline": "GUARANTEED #1 SHOES!!!", "description": "Free money back, miracle grip.", "angle": "urgency"}


def _fake(*, drop_first: bool = False) -> FakeBackend:
    fake = FakeBackend()

    def review(messages):
        listing = messages[-1].content
        ids = [line[2:].split(":", 1)[0] for line in listing.splitlines() if line.startswith("- ")]
        drop = ids[:1] if drop_first and len(ids) >= 2 else []  # the schema allows dropping at most half
        return {"drop": drop, "rationale": "evidence is consistent"}

    fake.script_json(CandidateReview, *[review] * 10)
    fake.script_tool("propose_creative", BAD, *GOOD)
    fake.script_json(ReviewNote, {"summary": "rebalance segments", "rationale": "Segments differ.", "risk": "low"})
    return fake


def _cycle(world, campaign_id, fake, **kw):
    return run_cycle(world.database, campaign_id, now=world.now, llm=fake, policy=POLICY, seed=1, **kw)


def test_full_cycle_writes_one_guarded_change_set(world) -> None:
    cid = world.campaign_ids[1]
    fake = _fake()
    result = _cycle(world, cid, fake)
    assert result.change_set_id is not None and result.drafts
    assert result.change_set_status in ("pending_approval", "approved", "blocked")
    for entry in result.tool_calls:  # every executed tool was the node's own
        node, tool = entry.split(":")
        assert tool in ALLOWED_TOOLS[node]
    assert result.refused_calls == []
    assert {"audience_analyst", "creative_strategist", "bid_optimiser", "reviewer"} <= {
        t.split(":")[0] for t in result.tool_calls
    }
    assert result.summary == "rebalance segments" and result.llm_fallbacks == []
    with world.database.transaction() as s:
        cs = s.get(ChangeSet, result.change_set_id)
        assert cs.origin == "agents" and cs.summary == "rebalance segments"
        actions = [i.action for i in cs.items]
        for item in cs.items:
            assert item.idempotency_key.startswith("adpilot-") and item.guardrail_verdict is not None
            assert item.rationale
        creatives = [i for i in cs.items if i.action == "create_creative"]
        if creatives:  # the rule-breaking variant is never proposed; a valid one is
            (new,) = creatives
            assert creative_violations(new.after["headline"], new.after["description"], POLICY.creative) == []
            assert new.after["headline"] in {g.headline for g in GOOD}
        run = s.get(AgentRun, result.run_id)
        assert run.status == "succeeded" and run.prompt_tokens > 0 and run.completion_tokens > 0
        assert run.result["change_set_id"] == result.change_set_id
        checkpoints = s.execute(
            text("SELECT count(*) FROM agent_checkpoints.checkpoints WHERE thread_id = :t"),
            {"t": f"cycle-{result.run_id}"},
        ).scalar()
        assert checkpoints and checkpoints >= 5  # one per node at least
    assert "set_segment_modifier" in actions or "pause_creative" in actions or "create_creative" in actions
    assert result.prompt_tokens == run.prompt_tokens


def test_model_veto_removes_a_candidate(world) -> None:
    cid = world.campaign_ids[1]
    kept = _cycle(world, cid, _fake(), dry_run=True)
    vetoed = _cycle(world, cid, _fake(drop_first=True), dry_run=True)
    assert len(vetoed.drafts) < len(kept.drafts)


def test_invalid_model_output_falls_back_to_the_deterministic_choice(world) -> None:
    cid = world.campaign_ids[1]
    fake = FakeBackend(max_repairs=1)
    fake.script_json(CandidateReview, *["not json"] * 20)
    fake.script_tool("propose_creative", *["{bad"] * 20)
    fake.script_json(ReviewNote, *["nope"] * 4)
    result = _cycle(world, cid, fake, dry_run=True)
    assert "audience_analyst" in result.llm_fallbacks
    assert any("deterministic choice kept" in f for f in result.flags)
    assert result.drafts  # the cycle degraded, it did not stop


def test_dry_run_writes_nothing(world) -> None:
    cid = world.campaign_ids[1]
    with world.database.transaction() as s:
        before = s.scalar(select(func.count()).select_from(ChangeSet))
        runs = s.scalar(select(func.count()).select_from(AgentRun))
    result = _cycle(world, cid, None, dry_run=True)
    with world.database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ChangeSet)) == before
        assert s.scalar(select(func.count()).select_from(AgentRun)) == runs
    if result.drafts:
        assert result.preview is not None and result.change_set_status.startswith("dry-run:")
        assert len(result.preview["items"]) == len(result.drafts)


def test_kill_switch_makes_every_agent_proposal_blocked(world) -> None:
    from db.kill_switch import KillSwitchRepository

    with world.database.transaction() as s:
        KillSwitchRepository(s).set(True, actor="test", reason="test")
    try:
        result = _cycle(world, world.campaign_ids[1], None)
        if result.drafts:
            assert result.change_set_status == "blocked"
    finally:
        with world.database.transaction() as s:
            KillSwitchRepository(s).set(False, actor="test", reason=None)
