"""``adpilot bench models``: adpilot's CTR/CVR models against peers on identical splits (EVALUATION.md §2)."""

from bench.models.runner import run

__all__ = ["run"]
