"""The collector pause around reports: always undone, also across threads and errors."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from graph.kit import collector


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_a_report_pauses_the_collector_and_resumes_it_even_when_it_fails() -> None:
    @collector.pausing
    def report(fail: bool) -> bool:
        if fail:
            raise ValueError("bad input")
        return gc.isenabled()

    assert report(False) is False  # no collection while the rows are built
    assert gc.isenabled()
    with pytest.raises(ValueError, match="bad input"):
        report(True)
    assert gc.isenabled()


def test_the_collector_resumes_when_the_last_of_overlapping_reports_ends() -> None:
    first_in, second_done, results = threading.Event(), threading.Event(), {}

    def long_report() -> None:
        with collector.paused():
            first_in.set()
            second_done.wait(30)
            results["long, after the short one ended"] = gc.isenabled()

    thread = threading.Thread(target=long_report)
    thread.start()
    assert first_in.wait(30)
    with collector.paused():  # a second report in this thread, inside the first one's pause
        pass
    results["between the two ends"] = gc.isenabled()
    second_done.set()
    thread.join(30)
    assert results == {"between the two ends": False, "long, after the short one ended": False}
    assert gc.isenabled()


def test_a_collector_switched_off_by_its_owner_stays_off() -> None:
    gc.disable()
    with collector.paused():
        pass
    assert not gc.isenabled()
