"""Time benzoplan.safety.check on the sample patient and CDS Hooks cards for an order-sign
request; prints JSON (milliseconds per call)."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

from benzoplan.interop.cds_hooks import cards_for
from benzoplan.safety import PatientRecord, check

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 24)


def _time(fn: Any, n: int) -> float:
    fn()  # warm caches (data files load once per process)
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1000


def main() -> None:
    patient = PatientRecord.from_json(json.loads((ROOT / "examples/patient-sample.json")
                                                 .read_text()))
    request = json.loads((ROOT / "tests/interop/data/order-sign.json").read_text())
    out = {
        "check_ms": round(_time(lambda: check(patient, today=TODAY), 200), 3),
        "cds_order_sign_ms": round(_time(
            lambda: cards_for("benzoplan-order-sign", request, today=TODAY), 50), 3),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
