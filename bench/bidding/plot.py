"""A PNG of % of LP* per policy and budget level (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_results"]


def plot_results(policies: Mapping[str, Mapping[str, Mapping[str, float]]], path: str) -> None:
    names = list(policies)
    levels = list(next(iter(policies.values())))
    width = 0.8 / max(len(names), 1)
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for i, name in enumerate(names):
        values = [100 * policies[name][level]["pct_of_lp"] for level in levels]
        ax.bar(np.arange(len(levels)) + i * width, values, width, label=name)
    ax.set_xticks(np.arange(len(levels)) + width * (len(names) - 1) / 2, [f"{lv}×" for lv in levels])
    ax.set_xlabel("daily budget (× FixedCPA spend)")
    ax.set_ylabel("% of LP*")
    ax.axhline(95, color="grey", linestyle="--", linewidth=0.8)
    ax.set_ylim(0, 105)
    ax.legend(ncol=3, fontsize=8, loc="lower right")
    ax.set_title("Bidding benchmark: score as % of the hindsight optimum LP*")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
