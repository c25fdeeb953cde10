"""Pure operations over the core packages; nothing is stored. Any signed-in user may call them.

Each route validates its request, calls the core function and returns its JSON form.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import Field

from benzoplan.api.core_io import TaperIn, at_field, patient_record, taper_request
from benzoplan.api.deps import CurrentActor, Svc
from benzoplan.api.schemas import DoseJSON, DrugName, Model, as_dose
from benzoplan.drugs import convert
from benzoplan.instruments import instrument_json, list_instruments, score
from benzoplan.monitoring import evaluate
from benzoplan.pk import Regimen, Subject, simulate
from benzoplan.safety import check
from benzoplan.taper import plan_taper

router = APIRouter(tags=["operations"])


class ConvertIn(Model):
    dose: DoseJSON
    drug: DrugName
    to: DrugName
    table: str | None = Field(None, max_length=50, examples=["ashton"])


@router.post("/convert", summary="Approximate equivalent dose of another benzodiazepine")
def convert_dose(body: ConvertIn, actor: CurrentActor) -> dict[str, Any]:
    with at_field("body"):
        return convert(as_dose(body.dose), body.drug, to=body.to, table=body.table).to_json()


class SubjectIn(Model):
    weight_kg: float = Field(70.0, gt=0, le=400)
    age_years: float = Field(40.0, ge=0, le=130)
    hepatic_impairment: Literal["none", "mild", "moderate", "severe"] = "none"
    comedications: list[str] = Field(default_factory=list, max_length=20)


class SimulateIn(Model):
    drug: DrugName
    dose: DoseJSON = Field(description="dose per administration")
    at: list[str] = Field(["22:00"], min_length=1, max_length=12,
                          examples=[["08:00", "20:00"]])
    days: int = Field(1, ge=1, le=180)
    subject: SubjectIn = SubjectIn()
    population: int = Field(0, ge=0, le=2000, description="virtual subjects for the spread")
    seed: int = 0


@router.post("/simulate", summary="Plasma concentration and receptor occupancy of a regimen")
def simulate_regimen(body: SimulateIn, actor: CurrentActor) -> dict[str, Any]:
    with at_field("body"):
        regimen = Regimen.daily(body.drug, as_dose(body.dose), at=body.at, days=body.days)
        s = body.subject
        subject = Subject(weight_kg=s.weight_kg, age_years=s.age_years,
                          hepatic_impairment=s.hepatic_impairment,
                          comedications=tuple(s.comedications))
        result = simulate(regimen, subject=subject, population=body.population, seed=body.seed,
                          workers=1)
    return result.to_json()


# The computed JSON comes back from the worker already encoded: a plan's JSON is tens of
# kilobytes, and decoding and re-encoding it in the server would cost more than planning.
_JSON_OBJECT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {"schema": {"type": "object"}}}}}


def _encoded(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode()


@router.post("/taper", summary="Plan a taper (not stored; see /patients/{id}/plans)",
             response_class=Response, responses=_JSON_OBJECT)
async def taper(body: TaperIn, actor: CurrentActor, services: Svc) -> Response:
    return Response(await services.computer.run(taper_json, body), media_type="application/json")


def taper_json(body: TaperIn) -> bytes:
    return _encoded(plan_taper(taper_request(body)).to_json())


class CheckIn(Model):
    patient: dict[str, Any] = Field(description="the safety engine's PatientRecord JSON "
                                    "(see examples/patient-sample.json)")
    today: dt.date | None = None


@router.post("/check", summary="Prescribing-safety check of a patient and regimen",
             response_class=Response, responses=_JSON_OBJECT)
async def safety_check(body: CheckIn, actor: CurrentActor, services: Svc) -> Response:
    return Response(await services.computer.run(check_json, body), media_type="application/json")


def check_json(body: CheckIn) -> bytes:
    record = patient_record(body.patient, "body.patient")
    with at_field("body.patient"):
        return _encoded(check(record, today=body.today or dt.date.today()).to_json())


class ScoreIn(Model):
    instrument: str = Field(min_length=1, max_length=32, examples=["phq-9"])
    answers: dict[str, int] = Field(examples=[{"1": 0, "2": 1}])


@router.post("/score", summary="Score a questionnaire")
def score_answers(body: ScoreIn, actor: CurrentActor) -> dict[str, Any]:
    with at_field("body"):
        return score(body.instrument, body.answers).to_json()


@router.get("/instruments", summary="The questionnaires benzoplan scores")
def instruments(actor: CurrentActor) -> list[dict[str, Any]]:
    return [instrument_json(i) for i in list_instruments()]


class MonitorIn(Model):
    plan: dict[str, Any] = Field(description="a taper plan JSON (as from /taper)")
    diary: list[dict[str, Any]] = Field(default_factory=list, max_length=2000)
    instrument_results: list[dict[str, Any]] = Field(default_factory=list, max_length=500)
    today: dt.date | None = None


@router.post("/monitor", summary="Alerts and proposals for a plan, diary and results")
def monitor(body: MonitorIn, actor: CurrentActor) -> dict[str, Any]:
    with at_field("body"):
        return evaluate(body.plan, body.diary, body.instrument_results,
                        today=body.today or dt.date.today()).to_json()

