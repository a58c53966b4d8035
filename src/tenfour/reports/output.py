"""Write an interval report: ``report.json``, CSV tables, PNG plots and ``report.html``.

The figures come from ``intervals.summarise``; the HTML page is self-contained (plots
embedded, as the replay's report) so it can be mailed or attached as it is.
"""

from __future__ import annotations

import base64
import csv
import html
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from tenfour.reports.intervals import METRICS, IncidentRow, IntervalFold, percentile

LABELS = {
    "call_processing_s": "call processing",
    "turnout_s": "turnout (first unit)",
    "travel_s": "travel (first unit)",
    "response_s": "total response",
}
INCIDENT_FIELDS = (
    "incident",
    "incident_type",
    "priority",
    "agency",
    "unit",
    "kind",
    "district",
    "received",
    "created",
    "first_dispatch",
    "first_enroute",
    "first_onscene",
    "closed",
    *METRICS,
    "problems",
)
RESPONSE_FIELDS = (
    "incident",
    "unit",
    "kind",
    "agency",
    "dispatched",
    "enroute",
    "onscene",
    "transport_start",
    "at_hospital",
    "available",
    "ended",
    "turnout_s",
    "travel_s",
)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def write_report(
    summary: dict[str, Any], rows: Sequence[IncidentRow], fold: IntervalFold, out_dir: Path
) -> list[Path]:
    """Every report file into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "report.json", out_dir / "incidents.csv", out_dir / "responses.csv"]
    written[0].write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    with written[1].open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(INCIDENT_FIELDS)
        for row in rows:
            values = {**row.__dict__, **row.intervals, "problems": "; ".join(row.problems)}
            writer.writerow([_cell(values.get(name)) for name in INCIDENT_FIELDS])
    chosen = {row.incident for row in rows}
    with written[2].open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(RESPONSE_FIELDS)
        for response in fold.responses():
            if response.incident in chosen:
                writer.writerow([_cell(getattr(response, name)) for name in RESPONSE_FIELDS])
    if summary["by"]:
        groups = out_dir / "groups.csv"
        with groups.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            stats = ("n", "median_s", "p90_s", "target_s", "share_within_target", "meets_target")
            writer.writerow(
                [*summary["by"], "incidents", *(f"{m}.{s}" for m in METRICS for s in stats)]
            )
            for group in summary["groups"]:
                writer.writerow(
                    [*group["key"].values(), group["incidents"]]
                    + [_cell(group[m][s]) for m in METRICS for s in stats]
                )
        written.append(groups)
    distributions = _distributions(rows, out_dir / "intervals.png")
    written.append(distributions)
    page = out_dir / "report.html"
    page.write_text(_html(summary, distributions), encoding="utf-8")
    written.append(page)
    return written


def _distributions(rows: Sequence[IncidentRow], path: Path) -> Path:
    """One histogram per interval, its 90th percentile and target drawn on it."""
    fig, axes = plt.subplots(1, len(METRICS), figsize=(14.0, 3.4))
    for ax, metric in zip(axes, METRICS, strict=True):
        values = [v for row in rows if (v := row.intervals.get(metric)) is not None]
        ax.set_title(LABELS[metric])
        ax.set_xlabel("seconds")
        if values:
            ax.hist(values, bins=30, color="#1f77b4", alpha=0.8)
            ax.axvline(
                percentile(values, 90) or 0.0,
                color="#d62728",
                linestyle="--",
                label="90th percentile",
            )
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " / ".join(_fmt(v, unit) for v in value)
    if isinstance(value, float) and unit == "%":
        return f"{100 * value:.1f} %"
    if isinstance(value, float):
        return f"{value:,.0f}{unit}" if abs(value) >= 10 else f"{value:.1f}{unit}"
    return html.escape(f"{value}{unit}")


def _stats_cells(stats: dict[str, Any]) -> str:
    return "".join(
        f"<td>{_fmt(stats[m]['p90_s'], ' s')}</td><td>{_fmt(stats[m]['target_s'], ' s')}</td>"
        f"<td>{_fmt(stats[m]['share_within_target'], '%')}</td>"
        for m in METRICS
    )


def _head(first: Sequence[str]) -> str:
    top = "".join(f"<th rowspan='2'>{html.escape(name)}</th>" for name in first)
    metrics = "".join(f"<th colspan='3'>{LABELS[m]}</th>" for m in METRICS)
    sub = "<th>p90</th><th>target</th><th>within</th>" * len(METRICS)
    return f"<thead><tr>{top}{metrics}</tr><tr>{sub}</tr></thead>"


def interval_section(s: dict[str, Any]) -> str:
    """A `summarise` summary as an HTML section for another report (the replay's):
    the same figures as ``tenfour report``'s page, from the same fold."""
    counts = s["incidents"]
    kinds = "".join(
        f"<tr><td>{html.escape(kind)}</td><td>{k['responses']:,}</td>"
        f"<td>{_fmt(k['turnout_p90_s'], ' s')}</td><td>{_fmt(k['travel_p90_s'], ' s')}</td></tr>"
        for kind, k in s["units"]["by_kind"].items()
    )
    reasons = "".join(
        f"<li>{html.escape(why)}: {n:,}</li>" for why, n in s["problems"]["by_reason"].items()
    )
    return (
        "<h2 id='intervals'>Interval times (<code>tenfour.reports.intervals</code>, as "
        "<code>tenfour report</code>)</h2>"
        f"<p>{counts['count']:,} incidents, {counts['complete']:,} with complete times.</p>"
        f"<table>{_head(['incidents'])}<tbody><tr><td>{counts['count']:,}</td>"
        f"{_stats_cells(s['overall'])}</tr></tbody></table>"
        "<table><thead><tr><th>unit kind</th><th>responses</th><th>turnout p90</th>"
        f"<th>travel p90</th></tr></thead><tbody>{kinds}</tbody></table>"
        f"<p>Incomplete or inconsistent times:</p><ul>{reasons or '<li>none</li>'}</ul>"
    )


def _html(s: dict[str, Any], plot: Path) -> str:
    counts = s["incidents"]
    overall = (
        f"<table>{_head(['incidents'])}<tbody><tr><td>{counts['count']:,}</td>"
        f"{_stats_cells(s['overall'])}</tr></tbody></table>"
    )
    groups = ""
    if s["by"]:
        body = "".join(
            "<tr>"
            + "".join(f"<td>{_fmt(v)}</td>" for v in g["key"].values())
            + f"<td>{g['incidents']:,}</td>{_stats_cells(g)}</tr>"
            for g in s["groups"]
        )
        groups = (
            f"<h2>By {html.escape(', '.join(s['by']))}</h2>"
            f"<table>{_head([*s['by'], 'incidents'])}<tbody>{body}</tbody></table>"
        )
    kinds = "".join(
        f"<tr><td>{html.escape(kind)}</td><td>{k['responses']:,}</td>"
        f"<td>{_fmt(k['turnout_p90_s'], ' s')}</td><td>{_fmt(k['travel_p90_s'], ' s')}</td></tr>"
        for kind, k in s["units"]["by_kind"].items()
    )
    reasons = "".join(
        f"<li>{html.escape(why)}: {n:,}</li>" for why, n in s["problems"]["by_reason"].items()
    )
    listed = "".join(
        f"<tr><td>{html.escape(p['incident'])}</td><td>{html.escape('; '.join(p['reasons']))}</td></tr>"
        for p in s["problems"]["incidents"]
    )
    window = s["window"]
    data = base64.b64encode(plot.read_bytes()).decode("ascii")
    t = s["targets"]
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Ten-Four interval report</title><style>{_STYLE}</style></head><body>"
        "<h1>Ten-Four interval report</h1>"
        f"<p>Incidents received from {_fmt(window['from'] or 'the start')} to "
        f"{_fmt(window['to'] or 'the end')} of the journal ({s['journal']['events']:,} events "
        f"read): <b>{counts['count']:,}</b>, {counts['complete']:,} with complete times, "
        f"{counts['with_problems']:,} listed below with what is wrong. Targets: call processing "
        f"{_fmt(t['call_processing_s'], ' s')}, turnout "
        f"{html.escape(', '.join(f'{k} {v:.0f} s' for k, v in t['turnout_s'].items()))}, travel "
        f"{_fmt(t['travel_s'], ' s')}, each for {_fmt(t['fraction'], '%')} of incidents. "
        "Definitions: <code>tenfour.reports.intervals</code>; hours and days are UTC.</p>"
        f"<h2>All incidents</h2>{overall}{groups}"
        "<h2>Every unit response, by unit kind</h2><table><thead><tr><th>kind</th>"
        f"<th>responses</th><th>turnout p90</th><th>travel p90</th></tr></thead><tbody>{kinds}</tbody></table>"
        f"<h2>Distributions</h2><figure><img src='data:image/png;base64,{data}' "
        "alt='Histograms of call processing, turnout, travel and total response times'>"
        "<figcaption>intervals.png</figcaption></figure>"
        f"<h2>Incidents with incomplete or inconsistent times</h2><ul>{reasons or '<li>none</li>'}</ul>"
        f"<table><thead><tr><th>incident</th><th>reasons</th></tr></thead><tbody>{listed}</tbody></table>"
        "</body></html>\n"
    )


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left}
thead th{background:#f4f4f4}
img{max-width:100%}figcaption{font-size:12px;color:#555}
"""
