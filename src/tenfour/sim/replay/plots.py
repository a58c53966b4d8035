"""The report's pictures (matplotlib, Agg backend: no display needed).

Each function takes the per-call rows (and what else it needs) and writes one PNG.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from tenfour.geo import RoadMap
from tenfour.sim.replay.analysis import NFPA_TRAVEL_S, WITHIN_S, CallRow

KIND_COLOURS = {
    "engine": "#d62728",
    "truck": "#ff7f0e",
    "ambulance-als": "#1f77b4",
    "ambulance-bls": "#17becf",
    "chief": "#2ca02c",
}
OTHER_COLOUR = "#7f7f7f"
LIMIT_S = 1200.0


def _legend(ax: Any, **options: Any) -> None:
    """A legend, when anything was drawn with a label (none on an empty replay)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**options)


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def eta_vs_real(rows: Sequence[CallRow], path: Path) -> Path:
    """Ten-Four's ETA for the real first unit against that unit's real travel time."""
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    _eta_scatter(ax, rows)
    return _save(fig, path)


def summary_figure(rows: Sequence[CallRow], path: Path) -> Path:
    """Two panels for a README: the ETA scatter and the first-unit time distributions."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 4.2))
    _eta_scatter(left, rows, limit_s=900.0, size=5)
    _cdf(right, rows, limit_s=900.0)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def _eta_scatter(ax: Any, rows: Sequence[CallRow], limit_s: float = LIMIT_S, size: int = 9) -> None:
    pairs = [
        (r.eta_real_unit_s, r.real_travel_s, str(r.real_first_kind))
        for r in rows
        if r.eta_real_unit_s is not None and r.real_travel_s is not None
    ]
    for kind in [*KIND_COLOURS, "other"]:
        group = [p for p in pairs if (p[2] if p[2] in KIND_COLOURS else "other") == kind]
        if group:
            ax.scatter(
                [p[0] for p in group],
                [p[1] for p in group],
                s=size,
                alpha=0.55,
                color=KIND_COLOURS.get(kind, OTHER_COLOUR),
                label=f"{kind} ({len(group)})",
            )
    line = np.array([0, limit_s])
    ax.plot(line, line, color="black", linewidth=1, label="prediction = reality")
    ax.fill_between(
        line, line - WITHIN_S, line + WITHIN_S, color="grey", alpha=0.15, label="± 60 s"
    )
    ax.set(
        xlim=(0, limit_s),
        ylim=(0, limit_s),
        xlabel="Ten-Four drive time for the real first unit (s)",
        ylabel="real travel time, en route to on scene (s)",
        title="Predicted against real travel, first unit of each call",
    )
    _legend(ax, fontsize=7, loc="upper left")


def error_histogram(rows: Sequence[CallRow], path: Path) -> Path:
    """Distribution of (predicted - real) travel, fire units and ambulances apart."""
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    bins = [float(b) for b in range(-900, 901, 30)]
    groups = {
        "engines, trucks, chiefs, rescue": [
            r.eta_error_s
            for r in rows
            if r.eta_error_s is not None and not str(r.real_first_kind).startswith("ambulance")
        ],
        "ambulances": [
            r.eta_error_s
            for r in rows
            if r.eta_error_s is not None and str(r.real_first_kind).startswith("ambulance")
        ],
    }
    for (label, values), colour in zip(groups.items(), ("#d62728", "#1f77b4"), strict=True):
        if values:
            ax.hist(np.clip(values, -900, 900), bins=bins, alpha=0.6, color=colour, label=label)
    for x in (-WITHIN_S, WITHIN_S):
        ax.axvline(x, color="black", linestyle=":", linewidth=1)
    ax.set(
        xlabel="predicted - real travel time (s); < 0: Ten-Four too optimistic (clipped at ±900)",
        ylabel="calls",
        title="Drive-time prediction error for the unit really sent first",
    )
    _legend(ax, fontsize=8)
    return _save(fig, path)


def response_times(rows: Sequence[CallRow], path: Path) -> Path:
    """Cumulative distributions: recommended ETA, replayed travel, real times."""
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    _cdf(ax, rows)
    return _save(fig, path)


def _cdf(ax: Any, rows: Sequence[CallRow], limit_s: float = LIMIT_S) -> None:
    series = {
        "Ten-Four: ETA of the recommended first unit": [r.recommended_eta_s for r in rows],
        "replay: travel of the first unit on scene": [r.replay_travel_s for r in rows],
        "real: first unit, en route to on scene": [r.real_travel_s for r in rows],
        "real: first unit, dispatch to on scene": [r.real_dispatch_to_scene_s for r in rows],
    }
    styles = ("-", "--", "-", ":")
    colours = ("#2ca02c", "#9467bd", "#d62728", "#8c564b")
    for (label, raw), style, colour in zip(series.items(), styles, colours, strict=True):
        values = np.sort([v for v in raw if v is not None])
        if values.size:
            ax.step(
                values,
                np.arange(1, values.size + 1) / values.size,
                style,
                color=colour,
                label=label,
            )
    ax.axvline(NFPA_TRAVEL_S, color="black", linewidth=1, alpha=0.5)
    ax.text(NFPA_TRAVEL_S + 10, 0.03, "240 s (NFPA 1710 travel)", fontsize=7)
    ax.set(xlim=(0, limit_s), ylim=(0, 1), xlabel="seconds", ylabel="share of calls")
    ax.set_title("First unit: predicted and real times")
    _legend(ax, fontsize=7, loc="center right")


def _grouped_bars(
    ax: Any, labels: list[str], real: list[float], replayed: list[float], scale: float
) -> None:
    x = np.arange(len(labels))
    ax.bar(x - 0.2, np.array(real) * scale, 0.4, label="real", color="#d62728")
    ax.bar(x + 0.2, np.array(replayed) * scale, 0.4, label="replay", color="#1f77b4")
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
    _legend(ax, fontsize=8)


def travel_p90(summary: dict[str, Any], path: Path) -> Path:
    """90th-percentile travel per unit kind (and first unit), real against replayed."""
    travel = summary["travel_p90_s"]
    kinds = {k: v for k, v in travel["by_kind"].items() if v["real_n"] >= 10}
    labels = ["first unit", *kinds]
    real = [travel["real_first_unit_travel"] or 0.0] + [
        v["real_p90_s"] or 0.0 for v in kinds.values()
    ]
    replayed = [travel["replayed_first_unit_travel"] or 0.0] + [
        v["replayed_p90_s"] or 0.0 for v in kinds.values()
    ]
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    _grouped_bars(ax, labels, real, replayed, 1.0)
    ax.axhline(NFPA_TRAVEL_S, color="black", linestyle=":", linewidth=1)
    ax.set(
        ylabel="90th percentile travel (s)", title="Travel time, 90th percentile (NFPA 1710 style)"
    )
    return _save(fig, path)


def utilisation(summary: dict[str, Any], path: Path) -> Path:
    """Mean share of the week units of each kind were committed, real against replayed."""
    kinds = summary["utilisation"].get("by_kind", {})
    labels = [f"{k} ({v['units']})" for k, v in kinds.items()]
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    _grouped_bars(
        ax,
        labels,
        [v["real"] for v in kinds.values()],
        [v["replayed"] for v in kinds.values()],
        100.0,
    )
    ax.set(
        ylabel="% of the week dispatch to available", title="Unit utilisation on the replayed calls"
    )
    return _save(fig, path)


def error_map(
    rows: Sequence[CallRow], roads: RoadMap, hospitals: Sequence[tuple[float, float]], path: Path
) -> Path:
    """The road network with each call coloured by the prediction error there."""
    net = roads.network
    segments = np.stack(
        [
            np.column_stack([net.lon[net.arc_from], net.lat[net.arc_from]]),
            np.column_stack([net.lon[net.arc_to], net.lat[net.arc_to]]),
        ],
        axis=1,
    )
    fig, ax = plt.subplots(figsize=(9.0, 4.6))
    ax.add_collection(LineCollection(list(segments), colors="#bbbbbb", linewidths=0.4))
    pairs = [r for r in rows if r.eta_error_s is not None]
    errors = np.array([r.eta_error_s for r in pairs], dtype=float)
    order = np.argsort(np.abs(errors))  # the largest misses drawn last, on top
    dots = ax.scatter(
        np.array([r.lon for r in pairs])[order],
        np.array([r.lat for r in pairs])[order],
        c=np.clip(errors[order], -300, 300),
        s=6 + np.clip(np.abs(errors[order]), 0, 600) / 15,
        cmap="RdBu",
        vmin=-300,
        vmax=300,
        alpha=0.8,
        edgecolors="none",
    )
    if hospitals:
        ax.scatter(
            [h[1] for h in hospitals],
            [h[0] for h in hospitals],
            marker="P",
            s=60,
            color="black",
            label="hospital",
        )
        _legend(ax, fontsize=7, loc="lower left")
    fig.colorbar(dots, ax=ax, label="predicted - real travel (s); red: too optimistic", shrink=0.85)
    mid = float(np.mean(net.lat))
    ax.set_aspect(1 / np.cos(np.radians(mid)))
    ax.autoscale_view()
    ax.set(
        xlabel="longitude",
        ylabel="latitude",
        title="Where drive-time predictions miss (first unit of each call)",
    )
    return _save(fig, path)


def calibration(pairs: Sequence[dict[str, Any]], path: Path) -> Path:
    """Held-out first units: predicted against real travel, map speeds and the model
    fitted without their days; the lines are medians of the predictions per bin of
    real travel (on the diagonal: calibrated)."""
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    limit = LIMIT_S
    if pairs:
        real = np.array([p["real_s"] for p in pairs], dtype=np.float64)
        limit = float(min(LIMIT_S, max(300.0, np.percentile(real, 98) * 1.1)))
        edges = np.linspace(0.0, limit, 9)
        for key, label, colour in (
            ("map_speeds_s", "map speeds", "#7f7f7f"),
            ("calibrated_s", "calibrated (fitted on other days)", "#d62728"),
        ):
            predicted = np.array([p[key] for p in pairs], dtype=np.float64)
            ax.scatter(real, predicted, s=9, alpha=0.45, color=colour, label=label)
            centres, medians = [], []
            for lo, hi in itertools.pairwise(edges.tolist()):
                pick = (real >= lo) & (real < hi)
                if pick.sum() >= 5:
                    centres.append(float(np.median(real[pick])))
                    medians.append(float(np.median(predicted[pick])))
            if centres:
                ax.plot(centres, medians, color=colour, linewidth=2)
    ax.plot([0, limit], [0, limit], color="black", linewidth=1, label="predicted = real")
    ax.fill_between(
        [0, limit], [-WITHIN_S, limit - WITHIN_S], [WITHIN_S, limit + WITHIN_S],
        color="#2ca02c", alpha=0.08, label=f"within {WITHIN_S:.0f} s",
    )  # fmt: skip
    ax.set_xlim(0, limit)
    ax.set_ylim(0, limit)
    ax.set_xlabel("real travel, en route to on scene (s)")
    ax.set_ylabel("predicted travel (s)")
    ax.set_title(f"Held-out calls: {len(pairs)} real first units from quarters")
    _legend(ax, loc="upper left", fontsize=8)
    return _save(fig, path)
