"""initial schema: the whole campaign store, the append-only audit trigger, the kill-switch row

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 07:32:40.861893
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('ad_accounts',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('daily_ceiling_micros', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f('ck_ad_accounts_currency_iso4217')),
    sa.CheckConstraint("platform IN ('sandbox', 'google_ads', 'meta', 'tiktok')", name=op.f('ck_ad_accounts_platform_valid')),
    sa.CheckConstraint('daily_ceiling_micros IS NULL OR daily_ceiling_micros >= 0', name=op.f('ck_ad_accounts_ceiling_nonneg')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ad_accounts')),
    sa.UniqueConstraint('platform', 'external_id', name=op.f('uq_ad_accounts_platform_external_id'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('event', sa.String(length=24), nullable=False),
    sa.Column('change_set_id', sa.BigInteger(), nullable=True),
    sa.Column('change_item_id', sa.BigInteger(), nullable=True),
    sa.Column('campaign_id', sa.BigInteger(), nullable=True),
    sa.Column('message', sa.Text(), server_default='', nullable=False),
    sa.Column('details', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.CheckConstraint("event IN ('proposed', 'verdict', 'approved', 'rejected', 'dry_run', 'applied', 'failed', 'rolled_back', 'expired', 'outcome', 'kill_switch', 'policy_loaded', 'manual_edit')", name=op.f('ck_audit_log_event_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index(op.f('ix_audit_log_change_set_id'), 'audit_log', ['change_set_id'], unique=False)
    op.create_index('ix_audit_log_occurred', 'audit_log', ['occurred_at'], unique=False)
    op.create_table('guardrail_policy_snapshots',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('source_path', sa.Text(), nullable=True),
    sa.Column('policy', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_guardrail_policy_snapshots_sha256_len')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guardrail_policy_snapshots')),
    sa.UniqueConstraint('sha256', name=op.f('uq_guardrail_policy_snapshots_sha256'))
    )
    op.create_table('kill_switch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engaged', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=128), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_kill_switch_singleton')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kill_switch'))
    )
    op.create_table('leases',
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=True),
    sa.Column('term', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('term >= 0', name=op.f('ck_leases_term_nonneg')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_leases'))
    )
    op.create_table('model_versions',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('algorithm', sa.String(length=32), nullable=False),
    sa.Column('data_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('feature_spec_hash', sa.String(length=64), nullable=False),
    sa.Column('holdout_fingerprint', sa.String(length=64), nullable=True),
    sa.Column('metrics', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('artifact', sa.LargeBinary(), nullable=False),
    sa.Column('artifact_sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('promoted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('ctr', 'cvr')", name=op.f('ck_model_versions_kind_valid')),
    sa.CheckConstraint("status IN ('candidate', 'champion', 'retired')", name=op.f('ck_model_versions_status_valid')),
    sa.CheckConstraint('length(artifact_sha256) = 64', name=op.f('ck_model_versions_sha256_len')),
    sa.CheckConstraint('version > 0', name=op.f('ck_model_versions_version_pos')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_versions')),
    sa.UniqueConstraint('kind', 'version', name=op.f('uq_model_versions_kind_version'))
    )
    op.create_index('uq_model_versions_one_champion', 'model_versions', ['kind'], unique=True, postgresql_where=sa.text("status = 'champion'"))
    op.create_table('period_claims',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('job_name', sa.String(length=128), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=128), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_period_claims')),
    sa.UniqueConstraint('job_name', 'period_start', name=op.f('uq_period_claims_job_name_period_start'))
    )
    op.create_table('replicas',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('hostname', sa.String(length=256), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_replicas'))
    )
    op.create_table('webhook_inbox',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=256), nullable=False),
    sa.Column('event_type', sa.String(length=128), nullable=False),
    sa.Column('payload', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_inbox')),
    sa.UniqueConstraint('source', 'event_id', name=op.f('uq_webhook_inbox_source_event_id'))
    )
    op.create_index('ix_webhook_inbox_unprocessed', 'webhook_inbox', ['processed_at'], unique=False)
    op.create_table('campaigns',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('objective', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('daily_budget_micros', sa.BigInteger(), nullable=False),
    sa.Column('bid_strategy', sa.String(length=32), nullable=False),
    sa.Column('target_cpa_micros', sa.BigInteger(), nullable=True),
    sa.Column('target_roas', sa.Numeric(precision=10, scale=4), nullable=True),
    sa.Column('bid_multiplier', sa.Numeric(precision=10, scale=4), nullable=False),
    sa.Column('frequency_cap_per_day', sa.Integer(), nullable=True),
    sa.Column('daypart_modifiers', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('placement_modifiers', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('protected', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("bid_strategy IN ('manual_cpc', 'target_cpa', 'target_roas', 'max_conversions')", name=op.f('ck_campaigns_bid_strategy_valid')),
    sa.CheckConstraint("objective IN ('conversions', 'sales', 'leads', 'app_installs', 'traffic', 'awareness')", name=op.f('ck_campaigns_objective_valid')),
    sa.CheckConstraint("status IN ('active', 'paused', 'removed')", name=op.f('ck_campaigns_status_valid')),
    sa.CheckConstraint('bid_multiplier > 0 AND bid_multiplier <= 100', name=op.f('ck_campaigns_bid_multiplier_range')),
    sa.CheckConstraint('daily_budget_micros >= 0', name=op.f('ck_campaigns_budget_nonneg')),
    sa.CheckConstraint('frequency_cap_per_day IS NULL OR frequency_cap_per_day > 0', name=op.f('ck_campaigns_freq_cap_pos')),
    sa.CheckConstraint('target_cpa_micros IS NULL OR target_cpa_micros > 0', name=op.f('ck_campaigns_target_cpa_pos')),
    sa.CheckConstraint('target_roas IS NULL OR target_roas > 0', name=op.f('ck_campaigns_target_roas_pos')),
    sa.ForeignKeyConstraint(['account_id'], ['ad_accounts.id'], name=op.f('fk_campaigns_account_id_ad_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('account_id', 'external_id', name=op.f('uq_campaigns_account_id_external_id'))
    )
    op.create_index(op.f('ix_campaigns_account_id'), 'campaigns', ['account_id'], unique=False)
    op.create_table('agent_runs',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=True),
    sa.Column('campaign_id', sa.BigInteger(), nullable=True),
    sa.Column('trigger', sa.String(length=32), nullable=False),
    sa.Column('payload', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('dedupe_key', sa.String(length=256), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('run_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_by', sa.String(length=128), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('result', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True),
    sa.Column('prompt_tokens', sa.BigInteger(), nullable=False),
    sa.Column('completion_tokens', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed', 'dead')", name=op.f('ck_agent_runs_status_valid')),
    sa.CheckConstraint('attempts >= 0 AND max_attempts > 0', name=op.f('ck_agent_runs_attempts_range')),
    sa.CheckConstraint('prompt_tokens >= 0 AND completion_tokens >= 0', name=op.f('ck_agent_runs_tokens_nonneg')),
    sa.ForeignKeyConstraint(['account_id'], ['ad_accounts.id'], name=op.f('fk_agent_runs_account_id_ad_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_agent_runs_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_runs')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_agent_runs_dedupe_key'))
    )
    op.create_index('ix_agent_runs_claimable', 'agent_runs', ['status', 'run_after'], unique=False)
    op.create_index('uq_agent_runs_one_running_per_campaign', 'agent_runs', ['campaign_id'], unique=True, postgresql_where=sa.text("status = 'running' AND campaign_id IS NOT NULL"))
    op.create_table('alerts',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('campaign_id', sa.BigInteger(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('details', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("severity IN ('info', 'warning', 'critical')", name=op.f('ck_alerts_severity_valid')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_alerts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    op.create_index(op.f('ix_alerts_campaign_id'), 'alerts', ['campaign_id'], unique=False)
    op.create_table('audience_segments',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('campaign_id', sa.BigInteger(), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('definition', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('bid_modifier', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('excluded', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('bid_modifier >= 0 AND bid_modifier <= 10', name=op.f('ck_audience_segments_modifier_range')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_audience_segments_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audience_segments')),
    sa.UniqueConstraint('campaign_id', 'external_id', name=op.f('uq_audience_segments_campaign_id_external_id'))
    )
    op.create_index(op.f('ix_audience_segments_campaign_id'), 'audience_segments', ['campaign_id'], unique=False)
    op.create_table('creatives',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('campaign_id', sa.BigInteger(), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('headline', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('body', sa.Text(), server_default='', nullable=False),
    sa.Column('call_to_action', sa.String(length=64), nullable=True),
    sa.Column('final_url', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('origin', sa.String(length=8), nullable=False),
    sa.Column('policy_verdict', sa.String(length=16), nullable=False),
    sa.Column('policy_reasons', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("origin IN ('human', 'llm')", name=op.f('ck_creatives_origin_valid')),
    sa.CheckConstraint("policy_verdict IN ('pending', 'approved', 'disapproved')", name=op.f('ck_creatives_policy_verdict_valid')),
    sa.CheckConstraint("status IN ('draft', 'active', 'paused', 'disapproved', 'removed')", name=op.f('ck_creatives_status_valid')),
    sa.CheckConstraint('length(headline) > 0', name=op.f('ck_creatives_headline_nonempty')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_creatives_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_creatives')),
    sa.UniqueConstraint('campaign_id', 'external_id', name=op.f('uq_creatives_campaign_id_external_id'))
    )
    op.create_index(op.f('ix_creatives_campaign_id'), 'creatives', ['campaign_id'], unique=False)
    op.create_table('change_sets',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('campaign_id', sa.BigInteger(), nullable=True),
    sa.Column('agent_run_id', sa.BigInteger(), nullable=True),
    sa.Column('origin', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('summary', sa.Text(), server_default='', nullable=False),
    sa.Column('rationale', sa.Text(), server_default='', nullable=False),
    sa.Column('flags', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('predicted_effect', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('realised_effect', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True),
    sa.Column('policy_sha256', sa.String(length=64), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rolled_back_from_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('proposed', 'blocked', 'pending_approval', 'approved', 'rejected', 'validated', 'applied', 'failed', 'rolled_back', 'expired')", name=op.f('ck_change_sets_status_valid')),
    sa.CheckConstraint('expires_at > created_at', name=op.f('ck_change_sets_expires_after_created')),
    sa.ForeignKeyConstraint(['account_id'], ['ad_accounts.id'], name=op.f('fk_change_sets_account_id_ad_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['agent_run_id'], ['agent_runs.id'], name=op.f('fk_change_sets_agent_run_id_agent_runs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_change_sets_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rolled_back_from_id'], ['change_sets.id'], name=op.f('fk_change_sets_rolled_back_from_id_change_sets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_sets'))
    )
    op.create_index(op.f('ix_change_sets_account_id'), 'change_sets', ['account_id'], unique=False)
    op.create_index(op.f('ix_change_sets_campaign_id'), 'change_sets', ['campaign_id'], unique=False)
    op.create_index('ix_change_sets_status_expires', 'change_sets', ['status', 'expires_at'], unique=False)
    op.create_table('impression_logs',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('campaign_id', sa.BigInteger(), nullable=False),
    sa.Column('segment_id', sa.BigInteger(), nullable=True),
    sa.Column('creative_id', sa.BigInteger(), nullable=True),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('features', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=False),
    sa.Column('clicked', sa.Boolean(), nullable=False),
    sa.Column('converted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cost_micros', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('converted_at IS NULL OR converted_at >= occurred_at', name=op.f('ck_impression_logs_conversion_after_impression')),
    sa.CheckConstraint('cost_micros >= 0', name=op.f('ck_impression_logs_cost_nonneg')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_impression_logs_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['creative_id'], ['creatives.id'], name=op.f('fk_impression_logs_creative_id_creatives'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['segment_id'], ['audience_segments.id'], name=op.f('fk_impression_logs_segment_id_audience_segments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_impression_logs')),
    sa.UniqueConstraint('campaign_id', 'external_id', name=op.f('uq_impression_logs_campaign_id_external_id'))
    )
    op.create_index('ix_impression_logs_campaign_time', 'impression_logs', ['campaign_id', 'occurred_at'], unique=False)
    op.create_table('performance_hours',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('campaign_id', sa.BigInteger(), nullable=False),
    sa.Column('segment_id', sa.BigInteger(), nullable=False),
    sa.Column('creative_id', sa.BigInteger(), nullable=False),
    sa.Column('hour_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('impressions', sa.BigInteger(), nullable=False),
    sa.Column('clicks', sa.BigInteger(), nullable=False),
    sa.Column('conversions', sa.BigInteger(), nullable=False),
    sa.Column('spend_micros', sa.BigInteger(), nullable=False),
    sa.Column('revenue_micros', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('clicks <= impressions', name=op.f('ck_performance_hours_clicks_le_impressions')),
    sa.CheckConstraint('impressions >= 0 AND clicks >= 0 AND conversions >= 0 AND spend_micros >= 0 AND revenue_micros >= 0', name=op.f('ck_performance_hours_nonneg')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_performance_hours_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['creative_id'], ['creatives.id'], name=op.f('fk_performance_hours_creative_id_creatives'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['segment_id'], ['audience_segments.id'], name=op.f('fk_performance_hours_segment_id_audience_segments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_hours')),
    sa.UniqueConstraint('campaign_id', 'segment_id', 'creative_id', 'hour_start', name=op.f('uq_performance_hours_campaign_id_segment_id_creative_id_hour_start'))
    )
    op.create_index('ix_performance_hours_campaign_hour', 'performance_hours', ['campaign_id', 'hour_start'], unique=False)
    op.create_table('approvals',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('change_set_id', sa.BigInteger(), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IN ('approved', 'rejected')", name=op.f('ck_approvals_decision_valid')),
    sa.CheckConstraint('length(actor) > 0', name=op.f('ck_approvals_actor_nonempty')),
    sa.ForeignKeyConstraint(['change_set_id'], ['change_sets.id'], name=op.f('fk_approvals_change_set_id_change_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approvals'))
    )
    op.create_index(op.f('ix_approvals_change_set_id'), 'approvals', ['change_set_id'], unique=False)
    op.create_table('change_items',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('change_set_id', sa.BigInteger(), nullable=False),
    sa.Column('campaign_id', sa.BigInteger(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.String(length=128), nullable=False),
    sa.Column('before', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('after', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('inverse', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True),
    sa.Column('rationale', sa.Text(), server_default='', nullable=False),
    sa.Column('predicted_effect', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('guardrail_verdict', postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("action IN ('set_budget', 'set_target_cpa', 'set_bid_multiplier', 'set_segment_modifier', 'set_segment_exclusion', 'set_daypart_modifier', 'set_placement_modifier', 'set_frequency_cap', 'create_creative', 'pause_creative', 'resume_creative', 'pause_campaign', 'resume_campaign')", name=op.f('ck_change_items_action_valid')),
    sa.CheckConstraint("status IN ('proposed', 'blocked', 'validated', 'pending', 'applied', 'failed', 'rolled_back', 'skipped')", name=op.f('ck_change_items_status_valid')),
    sa.CheckConstraint('seq >= 0', name=op.f('ck_change_items_seq_nonneg')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_change_items_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['change_set_id'], ['change_sets.id'], name=op.f('fk_change_items_change_set_id_change_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_items')),
    sa.UniqueConstraint('change_set_id', 'seq', name=op.f('uq_change_items_change_set_id_seq')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_change_items_idempotency_key'))
    )
    op.create_index(op.f('ix_change_items_campaign_id'), 'change_items', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_change_items_change_set_id'), 'change_items', ['change_set_id'], unique=False)

    # audit_log is append-only: refuse UPDATE and DELETE in the database itself, not only by convention.
    op.execute(
        """
        CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'check_violation',
                CONSTRAINT = 'audit_log_append_only';
        END;
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )
    op.execute("INSERT INTO kill_switch (id, engaged, changed_at) VALUES (1, false, now())")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")

    op.drop_index(op.f('ix_change_items_change_set_id'), table_name='change_items')
    op.drop_index(op.f('ix_change_items_campaign_id'), table_name='change_items')
    op.drop_table('change_items')
    op.drop_index(op.f('ix_approvals_change_set_id'), table_name='approvals')
    op.drop_table('approvals')
    op.drop_index('ix_performance_hours_campaign_hour', table_name='performance_hours')
    op.drop_table('performance_hours')
    op.drop_index('ix_impression_logs_campaign_time', table_name='impression_logs')
    op.drop_table('impression_logs')
    op.drop_index('ix_change_sets_status_expires', table_name='change_sets')
    op.drop_index(op.f('ix_change_sets_campaign_id'), table_name='change_sets')
    op.drop_index(op.f('ix_change_sets_account_id'), table_name='change_sets')
    op.drop_table('change_sets')
    op.drop_index(op.f('ix_creatives_campaign_id'), table_name='creatives')
    op.drop_table('creatives')
    op.drop_index(op.f('ix_audience_segments_campaign_id'), table_name='audience_segments')
    op.drop_table('audience_segments')
    op.drop_index(op.f('ix_alerts_campaign_id'), table_name='alerts')
    op.drop_table('alerts')
    op.drop_index('uq_agent_runs_one_running_per_campaign', table_name='agent_runs', postgresql_where=sa.text("status = 'running' AND campaign_id IS NOT NULL"))
    op.drop_index('ix_agent_runs_claimable', table_name='agent_runs')
    op.drop_table('agent_runs')
    op.drop_index(op.f('ix_campaigns_account_id'), table_name='campaigns')
    op.drop_table('campaigns')
    op.drop_index('ix_webhook_inbox_unprocessed', table_name='webhook_inbox')
    op.drop_table('webhook_inbox')
    op.drop_table('replicas')
    op.drop_table('period_claims')
    op.drop_index('uq_model_versions_one_champion', table_name='model_versions', postgresql_where=sa.text("status = 'champion'"))
    op.drop_table('model_versions')
    op.drop_table('leases')
    op.drop_table('kill_switch')
    op.drop_table('guardrail_policy_snapshots')
    op.drop_index('ix_audit_log_occurred', table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_change_set_id'), table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_table('ad_accounts')

