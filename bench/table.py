"""The benchmark report as one plain-text table: each figure, its ceiling, and their ratio."""

from __future__ import annotations


def _ratio(value: float, ceiling: float) -> str:
    return f"{value / ceiling:.0%}" if ceiling else "-"


def render(report: dict) -> str:
    lines = [f"Rights Line benchmarks, {report['date']}, {report['machine']}", ""]
    sections = report["sections"]
    if "webhook" in sections:
        web = sections["webhook"]
        lines.append("Webhook (gunicorn, Procfile settings; wrk)   req/s    p50 ms   p99 ms   vs minimal   vs bare")
        for name, row in web.items():
            count = name.rsplit("@", 1)[1]
            minimal = web.get(f"minimal correct webhook @{count}", {}).get("rps", 0)
            bare = web.get(f"bare Flask (constant TwiML) @{count}", {}).get("rps", 0)
            # Paired within each round where the run has it (bench/webhook.py); else the ratio of medians.
            vs_minimal = f"{row['vs_minimal']:.0%}" if "vs_minimal" in row else _ratio(row["rps"], minimal)
            vs_bare = f"{row['vs_bare']:.0%}" if "vs_bare" in row else _ratio(row["rps"], bare)
            lines.append(f"  {name:<42} {row['rps']:>7.0f} {row['p50_ms']:>9.1f} {row['p99_ms']:>8.1f}"
                         f"   {vs_minimal:>10}   {vs_bare:>7}"
                         + (f"   ({row['non_2xx']} non-2xx)" if row.get("non_2xx") else ""))
        lines.append("")
    for key in ("fanout", "flows", "memory"):
        if key in sections:
            lines.extend(sections[key].get("lines", []))
            lines.append("")
    return "\n".join(lines).rstrip()
