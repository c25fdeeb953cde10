import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=100, deadline=None)
# CI runs a fixed, reproducible set of examples (derandomize), so a red or green CI is never
# the luck of the draw; developers run fresh random examples locally.
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "default")
