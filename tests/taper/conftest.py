import datetime as dt

from benzoplan.taper import ScheduledDose
from benzoplan.units import Dose


def regimen(*pairs: tuple[str, str]) -> tuple[ScheduledDose, ...]:
    return tuple(ScheduledDose(dt.time.fromisoformat(t), Dose(d)) for t, d in pairs)
