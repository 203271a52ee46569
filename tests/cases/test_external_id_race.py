"""Two deliveries of the same channel message at the same moment still make one case."""

from __future__ import annotations

import pytest

from caseloop.cases.choices import Channel
from caseloop.cases.models import Case, CaseNumberSequence
from tests.concurrency import run_concurrently
from tests.factories import register


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_with_one_external_id_create_one_case_and_use_one_number() -> None:
    results = run_concurrently(lambda _index: register(channel=Channel.API, external_id="partner-42"), threads=6)

    assert Case.objects.count() == 1
    assert sum(result.created for result in results) == 1
    assert {result.case.pk for result in results} == {Case.objects.get().pk}
    # The losers' numbers were rolled back with them: no gap in the daily sequence.
    assert CaseNumberSequence.objects.get().last_value == 1
