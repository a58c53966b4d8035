"""Write a replay's report: ``summary.json``, ``calls.csv``, PNG plots, ``report.html``.

The numbers come from the journal the replay wrote (read back after the run) and the
CSV; ``analysis`` defines them. The HTML page is self-contained (plots embedded) so
it can be mailed or attached as it is; the PNG files sit beside it too.
"""

from __future__ import annotations

import base64
import csv
import html
import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from tenfour.journal import SqliteEventStore
from tenfour.reports.intervals import summarise as interval_summary
from tenfour.reports.output import interval_section
from tenfour.sim.replay import plots
from tenfour.sim.replay.analysis import CallRow, call_rows, summarise
from tenfour.sim.replay.engine import ReplayRun
from tenfour.sim.replay.heldout import evaluate_held_out
from tenfour.sim.replay.journal_facts import read_facts

PLOTS = (
    ("summary.png", "Predicted against real travel, and first-unit times (the README's figure)"),
    ("eta_vs_real.png", "Predicted drive time against real travel, first unit of each call"),
    ("eta_error.png", "Prediction error for the unit really sent first"),
    ("response_times.png", "Recommended ETA, replayed and real times"),
    ("travel_p90.png", "90th-percentile travel time by unit kind"),
    ("utilisation.png", "Unit utilisation, real against replayed"),
    ("error_map.png", "Where the predictions miss"),
)
#: With ``--held-out-days`` (heldout.py).
CALIBRATION = (
    "calibration.png",
    "Held-out days: predicted against real travel, map speeds and the calibrated model",
)


def write_report(run: ReplayRun, out_dir: Path) -> dict[str, Any]:
    """Analyse ``run``'s journal and write every report file; returns the summary."""
    with SqliteEventStore(run.journal) as store:
        facts = read_facts(store.read())
        verified = store.verify().ok
    rows = call_rows(run.plan.kept, facts)
    summary = summarise(run, rows, facts)
    summary["journal"]["verified"] = verified
    summary["intervals"] = interval_summary(facts.times)  # tenfour report's own figures
    out_dir.mkdir(parents=True, exist_ok=True)
    pairs: list[dict[str, Any]] = []
    if run.options.held_out_days:
        held = evaluate_held_out(run.plan, run.options.held_out_days)
        pairs = held.pop("pairs")
        summary["held_out_eta"] = held
        _write_dicts(pairs, out_dir / "held_out_eta.csv")
        plots.calibration(pairs, out_dir / CALIBRATION[0])
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    _write_rows(rows, out_dir / "calls.csv")
    hospitals = [(h.lat, h.lon) for h in run.plan.hospitals]
    names = [name for name, _ in PLOTS]
    plots.summary_figure(rows, out_dir / names[0])
    plots.eta_vs_real(rows, out_dir / names[1])
    plots.error_histogram(rows, out_dir / names[2])
    plots.response_times(rows, out_dir / names[3])
    plots.travel_p90(summary, out_dir / names[4])
    plots.utilisation(summary, out_dir / names[5])
    plots.error_map(rows, run.plan.roads, hospitals, out_dir / names[6])
    (out_dir / "report.html").write_text(_html(summary, rows, out_dir), encoding="utf-8")
    return summary


def _write_dicts(rows: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=list(rows[0]) if rows else ["call", "unit", "real_s"]
        )
        writer.writeheader()
        writer.writerows(rows)


def _write_rows(rows: list[CallRow], path: Path) -> None:
    names = [f.name for f in fields(CallRow)]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=names)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in asdict(row).items()})


# --- HTML ---------------------------------------------------------------------------
def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if unit == "%":
            return f"{100 * value:.1f} %"
        return f"{value:,.0f}{unit}" if abs(value) >= 10 else f"{value:.1f}{unit}"
    return html.escape(f"{value}{unit}")


def _table(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='kv'>{body}</table>"


def _headline(s: dict[str, Any]) -> str:
    first, err, travel, use = (
        s["first_unit"],
        s["eta_error_real_first_unit"],
        s["travel_p90_s"],
        s["utilisation"],
    )
    rows = [
        ("calls in the file / on the map / replayed",
         f"{s['input']['calls']:,} / {s['input']['calls_on_map']:,} / {s['calls_replayed']:,}"),
        ("calls dropped", html.escape(", ".join(f"{n:,} {why}" for why, n in s["input"]["calls_dropped"].items()) or "none")),
        ("units on the roster / left out (home off the map)",
         f"{s['input']['units_on_roster']} / {s['input']['units_left_out']}"),
        ("first unit: recommended = real", f"{first['agree']:,} of {first['calls_compared']:,} ({_fmt(first['agreement_share'], '%')})"),
        ("median ETA of the recommended first unit", _fmt(s["recommended_vs_real"]["median_recommended_eta_s"], " s")),
        ("median real dispatch to on scene, real first unit", _fmt(s["recommended_vs_real"]["median_real_dispatch_to_scene_s"], " s")),
        ("ETA error for the real first unit: median |error|", _fmt(err["median_abs_error_s"], " s") + f" over {err['n']:,} calls"),
        ("… share within 60 s", _fmt(err["share_within_60s"], "%")),
        ("… median signed error (negative: too optimistic)", _fmt(err["median_error_s"], " s")),
        ("travel 90th percentile, real first unit", _fmt(travel["real_first_unit_travel"], " s")),
        ("travel 90th percentile, replayed first unit", _fmt(travel["replayed_first_unit_travel"], " s")),
        ("emergency calls: real / replayed p90", f"{_fmt(travel['emergency']['real_first_unit_travel'], ' s')} / {_fmt(travel['emergency']['replayed_first_unit_travel'], ' s')}"),
        ("utilisation, mean per unit: real / replayed", f"{_fmt(use.get('real_mean'), '%')} / {_fmt(use.get('replayed_mean'), '%')}"),
        ("journal events / verified", f"{s['journal']['events']:,} / {_fmt(s['journal'].get('verified'))}"),
        ("replay wall time", _fmt(s["journal"]["replay_wall_s"], " s")),
    ]  # fmt: skip
    return _table(rows)


def _by_kind(s: dict[str, Any]) -> str:
    head = (
        "<tr><th>kind of the real first unit</th><th>calls</th><th>agree</th>"
        "<th>calls with an ETA</th><th>median |error|</th><th>within 60 s</th><th>median error</th>"
        "<th>p90 travel real</th><th>p90 travel replay</th></tr>"
    )
    body = []
    errors = s["eta_error_real_first_unit"]["by_kind"]
    travel = s["travel_p90_s"]["by_kind"]
    for kind, agree in s["first_unit"]["by_kind"].items():
        e = errors.get(kind, {})
        t = travel.get(kind, {})
        body.append(
            f"<tr><td>{html.escape(kind)}</td><td>{agree['calls']}</td>"
            f"<td>{_fmt(agree['share'], '%')}</td><td>{e.get('n', 0)}</td>"
            f"<td>{_fmt(e.get('median_abs_error_s'), ' s')}</td><td>{_fmt(e.get('share_within_60s'), '%')}</td>"
            f"<td>{_fmt(e.get('median_error_s'), ' s')}</td><td>{_fmt(t.get('real_p90_s'), ' s')}</td>"
            f"<td>{_fmt(t.get('replayed_p90_s'), ' s')}</td></tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def _plans(s: dict[str, Any]) -> str:
    """With ``--plans``: Ten-Four's kinds and counts against the real assignments."""
    p = s.get("plans")
    if not p:
        return ""
    intro = (
        f"<p>{p['calls']:,} calls; {p['covered']:,} of a type with one of the "
        f"{p['plans']} plans (the others got the nearest unit of any kind). Units sent = "
        f"real assignment on <b>{_fmt(p['share_equal'], '%')}</b> of calls; every kind "
        f"within one unit on {_fmt(p['share_all_kinds_within_1'], '%')}.</p>"
    )
    head = "<tr><th>unit kind</th><th>calls with it</th><th>count equal</th><th>within ±1</th></tr>"
    body = "".join(
        f"<tr><td>{html.escape(kind)}</td><td>{k['calls']:,}</td>"
        f"<td>{_fmt(k['share_equal'], '%')}</td><td>{_fmt(k['share_within_1'], '%')}</td></tr>"
        for kind, k in p["by_kind"].items()
    )
    return f"<h2>Response plans against the real assignments</h2>{intro}<table>{head}{body}</table>"


def _held_out(s: dict[str, Any]) -> str:
    """With ``--held-out-days``: map speeds against a model fitted on the other days."""
    h = s.get("held_out_eta")
    if not h:
        return ""
    intro = (
        f"<p>Real first units driving from quarters on the held-out days "
        f"{html.escape(', '.join(h['held_out_days']))} ({h['held_out_first_units']:,} calls), "
        f"predicted by the map's own speeds and by a travel model fitted on the "
        f"{h['fit_trips']:,} trips of the other days ({html.escape(', '.join(h['fitted_days']))}). "
        "Error = predicted - real: negative is optimistic.</p>"
    )
    head = (
        "<tr><th>calls</th><th>n</th><th>map: within 60 s</th><th>map: median |error|</th>"
        "<th>map: median error</th><th>model: within 60 s</th><th>model: median |error|</th>"
        "<th>model: median error</th></tr>"
    )

    def row(name: str, c: dict[str, Any]) -> str:
        m, k = c["map_speeds"], c["calibrated"]
        return (
            f"<tr><td>{html.escape(name)}</td><td>{m.get('n', 0)}</td>"
            f"<td>{_fmt(m.get('share_within_60s'), '%')}</td><td>{_fmt(m.get('median_abs_error_s'), ' s')}</td>"
            f"<td>{_fmt(m.get('median_error_s'), ' s')}</td><td>{_fmt(k.get('share_within_60s'), '%')}</td>"
            f"<td>{_fmt(k.get('median_abs_error_s'), ' s')}</td><td>{_fmt(k.get('median_error_s'), ' s')}</td></tr>"
        )  # fmt: skip

    body = [row("all", h)]
    body += [row(kind, c) for kind, c in h["by_kind"].items()]
    body += [row(band, c) for band, c in h["by_band"].items()]
    return (
        f"<h2>ETA error on held-out days: map speeds and the calibrated model</h2>{intro}"
        f"<table>{head}{''.join(body)}</table>"
    )


def _calls(rows: list[CallRow]) -> str:
    head = (
        "<tr><th>call</th><th>incident</th><th>type</th><th>prio</th><th>real first</th>"
        "<th>recommended</th><th>agree</th><th>ETA rec. (s)</th><th>real dispatch→scene (s)</th>"
        "<th>ETA real unit (s)</th><th>real travel (s)</th><th>error (s)</th>"
        "<th>replay first</th><th>replay travel (s)</th></tr>"
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{_fmt(v)}</td>"
            for v in (
                r.call,
                r.incident,
                r.call_type,
                r.priority,
                r.real_first,
                r.recommended,
                r.agree,
                r.recommended_eta_s,
                r.real_dispatch_to_scene_s,
                r.eta_real_unit_s,
                r.real_travel_s,
                r.eta_error_s,
                r.replay_first,
                r.replay_travel_s,
            )
        )
        + "</tr>"
        for r in rows
    )
    return f"<table class='calls'>{head}{body}</table>"


def _img(out_dir: Path, name: str, caption: str) -> str:
    data = base64.b64encode((out_dir / name).read_bytes()).decode("ascii")
    return (
        f"<figure><img src='data:image/png;base64,{data}' alt='{html.escape(caption)}'>"
        f"<figcaption>{html.escape(caption)} ({name})</figcaption></figure>"
    )


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left}
table.kv th{background:#f4f4f4;font-weight:normal}
table.calls{font-size:11px}
figure{display:inline-block;margin:.5em}figcaption{font-size:12px;color:#555}
img{max-width:100%}
"""


def _html(s: dict[str, Any], rows: list[CallRow], out_dir: Path) -> str:
    shown = PLOTS + ((CALIBRATION,) if "held_out_eta" in s else ())
    figures = "".join(_img(out_dir, name, caption) for name, caption in shown)
    source = html.escape(Path(s["source"]).name)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Ten-Four replay: {source}</title><style>{_STYLE}</style></head><body>"
        f"<h1>Ten-Four replay of {source}</h1>"
        f"<p>Map <code>{html.escape(s['map'])}</code>; units dispatched: <b>{html.escape(s['mode'])}</b>. "
        "Definitions are in <code>tenfour.sim.replay.analysis</code>; every number is also in "
        "<code>summary.json</code>, every call in <code>calls.csv</code>.</p>"
        f"<h2>Headline</h2>{_headline(s)}"
        f"<h2>By kind of the real first unit</h2>{_by_kind(s)}"
        f"{interval_section(s['intervals']) if 'intervals' in s else ''}"
        f"{_plans(s)}"
        f"{_held_out(s)}"
        f"<h2>Plots</h2>{figures}"
        f"<h2>Every replayed call</h2>{_calls(rows)}"
        "<p>Map data © OpenStreetMap contributors (ODbL). Calls: DataSF Fire Department "
        "Calls for Service (PDDL).</p></body></html>\n"
    )
