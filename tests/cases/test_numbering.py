"""Case numbers: CF + organisation-local date + daily sequence; never duplicated, never skipped."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from pytest_django import Settings

from caseloop.cases.models import Case, CaseEvent, CaseNumberSequence, CaseSearchDocument
from caseloop.cases.numbering import allocate_case_number, format_case_number
from caseloop.cases.services import CaseRegistration, UploadedAttachment, case_register
from caseloop.core import clock
from caseloop.core.errors import ApplicationError
from caseloop.customers.services import CustomerDetails
from tests.factories import register_case

UTC = dt.UTC
REPO_ROOT = Path(__file__).resolve().parents[2]


def _expected_numbers(day: dt.date, count: int) -> list[str]:
    return [f"CF{day:%Y%m%d}{value:04d}" for value in range(1, count + 1)]


# --- Format -----------------------------------------------------------------------------------


def test_number_is_prefix_date_and_four_digit_sequence() -> None:
    assert format_case_number("CF", dt.date(2026, 11, 23), 1) == "CF202611230001"
    assert format_case_number("CF", dt.date(2026, 1, 5), 42) == "CF202601050042"


def test_sequence_widens_past_9999_instead_of_failing() -> None:
    assert format_case_number("CF", dt.date(2026, 11, 23), 9999) == "CF202611239999"
    assert format_case_number("CF", dt.date(2026, 11, 23), 10000) == "CF2026112310000"


@pytest.mark.django_db(transaction=True)
def test_allocating_outside_the_registering_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError, match="inside the registering transaction"):
        allocate_case_number(prefix="CF", day=dt.date(2026, 11, 23))

    assert not CaseNumberSequence.objects.exists()


# --- Registration numbers ---------------------------------------------------------------------


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 11, 23, 2, 0, tzinfo=UTC), tick=False)
def test_first_cases_of_the_day_are_numbered_from_0001_in_order() -> None:
    numbers = [register_case().number for _ in range(3)]

    assert numbers == ["CF202611230001", "CF202611230002", "CF202611230003"]
    counter = CaseNumberSequence.objects.get()
    assert (counter.prefix, counter.day, counter.last_value) == ("CF", dt.date(2026, 11, 23), 3)


@pytest.mark.django_db
def test_number_prefix_comes_from_the_organisation_settings(settings: Settings) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "CASE_NUMBER_PREFIX": "HX"}
    with time_machine.travel(dt.datetime(2026, 11, 23, 2, 0, tzinfo=UTC), tick=False):
        case = register_case()

    assert case.number == "HX202611230001"


@pytest.mark.django_db
def test_the_day_in_the_number_is_the_organisations_day_not_utc() -> None:
    # Given 16:30 UTC on 23 November, which is already 00:30 on the 24th in Shanghai
    with time_machine.travel(dt.datetime(2026, 11, 23, 16, 30, tzinfo=UTC), tick=False):
        after_midnight = register_case()
    # and 15:59 UTC, still 23:59 on the 23rd in Shanghai
    with time_machine.travel(dt.datetime(2026, 11, 23, 15, 59, tzinfo=UTC), tick=False):
        before_midnight = register_case()

    # Then each day has its own sequence, both starting at 0001
    assert after_midnight.number == "CF202611240001"
    assert before_midnight.number == "CF202611230001"
    assert set(CaseNumberSequence.objects.values_list("day", "last_value")) == {
        (dt.date(2026, 11, 24), 1),
        (dt.date(2026, 11, 23), 1),
    }


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 11, 23, 2, 0, tzinfo=UTC), tick=False)
def test_the_ten_thousandth_case_of_a_day_gets_a_five_digit_sequence() -> None:
    CaseNumberSequence.objects.create(prefix="CF", day=dt.date(2026, 11, 23), last_value=9999)

    case = register_case()

    assert case.number == "CF2026112310000"
    assert CaseNumberSequence.objects.get().last_value == 10000


def _registration_failing_after_numbering() -> CaseRegistration:
    # The attachment is checked after the case row (and its number) exist.
    exe = b"MZ\x90\x00" + b"\x00" * 60
    return CaseRegistration(
        channel="web",
        subject="附件有问题",
        content="见附件。",
        received_at=clock.now() - dt.timedelta(minutes=1),
        customer=CustomerDetails(name="孙丽", phone="13600000001"),
        attachments=[UploadedAttachment(name="photo.jpg", stream=io.BytesIO(exe), size=len(exe))],
    )


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 11, 23, 2, 0, tzinfo=UTC), tick=False)
def test_a_registration_that_rolls_back_after_numbering_does_not_consume_a_number() -> None:
    # Given the very first registration of the day fails after it was numbered
    with pytest.raises(ApplicationError):
        case_register(registration=_registration_failing_after_numbering(), registered_by=None)
    assert not Case.objects.exists()
    assert not CaseNumberSequence.objects.exists()

    # When the next one succeeds, it is 0001
    first = register_case()
    assert first.number == "CF202611230001"

    # And a later failure leaves the counter where it was
    with pytest.raises(ApplicationError):
        case_register(registration=_registration_failing_after_numbering(), registered_by=None)
    assert CaseNumberSequence.objects.get().last_value == 1

    second = register_case()
    assert second.number == "CF202611230002"
    assert list(Case.objects.order_by("number").values_list("number", flat=True)) == [
        "CF202611230001",
        "CF202611230002",
    ]


# --- Concurrency ------------------------------------------------------------------------------

THREADS = 16
CASES_PER_THREAD = 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_in_threads_get_every_number_once_without_gaps() -> None:
    # Given 16 threads released at the same moment, each registering 5 cases
    barrier = threading.Barrier(THREADS)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    day = clock.local_date(clock.now())

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            for seq in range(CASES_PER_THREAD):
                registration = CaseRegistration(
                    channel="api",
                    subject=f"并发登记 {index}-{seq}",
                    content="同一时刻提交的反馈。",
                    received_at=clock.now(),
                    customer=CustomerDetails(phone=f"135{index:04d}{seq:04d}"),
                )
                case = case_register(registration=registration, registered_by=None).case
                with lock:
                    numbers.append(case.number)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # Then every registration succeeded and the numbers are exactly 0001..0080
    total = THREADS * CASES_PER_THREAD
    assert errors == []
    assert sorted(numbers) == _expected_numbers(day, total)
    assert sorted(Case.objects.values_list("number", flat=True)) == _expected_numbers(day, total)
    assert CaseNumberSequence.objects.get(prefix="CF", day=day).last_value == total
    # and each case got its search document and first event in the same transaction
    assert CaseSearchDocument.objects.count() == total
    assert CaseEvent.objects.filter(kind="created").count() == total


def _database_url_for_other_processes() -> str:
    """DATABASE_URL naming the test database this session is using."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            pytest.skip("an in-memory SQLite database cannot be shared with other processes")
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor == "postgresql":
        user = urllib.parse.quote(db["USER"] or "", safe="")
        password = f":{urllib.parse.quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
        host = db["HOST"] or "localhost"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"
    pytest.skip(f"no multi-process test for {connection.vendor}")
    raise AssertionError("unreachable")


# Each process registers its cases once the parent says go, and prints their numbers.
_REGISTER_SCRIPT = """
import datetime as dt, sys
import django
django.setup()
from django.db import connection
from caseloop.cases import search
from caseloop.cases.services import CaseRegistration, case_register
from caseloop.core import clock
from caseloop.customers.services import CustomerDetails
index, count = int(sys.argv[1]), int(sys.argv[2])
search.index_terms("预热分词")  # load the dictionary before the race, not inside it
print("ready", flush=True)
sys.stdin.readline()
for seq in range(count):
    registration = CaseRegistration(
        channel="email", subject=f"多进程登记 {index}-{seq}", content="多个进程同时登记。",
        received_at=clock.now(), customer=CustomerDetails(email=f"p{index}-{seq}@example.com"),
    )
    print(case_register(registration=registration, registered_by=None).case.number, flush=True)
connection.close()
"""

PROCESSES = 4
CASES_PER_PROCESS = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_in_separate_processes_get_every_number_once_without_gaps() -> None:
    # Given 4 processes connected to this test database, all waiting at the start line
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_other_processes(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    day = clock.local_date(clock.now())
    processes = [
        subprocess.Popen(  # noqa: S603 - fixed interpreter and script, no shell
            [sys.executable, "-c", _REGISTER_SCRIPT, str(index), str(CASES_PER_PROCESS)],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(PROCESSES)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            ready = process.stdout.readline().strip()
            assert ready == "ready", process.stderr.read() if process.stderr else ready

        # When they are all released together
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()

    # Then each process succeeded and between them they used exactly 0001..0032
    for process, (_stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    numbers = [line for stdout, _stderr in outputs for line in stdout.split()]
    total = PROCESSES * CASES_PER_PROCESS
    assert sorted(numbers) == _expected_numbers(day, total)
    assert sorted(Case.objects.values_list("number", flat=True)) == _expected_numbers(day, total)
    assert CaseNumberSequence.objects.get(prefix="CF", day=day).last_value == total
