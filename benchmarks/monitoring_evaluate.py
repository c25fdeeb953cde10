"""Time benzoplan.monitoring.evaluate over a year of daily diary entries; prints JSON."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from benzoplan.monitoring import evaluate

START = dt.date(2026, 1, 1)
DAYS = 365


def _plan() -> dict[str, Any]:
    steps = []
    for i in range(26):
        s = START + dt.timedelta(days=14 * i)
        mg = round(1.0 - i * 0.0375, 4)
        steps.append({"index": i, "start": s.isoformat(),
                      "end": (s + dt.timedelta(days=13)).isoformat(),
                      "daily_total": {"value": 2 * mg, "unit": "mg"},
                      "administrations": [{"time": t, "drug": "clonazepam",
                                           "dose": {"value": mg, "unit": "mg"}}
                                          for t in ("08:00", "20:00")]})
    return {"version": 1, "drug": "clonazepam", "start": START.isoformat(),
            "end": (START + dt.timedelta(days=26 * 14 - 1)).isoformat(), "steps": steps}


def _diary() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n in range(DAYS):
        d = (START + dt.timedelta(days=n)).isoformat()
        out.append({"kind": "symptoms", "date": d, "ratings": {"anxiety": n % 3, "insomnia": 1}})
        out.append({"kind": "seizure", "date": d, "count": 0})
        out.append({"kind": "sleep", "date": d, "bedtime": "23:00", "latency_min": 20,
                    "awakenings": 1, "total_sleep_h": 7, "quality": 3})
        if n < 26 * 14:
            out += [{"kind": "dose", "date": d, "slot": t, "status": "taken"}
                    for t in ("08:00", "20:00")]
        if n % 14 == 0:
            out.append({"kind": "instrument", "date": d, "instrument": "ciwa-b",
                        "answers": {str(i): 0 for i in range(1, 21)}})
    return out


def main() -> None:
    plan, diary = _plan(), _diary()
    today = START + dt.timedelta(days=DAYS - 1)
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        result = evaluate(plan, diary, today=today)
        runs.append(time.perf_counter() - t0)
    print(json.dumps({"benchmark": "monitoring.evaluate", "entries": result.entries,
                      "runs": len(runs), "best_s": round(min(runs), 4),
                      "median_s": round(sorted(runs)[len(runs) // 2], 4)}))


if __name__ == "__main__":
    main()
