"""The load bench's figures of the bot's own event loop (bot/loopwatch.py) and its latencies by kind."""

from __future__ import annotations

from typing import Any

from sandbox.server import SandboxServer


def latencies_by_kind(server: SandboxServer, earlier: set[int]) -> dict[str, list[float]]:
    """Ack latencies (s) per kind of interaction: the command's full name, a button press, an autocomplete."""
    out: dict[str, list[float]] = {}
    for iid, rec in server.state.interactions.items():
        if iid in earlier or rec.acked_at is None:
            continue
        if rec.type == 2:
            options = rec.data.get("options") or []
            sub = options[0]["name"] if options and options[0].get("type") == 1 else ""
            kind = f"/{rec.data.get('name')} {sub}".strip()
        else:
            kind = {3: "button", 4: "autocomplete", 5: "modal"}.get(rec.type, str(rec.type))
        out.setdefault(kind, []).append(rec.acked_at - rec.created)
    return out


def loop_rows(loop: dict[str, Any]) -> list[dict[str, Any]]:
    """The bot's own event-loop figures over the run (bot/loopwatch.py); info, so the next regression shows."""
    if not loop:
        return [{"figure": "load: event-loop figures", "value": "missing", "target": "info", "passed": None}]
    counts, ms = loop.get("gc_count", [0, 0, 0]), loop.get("gc_ms", [0.0, 0.0, 0.0])
    return [
        {
            "figure": "load: event loop worst stall (ms)",
            "value": float(loop.get("worst_stall_ms", 0.0)),
            "target": "info",
            "passed": None,
        },
        {
            "figure": "load: loop wake-ups > 20 ms late (count / total ms)",
            "value": f"{loop.get('stalls_over_20ms', 0)} / {float(loop.get('stall_total_ms', 0.0)):.0f}",
            "target": "info",
            "passed": None,
        },
        {
            "figure": "load: GC pauses gen0/gen1/gen2 (count)",
            "value": " / ".join(str(c) for c in counts),
            "target": "info",
            "passed": None,
        },
        {
            "figure": "load: bot RSS at the end: heap (anon) / mapped files (MB)",
            "value": f"{loop.get('RssAnon', 0.0):.1f} / {loop.get('RssFile', 0.0):.1f}",
            "target": "info",
            "passed": None,
        },
        {
            "figure": "load: GC CPU gen0/gen1/gen2 (ms), objects freed in cycles",
            "value": " / ".join(f"{x:.0f}" for x in loop.get("gc_cpu_ms", [0.0, 0.0, 0.0]))
            + f", {sum(loop.get('gc_collected', [0, 0, 0]))}",
            "target": "info",
            "passed": None,
        },
        {
            "figure": "load: GC pause total / worst (ms)",
            "value": f"{sum(ms):.1f} / {float(loop.get('gc_worst_ms', 0.0)):.1f}",
            "target": "info",
            "passed": None,
        },
    ]
