"""benzoplan's web service (FastAPI): ``create_app(Settings())``.

Routes live under ``/api/v1`` in one thin module per topic (:mod:`benzoplan.api.routes`);
typed dependencies (:mod:`benzoplan.api.deps`) give each route its session, the signed-in
actor and the patient, plan or alert it may touch. Errors are RFC 9457 problem+json
(:mod:`benzoplan.api.problems`).
"""

from benzoplan.api.app import API_PREFIX, create_app
from benzoplan.api.settings import Settings

__all__ = ["API_PREFIX", "Settings", "create_app"]
