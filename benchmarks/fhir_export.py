"""Time the FHIR R4 export: a clonazepam taper plan as CarePlan + MedicationRequests, a PHQ-9
result as QuestionnaireResponse + Observation, and the $everything Bundle of them; prints JSON
(milliseconds per call, and the resource count of the Bundle)."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from benzoplan.instruments import score
from benzoplan.interop import fhir
from benzoplan.taper import ScheduledDose, TaperRequest, plan_taper
from benzoplan.units import Dose


def _time(fn: Any, n: int) -> float:
    fn()  # warm caches (data files load once per process)
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1000


def main() -> None:
    plan = plan_taper(TaperRequest(drug="clonazepam", start=dt.date(2026, 12, 1), doses=(
        ScheduledDose(dt.time(8), Dose("1 mg")), ScheduledDose(dt.time(20), Dose("1 mg")))))
    phq = score("phq-9", {str(i + 1): v for i, v in enumerate([2, 1, 3, 2, 0, 1, 0, 2, 0])})

    def careplan() -> Any:
        return fhir.taper_plan_resources(plan, patient_id="p1", plan_id="plan-1")

    def instrument() -> Any:
        return fhir.instrument_resources(phq, patient_id="p1", result_id="r1",
                                         taken=dt.date(2026, 11, 20))

    def everything() -> Any:
        cp, mrs = careplan()
        qr, obs = instrument()
        resources = [fhir.patient_resource("p1"), cp, *mrs, qr, obs]
        return fhir.to_json(fhir.everything_bundle("https://clinic.example/fhir", resources))

    out = {
        "taper_steps": len(plan.steps),
        "careplan_ms": round(_time(careplan, 50), 3),
        "instrument_ms": round(_time(instrument, 200), 3),
        "everything_ms": round(_time(everything, 20), 3),
        "everything_resources": len(everything()["entry"]),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
