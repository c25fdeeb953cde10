"""The compute pool: computations in a worker process, errors with their field, and a worker
that dies is replaced."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from benzoplan.api.compute import Computer
from benzoplan.errors import InputError


def _double(x: int) -> int:
    return 2 * x


def _pid() -> int:
    return os.getpid()


def _refuse() -> None:
    raise InputError("no such dose", field="body.dose")


def _die_once(marker: str) -> str:
    if not Path(marker).exists():
        Path(marker).write_text("died")
        os._exit(1)
    return "answered"


@pytest.fixture(scope="module")
def computer() -> Iterator[Computer]:
    c = Computer(processes=1, threads=1)
    c.start()
    yield c
    c.close()


def test_runs_in_another_process(computer: Computer) -> None:
    assert anyio.run(computer.run, _double, 21) == 42
    assert anyio.run(computer.run, _pid) != os.getpid()


def test_an_error_keeps_its_type_and_field(computer: Computer) -> None:
    with pytest.raises(InputError) as info:
        anyio.run(computer.run, _refuse)
    assert info.value.field == "body.dose" and info.value.http_status == 422


def test_a_worker_that_dies_is_replaced_and_the_call_retried(computer: Computer,
                                                             tmp_path: Path) -> None:
    before = anyio.run(computer.run, _pid)
    marker = tmp_path / "marker"
    assert anyio.run(computer.run, _die_once, str(marker)) == "answered"
    assert marker.read_text() == "died"
    assert anyio.run(computer.run, _pid) != before


def test_without_processes_it_runs_on_threads() -> None:
    c = Computer(processes=0, threads=2)
    assert anyio.run(c.run, _pid) == os.getpid()
    c.close()
