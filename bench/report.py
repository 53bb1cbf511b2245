#!/usr/bin/env python3
"""Turns the load generator's JSON files (bench/out/*.json) into bench/report.md and report.json.

    report.py best-rate OUT PREFIX      # the best throughput among OUT/PREFIX_*.json (for run.sh)
    report.py write OUT MD JSON --machine M --load L --stores S
"""
import argparse
import glob
import json
import os


def load(out, name):
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def runs(out, prefix):
    found = []
    for path in sorted(glob.glob(os.path.join(out, prefix + "_*.json"))):
        with open(path) as f:
            found.append(json.load(f))
    return found


def best(out, prefix):
    """The run with the highest throughput, and the lowest server CPU per turn among the runs."""
    rs = runs(out, prefix)
    if not rs:
        return None, None
    top = max(rs, key=lambda r: r["throughput_per_s"])
    cpus = [r["server_cpu_us_per_turn"] for r in rs if r.get("server_cpu_us_per_turn")]
    return top, (min(cpus) if cpus else None)


def busy(run):
    """The share of one core the server used during a run."""
    if not run or run.get("server_cpu_s") is None:
        return None
    return 100.0 * run["server_cpu_s"] / run["elapsed_s"]


def client_busy(run):
    if not run or run.get("client_cpu_s") is None:
        return None
    return 100.0 * run["client_cpu_s"] / run["elapsed_s"]


def ratio(a, b):
    return a / b if a and b else None


def fmt(v, digits=0, unit=""):
    if v is None:
        return "–"
    return f"{v:,.{digits}f}{unit}"


def verdict(value, target, higher_is_better=True):
    if value is None:
        return "not measured"
    ok = value >= target if higher_is_better else value <= target
    return "met" if ok else "missed"


def write(args):
    out = args.out
    stores = args.stores.split()
    figures = {"machine": args.machine, "load_average_at_end": args.load}
    rows = []  # (figure, value, target, verdict)

    base_u, base_u_cpu = best(out, "sat_unary_baseline")
    base_s, base_s_cpu = best(out, "sat_stream_baseline")
    def entry(u, u_cpu, s, s_cpu):
        return {"unary": u and u["throughput_per_s"], "unary_cpu_us": u_cpu,
                "unary_server_busy_pct": busy(u), "unary_client_busy_pct": client_busy(u),
                "stream": s and s["throughput_per_s"], "stream_cpu_us": s_cpu,
                "stream_server_busy_pct": busy(s), "stream_client_busy_pct": client_busy(s)}

    sat = {"baseline": entry(base_u, base_u_cpu, base_s, base_s_cpu)}
    for store in stores:
        u, u_cpu = best(out, f"sat_unary_{store}")
        s, s_cpu = best(out, f"sat_stream_{store}")
        sat[store] = entry(u, u_cpu, s, s_cpu)
    figures["saturation"] = sat

    mem = sat.get("memory", {})
    r_tput = ratio(mem.get("unary"), sat["baseline"]["unary"])
    r_cpu = ratio(sat["baseline"]["unary_cpu_us"], mem.get("unary_cpu_us"))
    rows.append(("ProcessTurn saturation, memory store / baseline (throughput)", fmt(r_tput, 2),
                 "≥ 0.75", verdict(r_tput, 0.75)))
    rows.append(("same, from server CPU per turn (baseline µs / real µs)", fmt(r_cpu, 2), "≥ 0.75",
                 verdict(r_cpu, 0.75)))
    s_cpu = mem.get("stream_cpu_us")
    rows.append(("StreamTurns, memory store: server CPU a turn", fmt(s_cpu, 1, " µs"), "≤ 10 µs",
                 verdict(s_cpu, 10, False)))
    r_stream = ratio(mem.get("stream"), mem.get("unary"))
    rows.append(("StreamTurns / ProcessTurn throughput, memory store", fmt(r_stream, 2), "≥ 1.5",
                 verdict(r_stream, 1.5)))
    figures["ratios"] = {"unary_real_over_baseline": r_tput, "unary_cpu_baseline_over_real": r_cpu,
                         "stream_over_unary": r_stream,
                         "stream_real_over_baseline": ratio(mem.get("stream"), sat["baseline"]["stream"])}

    lat = {}
    for target in ["baseline"] + stores + ["memory_own"]:
        r = load(out, f"lat_unary_{target}")
        if r:
            lat[target] = dict(r["latency_us"], rate=r["setup"]["rate"], errors=r["errors"],
                               achieved=r["throughput_per_s"])
    figures["latency_at_half_baseline_rate_us"] = lat
    if "memory" in lat:
        p99 = lat["memory"]["p99"] / 1000
        p999 = lat["memory"]["p999"] / 1000
        rows.append((f"ProcessTurn p99 at {fmt(lat['memory']['rate'])}/s (half baseline)",
                     fmt(p99, 2, " ms"), "≤ 2 ms", verdict(p99, 2, False)))
        rows.append(("ProcessTurn p99.9 at the same rate", fmt(p999, 2, " ms"), "≤ 5 ms",
                     verdict(p999, 5, False)))
    if "baseline" in lat:
        b = lat["baseline"]
        rows.append(("(for reference) the baseline's own p99 / p99.9 at that rate",
                     f"{fmt(b['p99'] / 1000, 2)} / {fmt(b['p999'] / 1000, 2)} ms", "", ""))
    if "memory_own" in lat:
        own = lat["memory_own"]
        rows.append((f"(for reference) ProcessTurn p99 / p99.9 at {fmt(own['rate'])}/s, half the "
                     "service's own saturation", f"{fmt(own['p99'] / 1000, 2)} / "
                     f"{fmt(own['p999'] / 1000, 2)} ms", "", ""))

    st = load(out, "startup")
    figures["startup_ms"] = st
    if st:
        rows.append(("start-up to SERVING (median of runs)", fmt(st["median_ms"], 1, " ms"),
                     "≤ 200 ms", verdict(st["median_ms"], 200, False)))

    m = load(out, "memory")
    fill = load(out, "fill_live")
    if m:
        per = (m["rss_after"] - m["rss_before"]) / m["conversations"]
        text = fill["text_bytes_sent"] / m["conversations"] if fill else None
        m.update(bytes_per_conversation=per, text_bytes_per_conversation=text,
                 overhead_bytes_per_conversation=per - text if text is not None else None)
        figures["memory"] = m
        rows.append((f"resident bytes per live conversation ({m['conversations']:,} × 10 turns)",
                     fmt(per, 0, " B"), "≤ 6 KiB + text", ""))
        over = m["overhead_bytes_per_conversation"]
        rows.append(("… of which not the text kept", fmt(over, 0, " B"),
                     f"≤ 6,144 B (text: {fmt(text, 0, ' B')})", verdict(over, 6144, False)))

    if "sqlite" in sat:
        r_sql = ratio(sat["sqlite"]["unary"], mem.get("unary"))
        rows.append(("SQLite / memory ProcessTurn throughput", fmt(r_sql, 2), "≥ 0.5",
                     verdict(r_sql, 0.5)))
        figures["ratios"]["sqlite_over_memory"] = r_sql

    growth = {}
    for kind in ["words", "turns", "live"]:
        pts = []
        for path in glob.glob(os.path.join(out, f"{kind}_*.json")):
            with open(path) as f:
                r = json.load(f)
            x = int(os.path.basename(path)[len(kind) + 1:-5])
            pts.append({"x": x, "throughput_per_s": r["throughput_per_s"],
                        "server_cpu_us_per_turn": r["server_cpu_us_per_turn"],
                        "p50_us": r["latency_us"]["p50"],
                        "text_bytes_per_turn": r["text_bytes_sent"] / max(1, r["ok"] + r["errors"]),
                        "errors": r["errors"]})
        growth[kind] = sorted(pts, key=lambda p: p["x"])
    figures["growth"] = growth

    md = ["# escalation-router performance", "",
          f"Machine: {args.machine}. Server pinned to one core, load generator to the other "
          "(`taskset`), loopback TCP, release build. Other work on the machine during the run: load "
          f"average {args.load} at the end (shared cores: treat throughput as a lower bound; server CPU "
          "per turn is the steadier figure).", "",
          "Produced by `bench/run.sh`; raw runs in `bench/report.json`.", "",
          "| figure | value | target | |", "|---|---|---|---|"]
    md += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    md += ["", "## Saturation (closed loop)", "",
           "Busy: the share of its core the server / the load generator used during the best run "
           "(a server below 100% was not the bottleneck).", "",
           "| target | ProcessTurn /s | server µs/turn | busy server / client | StreamTurns /s | "
           "server µs/turn | busy server / client |",
           "|---|---|---|---|---|---|---|"]
    for t, v in sat.items():
        md.append(f"| {t} | {fmt(v['unary'])} | {fmt(v['unary_cpu_us'], 1)} | "
                  f"{fmt(v['unary_server_busy_pct'])}% / {fmt(v['unary_client_busy_pct'])}% | "
                  f"{fmt(v['stream'])} | {fmt(v['stream_cpu_us'], 1)} | "
                  f"{fmt(v['stream_server_busy_pct'])}% / {fmt(v['stream_client_busy_pct'])}% |")
    if lat:
        md += ["", "## Latency at half the baseline's saturation rate (open loop, from the intended "
               "send time)", "", "| target | rate /s | achieved /s | p50 | p90 | p99 | p99.9 | max | errors |",
               "|---|---|---|---|---|---|---|---|---|"]
        for t, v in lat.items():
            md.append(f"| {t} | {fmt(v['rate'])} | {fmt(v['achieved'])} | {fmt(v['p50'])} µs | "
                      f"{fmt(v['p90'])} µs | {fmt(v['p99'])} µs | {fmt(v['p999'])} µs | "
                      f"{fmt(v['max'])} µs | {v['errors']} |")
    titles = {"words": "words per customer turn", "turns": "turns per conversation (history kept: up to 50)",
              "live": "live conversations in the store"}
    for kind, pts in growth.items():
        if not pts:
            continue
        md += ["", f"## Cost by {titles[kind]}", "",
               f"| {kind} | text bytes/turn | ProcessTurn /s | server µs/turn | p50 µs |",
               "|---|---|---|---|---|"]
        for p in pts:
            md.append(f"| {p['x']:,} | {fmt(p['text_bytes_per_turn'])} | {fmt(p['throughput_per_s'])} | "
                      f"{fmt(p['server_cpu_us_per_turn'], 1)} | {fmt(p['p50_us'])} |")
    with open(args.md, "w") as f:
        f.write("\n".join(md) + "\n")
    raw = {os.path.basename(p)[:-5]: json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, "*.json")))}
    with open(args.json, "w") as f:
        json.dump({"figures": figures, "runs": raw}, f, indent=2, sort_keys=True)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("best-rate")
    b.add_argument("out")
    b.add_argument("prefix")
    w = sub.add_parser("write")
    w.add_argument("out")
    w.add_argument("md")
    w.add_argument("json")
    w.add_argument("--machine", default="")
    w.add_argument("--load", default="")
    w.add_argument("--stores", default="memory")
    args = p.parse_args()
    if args.cmd == "best-rate":
        top, _ = best(args.out, args.prefix)
        print(round(top["throughput_per_s"]) if top else 1000)
    else:
        write(args)


if __name__ == "__main__":
    main()
