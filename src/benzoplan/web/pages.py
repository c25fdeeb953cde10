"""The pages: sign-in, the clinician's patients and patient page, the patient's diary.

Every page reads and writes through the JSON API with the signed-in user's token (see
:mod:`benzoplan.web._api`); the token lives in an HttpOnly, SameSite=Strict cookie.
"""

from __future__ import annotations

import datetime as dt
import uuid
from importlib import resources
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from benzoplan.web import _views
from benzoplan.web._api import Api, ApiError, SignInRequired

__all__ = ["COOKIE", "ROUTES", "templates"]

COOKIE = "benzoplan_session"
templates = Jinja2Templates(directory=str(resources.files("benzoplan.web") / "templates"))
templates.env.filters["qty"] = _views.fmt_qty
templates.env.globals["entry_summary"] = _views.entry_summary


def _api(request: Request) -> Api:
    return Api(request, request.cookies.get(COOKIE))


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status)


def _same_origin(request: Request) -> None:
    """Refuse form posts from another site (the cookie is SameSite=Strict as well)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        raise ApiError(403, "this form was sent from another site; open the page and retry")


def _today() -> dt.date:
    return dt.date.today()


async def _me(api: Api) -> dict[str, Any]:
    me: dict[str, Any] = await api.get("/auth/me")
    return me


# ---------------------------------------------------------------------------- sign-in
async def home(request: Request) -> Response:
    if not request.cookies.get(COOKIE):
        return RedirectResponse("/signin", status_code=303)
    me = await _me(_api(request))
    if me["role"] == "patient":
        return RedirectResponse("/diary", status_code=303)
    if me["role"] == "clinician":
        return RedirectResponse("/clinic", status_code=303)
    if me["role"] == "pharmacist":
        return RedirectResponse("/pharmacy", status_code=303)
    return _page(request, "home.html", me=me)


async def signin_form(request: Request) -> Response:
    q = request.query_params
    return _page(request, "signin.html", next=q.get("next", "/"), message=q.get("message", ""),
                 error=None, username="")


def _safe_next(target: str) -> str:
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


async def signin(request: Request) -> Response:
    _same_origin(request)
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    next = str(form.get("next", "/"))
    api = Api(request, None)
    try:
        reply = await api.call("POST", "/auth/token",
                               json={"username": username, "password": password},
                               signed_in=False)
    except ApiError as exc:
        return _page(request, "signin.html", status=exc.status if exc.status < 500 else 502,
                     next=next, message="", error=exc.detail, username=username)
    token = reply.body
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(COOKIE, token["access_token"], max_age=int(token["expires_in"]),
                    httponly=True, samesite="strict", secure=request.url.scheme == "https",
                    path="/")
    return resp


async def signout(request: Request) -> Response:
    _same_origin(request)
    resp = RedirectResponse("/signin?message=" + quote("You have signed out."), status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


# ---------------------------------------------------------------------------- clinician
async def clinic(request: Request) -> Response:
    name = request.query_params.get("name", "")
    api = _api(request)
    me = await _me(api)
    params: dict[str, Any] = {"limit": 200}
    if name:
        params["name"] = name
    patients = await api.items("/patients", **params)
    return _page(request, "clinic.html", me=me, patients=patients, name=name)


async def _optional(coro: Any) -> Any:
    """A section that the signed-in role may not read shows as unavailable, not as an error."""
    try:
        return await coro
    except ApiError as exc:
        if exc.status in (403, 404):
            return None
        raise


async def _plan(api: Api, plan_id: str) -> dict[str, Any]:
    """A plan's current version, every version, and each version's revision record."""
    current = await api.get(f"/plans/{plan_id}")
    versions = await api.items(f"/plans/{plan_id}/versions", limit=200)
    revisions = {r.get("version"): r for r in current["body"].get("revisions", [])}
    return {"id": plan_id, "current": current, "versions": versions, "revisions": revisions}


async def _plan_view(api: Api, patient_id: str) -> dict[str, Any] | None:
    plans = await api.items(f"/patients/{patient_id}/plans", limit=1)
    return await _plan(api, plans[0]["id"]) if plans else None


async def patient_page(request: Request) -> Response:
    return await _patient_page(request, request.path_params["patient_id"],
                               saved=request.query_params.get("saved", ""))


async def monitor(request: Request) -> Response:
    """Evaluate the patient's diary and questionnaires now (the API's monitoring) and show the
    page with the alerts raised and the engine's proposals to hold, slow or resume."""
    _same_origin(request)
    patient_id = request.path_params["patient_id"]
    reply = await _api(request).post(f"/patients/{patient_id}/monitor", {})
    return await _patient_page(request, patient_id, monitoring=reply.body)


async def _patient_page(request: Request, patient_id: str, *, saved: str = "",
                        monitoring: dict[str, Any] | None = None) -> Response:
    api = _api(request)
    me = await _me(api)
    patient = await api.get(f"/patients/{patient_id}")
    today = _today()
    regimens = await api.items(f"/patients/{patient_id}/regimens", limit=50)
    alerts = await api.items(f"/patients/{patient_id}/alerts", limit=50)
    check = await _optional(api.get(f"/patients/{patient_id}/safety/latest"))
    plan = await _optional(_plan_view(api, patient_id))
    since = (today - dt.timedelta(days=13)).isoformat()
    diary = await api.items(f"/patients/{patient_id}/diary", since=since, limit=200)
    results = [{**r, "via": "clinic"} for r in
               await _optional(api.items(f"/patients/{patient_id}/instruments", limit=20)) or []]
    for e in diary:
        if e["kind"] == "instrument":
            scored = (await api.post("/score", {"instrument": e["data"]["instrument"],
                                                "answers": e["data"]["answers"]})).body
            results.append({"date": e["date"], "instrument": scored["instrument"],
                            "score": scored, "via": "patient diary"})
    results.sort(key=lambda r: str(r["date"]), reverse=True)
    body = plan["current"]["body"] if plan else None
    findings = sorted((check or {}).get("findings", []),
                      key=lambda f: _views.SEVERITY_ORDER.get(f.get("severity", ""), 9))
    open_alerts = [a for a in alerts if a["acknowledged_at"] is None]
    return _page(
        request, "patient.html", me=me, patient=patient, regimens=regimens,
        urgent=[a for a in open_alerts if a["level"] == "urgent"],
        other_alerts=[a for a in open_alerts if a["level"] != "urgent"],
        done_alerts=[a for a in alerts if a["acknowledged_at"] is not None],
        check=check, findings=findings, plan=plan, body=body,
        weeks=_views.weeks(body) if body else [],
        chart=_views.plan_svg(body, today=today) if body else "",
        diary=list(reversed(diary)), results=results, today=today, saved=saved,
        monitoring=monitoring,
        plan_findings=sorted((body or {}).get("findings", []),
                             key=lambda f: _views.SEVERITY_ORDER.get(f.get("severity", ""), 9)),
    )


# ---------------------------------------------------------------------------- pharmacist
async def pharmacy(request: Request) -> Response:
    """The clinic's taper plans, most recently changed first, for dispensing."""
    api = _api(request)
    me = await _me(api)
    plans = await api.items("/plans", limit=200)
    return _page(request, "pharmacy.html", me=me, plans=plans)


def _fill_now(fills: list[dict[str, Any]], today: dt.date) -> int | None:
    """The index of the fill period in force today, else of the next one (None: all past)."""
    for i, f in enumerate(fills):
        if dt.date.fromisoformat(f["to"]) >= today:
            return i
    return None


async def pharmacy_plan(request: Request) -> Response:
    """One plan as a pharmacist needs it: what to dispense per fill (the current or next fill
    marked), the schedule, and every version with who changed it, when and why."""
    api = _api(request)
    me = await _me(api)
    plan = await _plan(api, request.path_params["plan_id"])
    body = plan["current"]["body"]
    fills = body.get("dispensing") or []
    today = _today()
    return _page(request, "pharmacy_plan.html", me=me, plan=plan, body=body, fills=fills,
                 fill_now=_fill_now(fills, today), today=today, weeks=_views.weeks(body))


async def acknowledge(request: Request) -> Response:
    _same_origin(request)
    alert_id = request.path_params["alert_id"]
    form = await request.form()
    patient_id, note = str(form.get("patient_id", "")), str(form.get("note", ""))
    await _api(request).post(f"/alerts/{alert_id}/acknowledge", {"note": note.strip() or None})
    return RedirectResponse(f"/clinic/patients/{quote(patient_id)}?saved=alert#alerts",
                            status_code=303)


async def new_version(request: Request) -> Response:
    _same_origin(request)
    plan_id = request.path_params["plan_id"]
    form = await request.form()
    patient_id = str(form.get("patient_id", ""))
    body: dict[str, Any] = {
        "kind": str(form.get("kind", "")),
        "effective": str(form.get("effective", "")),
        "reason": str(form.get("reason", "")).strip(),
        "base_version": _int(form, "base_version"),
    }
    for key, conv in (("days", _int), ("factor", _float)):
        value = conv(form, key)
        if value is not None:
            body[key] = value
    api = _api(request)
    try:
        await api.post(f"/plans/{plan_id}/versions", body)
    except ApiError as exc:
        if exc.status >= 500:
            raise
        return _page(request, "error.html", status=exc.status, me=await _me(api),
                     title="The plan was not changed", detail=exc.detail, field=exc.field,
                     back=f"/clinic/patients/{patient_id}#plan")
    return RedirectResponse(f"/clinic/patients/{quote(patient_id)}?saved=plan#plan",
                            status_code=303)


def _int(form: FormData, key: str) -> int | None:
    raw = str(form.get(key, "")).strip()
    return int(raw) if raw.lstrip("-").isdigit() else None


def _float(form: FormData, key: str) -> float | None:
    raw = str(form.get(key, "")).strip()
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


# ---------------------------------------------------------------------------- patient diary
async def diary(request: Request) -> Response:
    api = _api(request)
    me = await _me(api)
    if me["role"] != "patient" or not me.get("patient_id"):
        raise ApiError(403, "the diary is for patients; clinicians see it on the patient's page")
    pid = me["patient_id"]
    today = _today()
    plan = await _optional(_plan_view(api, pid))
    body = plan["current"]["body"] if plan else None
    slots = _views.dose_slots(_views.step_on(body, today)) if body else []
    entries = await api.items(f"/patients/{pid}/diary", since=today.isoformat(), limit=200)
    return _page(request, "diary.html", me=me, today=today, slots=slots, plan=body,
                 recorded=_recorded_doses(entries), done=_done_today(entries),
                 symptoms=_symptoms(),
                 questionnaire=_questionnaire(), new_id=lambda: str(uuid.uuid4()))


def _recorded_doses(entries: list[dict[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in entries:
        if e["kind"] == "dose":
            out[str(e["data"].get("slot"))] = str(e["data"].get("status"))
    return out


def _done_today(entries: list[dict[str, Any]]) -> set[str]:
    """The once-a-day entries already recorded (``instrument:<name>`` for questionnaires)."""
    done = set()
    for e in entries:
        if e["kind"] == "instrument":
            done.add(f"instrument:{e['data'].get('instrument')}")
        elif e["kind"] != "dose":
            done.add(str(e["kind"]))
    return done


def _symptoms() -> list[Any]:
    from benzoplan.monitoring import symptoms

    return list(symptoms())


def _questionnaire() -> Any:
    from benzoplan.instruments import get_instrument

    return get_instrument("phq-9")


def _entry(form: FormData) -> tuple[str, str, str, dict[str, Any]]:
    """The API diary entry (client id, date, kind, data) from a diary form."""
    entry_id = str(form.get("entry_id", ""))
    day = str(form.get("date", ""))
    kind = str(form.get("kind", ""))
    data: dict[str, Any] = {}
    if kind == "dose":
        data = {"slot": str(form.get("slot", "")), "status": str(form.get("status", ""))}
    elif kind == "symptoms":
        data = {"ratings": {k.removeprefix("s_"): int(str(v)) for k, v in form.multi_items()
                            if k.startswith("s_") and str(v).isdigit()}}
    elif kind == "sleep":
        data = {"bedtime": str(form.get("bedtime", "")),
                "latency_min": _int(form, "latency_min"),
                "awakenings": _int(form, "awakenings"),
                "total_sleep_h": _float(form, "total_sleep_h"),
                "quality": _int(form, "quality")}
    elif kind == "seizure":
        count = _int(form, "count")
        data = {"count": count}
        if count:
            data["type"] = str(form.get("type", "")) or None
            data["longest_duration_s"] = _int(form, "longest_duration_s")
    elif kind == "instrument":
        data = {"instrument": str(form.get("instrument", "")),
                "answers": {k.removeprefix("q_"): int(str(v)) for k, v in form.multi_items()
                            if k.startswith("q_") and str(v).isdigit()}}
    note = str(form.get("note", "")).strip()
    if note:
        data["note"] = note
    return entry_id, day, kind, data


async def diary_entry(request: Request) -> Response:
    _same_origin(request)
    api = _api(request)
    me = await _me(api)
    form = await request.form()
    entry_id, day, kind, data = _entry(form)
    wants_json = "application/json" in request.headers.get("accept", "")
    pid = me.get("patient_id") or ""
    try:
        reply = await api.post(f"/patients/{pid}/diary",
                               {"id": entry_id, "date": day, "kind": kind, "data": data})
    except ApiError as exc:
        if exc.status >= 500:
            raise
        result = {"ok": False, "status": exc.status, "detail": exc.detail, "field": exc.field}
        if wants_json:
            return JSONResponse(result, status_code=exc.status)
        return _page(request, "diary_result.html", status=exc.status, me=me, result=result)
    entry = reply.body
    result = {"ok": True, "status": reply.status, "duplicate": reply.status == 200,
              "id": entry.get("client_id", entry_id), "kind": kind,
              "alerts": entry.get("alerts", []), "emergency": entry.get("emergency")}
    if wants_json:
        return JSONResponse(result, status_code=200)
    return _page(request, "diary_result.html", me=me, result=result)


ROUTES = [
    Route("/", home, methods=["GET"]),
    Route("/signin", signin_form, methods=["GET"]),
    Route("/signin", signin, methods=["POST"]),
    Route("/signout", signout, methods=["POST"]),
    Route("/clinic", clinic, methods=["GET"]),
    Route("/clinic/patients/{patient_id}", patient_page, methods=["GET"]),
    Route("/clinic/patients/{patient_id}/monitor", monitor, methods=["POST"]),
    Route("/clinic/alerts/{alert_id}/acknowledge", acknowledge, methods=["POST"]),
    Route("/clinic/plans/{plan_id}/versions", new_version, methods=["POST"]),
    Route("/pharmacy", pharmacy, methods=["GET"]),
    Route("/pharmacy/plans/{plan_id}", pharmacy_plan, methods=["GET"]),
    Route("/diary", diary, methods=["GET"]),
    Route("/diary/entries", diary_entry, methods=["POST"]),
]
"""The pages, as plain routes: they hold no access rules of their own (the API they call
decides), so they are not API routes and stay out of the OpenAPI schema."""


# ---------------------------------------------------------------------------- errors
async def on_signin_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    if request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        resp: Response = RedirectResponse(
            f"/signin?next={quote(target)}&message={quote(exc.message)}", status_code=303)
    else:
        resp = _page(request, "signin.html", status=401, next="/", message=exc.message,
                     error=None, username="")
    resp.delete_cookie(COOKIE, path="/")
    return resp


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    titles = {403: "Not allowed", 404: "Not found", 409: "Changed meanwhile"}
    return _page(request, "error.html", status=exc.status if exc.status < 500 else 502,
                 me=None, title=titles.get(exc.status, "Something went wrong"),
                 detail=exc.detail, field=exc.field, back="/")
