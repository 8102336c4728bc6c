"""The ``rules`` baseline policy of ``adpilot bench system``: a documented rule set of the kind Bïrch / Revealbot
users write (``rules.ruleset``), evaluated hourly on what the store shows (``rules.facts``) and acted on through the
same change-set path as everything else (``rules.job``, a daemon plugin: ``--plugin rules.job:register``)."""

from rules.ruleset import RULE_NAMES, CampaignFacts, CreativeFacts, RuleAction, Thresholds, evaluate

__all__ = ["RULE_NAMES", "CampaignFacts", "CreativeFacts", "RuleAction", "Thresholds", "evaluate"]
