#!/usr/bin/python3
"""The summary of a fault campaign: summary.json, summary.md and outcomes.png in its directory.

    report.py DIR     (tools/keel faults report DIR): re-export trials.csv/trials.sqlite from
                      trials.jsonl and render the three summary files

Everything is computed from manifest.json and trials.jsonl alone, so the same rows give the same
summary.json and summary.md, byte for byte. Percentages are of the group's trials; the recovery
rate is recovered / manifested with its Wilson 95% score interval; p99 is the nearest-rank one.
"""
import json
import math
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results  # noqa: E402  (a sibling module: tools/faults has no package)

Z95 = 1.959964
SUMMARY_JSON, SUMMARY_MD, OUTCOMES_PNG = "summary.json", "summary.md", "outcomes.png"
LADDER = ("restart", "reload_cell", "reload_dependents")
# One colour per outcome, benign ones cool, failures warm, the runner's own errors grey.
COLOURS = {"no_effect": "#c7e9c0", "not_activated": "#d9d9d9", "masked": "#9ecae1",
           "recovered": "#31a354", "detected_failed": "#fdae6b", "hang": "#8c6bb1",
           "crash": "#de2d26", "sdc": "#7f0000", "runner_error": "#525252"}


def wilson(k, n, z=Z95):
    """(lo, hi): the Wilson score interval of a proportion k/n, as fractions. For n = 0 nothing
    is known: (0.0, 1.0)."""
    if not 0 <= k <= n:
        raise ValueError(f"wilson: {k} of {n} is not a proportion")
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At k = 0 and k = n the bound is exactly 0 or 1; rounding would leave 1e-17 off it.
    return (0.0 if k == 0 else max(0.0, centre - half), 1.0 if k == n else min(1.0, centre + half))


def _pct(k, n):
    return round(100.0 * k / n, 2) if n else None


def _rate(k, n):
    """A proportion with its interval, in percent (rate null when n = 0)."""
    lo, hi = wilson(k, n)
    return {"k": k, "n": n, "pct": _pct(k, n), "lo": round(100 * lo, 2), "hi": round(100 * hi, 2)}


def _counts(rows):
    counts = {o: 0 for o in results.OUTCOMES}
    for row in rows:
        counts[row["outcome"]] += 1
    return {"trials": len(rows),
            "outcomes": {o: {"count": c, "pct": _pct(c, len(rows))} for o, c in counts.items()}}


def _recovery(rows):
    manifested = [r for r in rows if r["outcome"] in results.MANIFESTED]
    recovered = sum(1 for r in manifested if r["outcome"] == "recovered")
    return _rate(recovered, len(manifested))


def _group(rows, key):
    groups = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return {k: groups[k] for k in sorted(groups)}


def nearest_rank(values, q):
    """The q-quantile (0 < q <= 1) of values by nearest rank: an actual sample, no interpolation."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summarize(manifest, rows):
    """The summary (a JSON-ready dict) of a campaign's manifest and rows; pure."""
    rows = sorted(rows, key=lambda r: r["id"])
    counted = [r for r in rows if r["outcome"] != "runner_error"]
    by_model = _group(rows, lambda r: r["model"])
    by_workload = _group(rows, lambda r: r["workload"])
    recovered = [r for r in rows if r["outcome"] == "recovered"]
    steps = {s: 0 for s in LADDER}
    for r in recovered:
        steps[r["step"] or "unknown"] = steps.get(r["step"] or "unknown", 0) + 1
    latencies = [r["recovery_us"] for r in recovered if r["recovery_us"] is not None]
    faults = [r for r in counted if r["kind"] == "fault"]
    controls = [r for r in rows if r["kind"] == "control"]
    bad_controls = _counts([r for r in controls if r["outcome"] != "no_effect"])["outcomes"]
    runner_errors = sum(1 for r in rows if r["outcome"] == "runner_error")

    reasons = []
    if not controls:
        reasons.append("no control trials: nothing shows a fault-free trial comes out no_effect")
    elif any(v["count"] for v in bad_controls.values()):
        what = ", ".join(f"{v['count']} {o}" for o, v in bad_controls.items() if v["count"])
        reasons.append(f"control trials that were not no_effect: {what}")
    if runner_errors:
        reasons.append(f"{runner_errors} runner error" + ("s" if runner_errors > 1 else ""))

    durations = [r["duration_ms"] for r in rows]
    wall_s = float(manifest.get("wall_s") or 0.0)
    return {
        "campaign": {k: manifest.get(k) for k in results.IDENTITY + results.SHARD_KEYS
                     + ("created", "tool_version", "wall_s")},
        "trials": len(rows),
        "complete": len(rows) == manifest.get("shard_trials"),
        "valid": not reasons,
        "invalid_reasons": reasons,
        "outcomes": _counts(rows)["outcomes"],
        "by_model": {m: _counts(g) for m, g in by_model.items()},
        "by_workload": {w: _counts(g) for w, g in by_workload.items()},
        "by_model_workload": {m: {w: _counts(gw) for w, gw in
                                  _group(g, lambda r: r["workload"]).items()}
                              for m, g in by_model.items()},
        "manifested": sum(1 for r in rows if r["outcome"] in results.MANIFESTED),
        "recovered": len(recovered),
        "recovery": {"overall": _recovery(rows),
                     "by_model": {m: _recovery(g) for m, g in by_model.items()},
                     "by_workload": {w: _recovery(g) for w, g in by_workload.items()}},
        "ladder": {s: {"count": c, "pct": _pct(c, len(recovered))} for s, c in steps.items()},
        "recovery_us": {"n": len(latencies),
                        "median": statistics.median(latencies) if latencies else None,
                        "p99": nearest_rank(latencies, 0.99) if latencies else None},
        "activation": _rate(sum(1 for r in faults if r["activated"]), len(faults)),
        "controls": {"count": len(controls), "all_no_effect":
                     all(r["outcome"] == "no_effect" for r in controls)},
        "runner_errors": runner_errors,
        "throughput": {
            "wall_s": wall_s,
            # The campaign's rate: trials over the wall clock of its runs (all workers at once).
            "wall_trials_per_hour": round(3600.0 * len(rows) / wall_s, 1) if wall_s else None,
            # One worker's rate: one trial after another, by the trials' own host time.
            "worker_trials_per_hour":
                round(3600e3 * len(rows) / sum(durations), 1) if sum(durations) else None,
            "trial_ms_mean": round(statistics.fmean(durations), 3) if durations else None,
        },
    }


# ---- summary.md ----------------------------------------------------------------------------

def _fmt_pct(p):
    return "-" if p is None else f"{p:.1f}%"


def _fmt_rate(rate):
    if rate["n"] == 0:
        return "- (none manifested)"
    return f"{rate['pct']:.1f}% [{rate['lo']:.1f}%, {rate['hi']:.1f}%]"


def _fmt_num(x, digits=0):
    return "-" if x is None else f"{x:,.{digits}f}"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def markdown(summary):
    """summary.md's text for a summary from summarize(); the same summary, the same text."""
    c, t = summary["campaign"], summary["throughput"]
    overall = summary["recovery"]["overall"]
    out = [f"# Fault campaign of {c['created'] or 'unknown date'}", ""]
    done = f"{summary['trials']:,} trials"
    if not summary["complete"]:
        done += f" (incomplete: {summary['trials']:,} of {c['shard_trials']:,})"
    out.append(f"{done}, {_fmt_num(t['wall_trials_per_hour'])} trials/hour "
               f"({_fmt_num(t['worker_trials_per_hour'])} per worker).  ")
    out.append(f"Recovery rate of manifested faults: **{_fmt_rate(overall)}** "
               f"({overall['k']:,} recovered of {overall['n']:,} manifested; Wilson 95%).  ")
    out.append("Valid." if summary["valid"] else
               "**INVALID**: " + "; ".join(summary["invalid_reasons"]) + ".")
    out += ["", f"Seed {c['seed']}, shard {c['shard']}, {c['trials']:,} trials planned; "
            f"image `{c['image_hash']}`, qemu `{c['qemu_hash']}` ({c['qemu_version']}), spec "
            f"`{c['spec_hash']}`; tool {c['tool_version'] or '-'}.", ""]

    shown = [o for o in results.OUTCOMES if summary["outcomes"][o]["count"]]
    out += ["## Outcomes by model x workload", "",
            "Trials, then each outcome's count and share of the row's trials.", ""]
    cells = []
    for model, workloads in summary["by_model_workload"].items():
        for workload, g in workloads.items():
            cells.append([model, workload, g["trials"]] + [
                f"{g['outcomes'][o]['count']} ({_fmt_pct(g['outcomes'][o]['pct'])})"
                for o in shown])
    everything = {"trials": summary["trials"], "outcomes": summary["outcomes"]}
    cells.append(["**all**", "", everything["trials"]] + [
        f"{everything['outcomes'][o]['count']} ({_fmt_pct(everything['outcomes'][o]['pct'])})"
        for o in shown])
    out += _table(["model", "workload", "trials"] + shown, cells) + [""]

    for title, key, group in (("model", "by_model", "by_model"),
                              ("workload", "by_workload", "by_workload")):
        out += [f"## Recovery by {title}", ""]
        cells = []
        for name, g in summary[key].items():
            rate = summary["recovery"][group][name]
            cells.append([name, g["trials"], rate["n"], rate["k"], _fmt_rate(rate)])
        out += _table([title, "trials", "manifested", "recovered", "recovery rate [95% CI]"],
                      cells) + [""]

    out += ["## Ladder steps of the recovered trials", ""]
    out += _table(["step", "trials", "share"],
                  [[s, v["count"], _fmt_pct(v["pct"])] for s, v in summary["ladder"].items()])
    lat = summary["recovery_us"]
    act = summary["activation"]
    out += ["", f"Recovery time (fault taken -> task running again), {lat['n']:,} trials: median "
            f"{_fmt_num(lat['median'], 1)} us, p99 {_fmt_num(lat['p99'], 1)} us.  ",
            f"Activation: {act['k']:,} of {act['n']:,} fault trials "
            f"({_fmt_rate(act) if act['n'] else '-'}).", ""]

    ctl = summary["controls"]
    out += ["## Validity", "",
            f"- Control trials: {ctl['count']:,}, "
            + ("all no_effect." if ctl["all_no_effect"] else "**not all no_effect**."),
            f"- Runner errors: {summary['runner_errors']:,}"
            + (" (must be 0)." if summary["runner_errors"] else "."),
            f"- Wall time {_fmt_num(t['wall_s'], 1)} s; mean trial "
            f"{_fmt_num(t['trial_ms_mean'], 1)} ms.", ""]
    return "\n".join(out)


# ---- outcomes.png --------------------------------------------------------------------------

def plot(summary, path):
    """outcomes.png: per model, a stacked bar of outcome shares (0..100%) and a marker at the
    recovery rate of its manifested faults with the Wilson interval as error bars."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(summary["by_model"])
    shown = [o for o in results.OUTCOMES if summary["outcomes"][o]["count"]]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(models) + 4.0), 5.0), dpi=100)
    xs = range(len(models))
    bottom = [0.0] * len(models)
    for o in shown:
        heights = [summary["by_model"][m]["outcomes"][o]["pct"] or 0.0 for m in models]
        ax.bar(xs, heights, 0.6, bottom=bottom, label=o, color=COLOURS[o], edgecolor="white",
               linewidth=0.5)
        bottom = [b + h for b, h in zip(bottom, heights)]
    rated = [(x, summary["recovery"]["by_model"][m]) for x, m in zip(xs, models)]
    rated = [(x, r) for x, r in rated if r["n"]]
    if rated:
        ax.errorbar([x for x, _ in rated], [r["pct"] for _, r in rated],
                    yerr=[[r["pct"] - r["lo"] for _, r in rated],
                          [r["hi"] - r["pct"] for _, r in rated]],
                    fmt="D", color="black", markeredgecolor="white", markersize=7, capsize=5,
                    elinewidth=1.5,
                    label="recovery rate of manifested\n(Wilson 95% interval)")
    ax.set_xticks(list(xs), [m + "\n(controls)" if m == "none" else m for m in models])
    ax.set_ylim(0, 100)
    ax.set_ylabel("share of trials / recovery rate (%)")
    ax.set_xlabel("fault model")
    c = summary["campaign"]
    date = (c.get("created") or "")[:10] or "unknown date"
    ax.set_title(f"Fault campaign: {summary['trials']:,} trials, {date}")
    # Legend entries top to bottom as the bars stack them, the recovery marker last.
    handles, labels = ax.get_legend_handles_labels()
    bars = [(h, lab) for h, lab in zip(handles, labels) if lab in COLOURS][::-1]
    marks = [(h, lab) for h, lab in zip(handles, labels) if lab not in COLOURS]
    ax.legend([h for h, _ in bars + marks], [lab for _, lab in bars + marks], loc="upper left",
              bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    fig.tight_layout()
    tmp = path + ".tmp.png"
    fig.savefig(tmp, metadata={"Software": None})
    plt.close(fig)
    os.replace(tmp, path)


# ---- progress line -------------------------------------------------------------------------

def _duration(seconds):
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def progress_line(counts, elapsed_s, done, total, done_before=0):
    """One line of live progress: done/total, the count of each outcome seen (in OUTCOMES
    order, zeros left out), trials/hour of this session and its ETA. done_before: trials that
    were already done when this session started (a resumed campaign), not part of its rate."""
    parts = [f"{done}/{total} ({100.0 * done / total if total else 0.0:.1f}%)"]
    parts += [f"{o} {counts[o]}" for o in results.OUTCOMES if counts.get(o)]
    ran = done - done_before
    if elapsed_s > 0 and ran > 0:
        rate = ran / elapsed_s
        parts.append(f"{rate * 3600:,.0f} trials/h")
        parts.append(f"ETA {_duration((total - done) / rate)}")
    else:
        parts += ["- trials/h", "ETA -"]
    return " | ".join(parts)


# ---- the whole report ----------------------------------------------------------------------

def render(directory, export=True):
    """Write summary.json, summary.md and outcomes.png of the campaign in DIRECTORY (and first,
    unless export is False, regenerate trials.csv and trials.sqlite); return the summary.
    A torn last line of a running or killed campaign is left out. CampaignError on bad input."""
    manifest = results.read_manifest(directory)
    rows = results.read_rows(directory)
    if export:
        results.export(directory)
    summary = summarize(manifest, rows)
    results.write_atomic(os.path.join(directory, SUMMARY_JSON),
                          (json.dumps(summary, indent=2) + "\n").encode())
    results.write_atomic(os.path.join(directory, SUMMARY_MD), markdown(summary).encode())
    plot(summary, os.path.join(directory, OUTCOMES_PNG))
    return summary


def main(argv):
    if argv in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if len(argv) != 1:
        print("usage: report.py DIR  (report.py --help)", file=sys.stderr)
        return 2
    try:
        summary = render(argv[0])
    except results.CampaignError as e:
        print(f"report: {e}", file=sys.stderr)
        return 1
    print(f"{summary['trials']} trials, recovery rate {_fmt_rate(summary['recovery']['overall'])}"
          f", {'valid' if summary['valid'] else 'INVALID'}: "
          + ", ".join(os.path.join(argv[0], f) for f in (SUMMARY_MD, SUMMARY_JSON, OUTCOMES_PNG)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
