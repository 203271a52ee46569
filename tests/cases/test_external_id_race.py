"""Two deliveries of the same channel message at the same moment still make one case."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from caseloop.cases.choices import Channel
from caseloop.cases.models import Case, CaseNumberSequence
from caseloop.cases.services import RegistrationResult
from tests.factories import register


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_with_one_external_id_create_one_case_and_use_one_number() -> None:
    barrier = threading.Barrier(6)
    results: list[RegistrationResult] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        barrier.wait()
        try:
            results.append(register(channel=Channel.API, external_id="partner-42"))
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Case.objects.count() == 1
    assert sum(result.created for result in results) == 1
    assert {result.case.pk for result in results} == {Case.objects.get().pk}
    # The losers' numbers were rolled back with them: no gap in the daily sequence.
    assert CaseNumberSequence.objects.get().last_value == 1
