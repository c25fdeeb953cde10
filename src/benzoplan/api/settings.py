"""The service's one settings object, read from ``BENZOPLAN_*`` environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from benzoplan.store.db import DEFAULT_URL

__all__ = ["Settings"]


class Settings(BaseSettings):
    """``BENZOPLAN_DATABASE_URL``, ``BENZOPLAN_SECRET_KEY`` and the limits below.

    The secret signs sign-in tokens: it comes from the environment and is never stored in the
    repository. ``benzoplan serve`` generates a random one for the process when it is absent
    (tokens then end with the process).
    """

    model_config = SettingsConfigDict(env_prefix="BENZOPLAN_", extra="ignore", frozen=True)

    database_url: str = DEFAULT_URL
    secret_key: SecretStr | None = None
    token_minutes: int = Field(15, ge=1, le=24 * 60,
                               description="lifetime of a sign-in token in minutes")
    max_body_bytes: int = Field(256 * 1024, ge=1024,
                                description="larger request bodies get 413")
    signin_max_failures: int = Field(5, ge=1,
                                     description="failed sign-ins per user within the window "
                                     "before further attempts get 429")
    signin_window_seconds: int = Field(300, ge=1)
    cds_clients: str | None = Field(None, description="a JSON file of the CDS clients (EHRs) "
                                    "trusted to call CDS Hooks with signed JWTs")
    public_url: str | None = Field(None, description="the address clients reach this service "
                                   "at (e.g. https://benzoplan.clinic.example), when a proxy "
                                   "stands in front; CDS client JWTs name it in 'aud'")
    compute_processes: int = Field(1, ge=0, le=32,
                                   description="worker processes for pure computations "
                                   "(planning a taper, a safety check); 0 runs them on "
                                   "threads of the server process")
    compute_threads: int = Field(2, ge=1, le=64,
                                 description="threads for pure computations when "
                                 "compute_processes is 0")
