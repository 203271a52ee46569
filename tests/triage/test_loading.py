"""The triager in use follows the configuration: any added, changed or removed row replaces it."""

from __future__ import annotations

import pytest

from caseloop.triage.loading import current_triager
from caseloop.triage.models import DomainTerm, PriorityRule

pytestmark = pytest.mark.usefixtures("triage_ready")


def test_the_same_configuration_reuses_the_triager() -> None:
    assert current_triager() is current_triager()


def test_an_added_changed_or_removed_row_gives_a_new_triager() -> None:
    before = current_triager()

    rule = PriorityRule.objects.create(name="冒烟", keywords="冒烟")
    with_rule = current_triager()
    assert with_rule is not before
    assert with_rule.bundle is before.bundle  # only the configuration changed: the model stays loaded

    rule.keywords = "冒烟\n起火"
    rule.save()
    changed = current_triager()
    assert changed is not with_rule

    term = DomainTerm.objects.create(term="云联宽带")
    assert current_triager() is not changed
    after_term = current_triager()
    term.delete()
    assert current_triager() is not after_term
