"""Who may see which case: the one rule every list, detail, export and API path goes through.

- supervisors, service managers, QA reviewers, analysts, admins and auditors see every case;
- specialists and approvers see the cases of their departments, and cases they own or registered;
- agents see the cases they registered or own.
A case someone may not see is reported as not found, so numbers cannot be probed.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from caseloop.accounts.models import User
from caseloop.accounts.roles import ROLES_SCOPED_TO_DEPARTMENT, ROLES_SEEING_ALL_CASES
from caseloop.cases.models import Case
from caseloop.core.errors import NotFound


def visibility_filter(user: User) -> Q | None:
    """The condition on Case rows this user may see; None means every case, Q(pk__in=[]) none."""
    if not user.is_active:
        return Q(pk__in=[])
    if user.role in ROLES_SEEING_ALL_CASES:
        return None
    own = Q(owner_id=user.pk) | Q(registered_by_id=user.pk)
    if user.role in ROLES_SCOPED_TO_DEPARTMENT:
        return own | Q(department__in=user.departments.values("pk"))
    return own


def visible_cases(user: User) -> QuerySet[Case]:
    condition = visibility_filter(user)
    cases = Case.objects.all()
    return cases if condition is None else cases.filter(condition)


def access_case(user: User, number: str, *, for_update: bool = False) -> Case:
    """The case `number` if `user` may see it; NotFound otherwise (the same answer either way)."""
    cases = visible_cases(user).select_related("customer", "product", "order", "department", "owner",
                                                "registered_by", "duplicate_of")
    if for_update:
        cases = cases.select_for_update(of=("self",))
    try:
        return cases.get(number=number.strip().upper())
    except Case.DoesNotExist:
        raise NotFound(_("Case %(number)s was not found.") % {"number": number}) from None
