"""Showing a customer's personal data: unmasked only for roles that need it, and every such
disclosure logged (R9.3). Masking itself is in masking.py."""

from __future__ import annotations

from dataclasses import dataclass

from caseloop.accounts.models import User
from caseloop.accounts.roles import Capability
from caseloop.customers.masking import mask_email, mask_name, mask_phone, mask_text
from caseloop.customers.models import Customer, PersonalDataAccess

PERSONAL_FIELDS = ("phone", "email", "address", "member_id")


@dataclass(frozen=True)
class CustomerContact:
    name: str
    is_anonymous: bool
    phone: str
    email: str
    address: str
    member_id: str
    region: str
    tier: str
    is_masked: bool


def may_see_personal_data(user: User) -> bool:
    return user.can(Capability.VIEW_PERSONAL_DATA)


def customer_contact_for(
    *, user: User, customer: Customer, purpose: str, case_number: str = "", ip_address: str | None = None
) -> CustomerContact:
    """The customer's contact details as `user` may see them; logs the access when unmasked."""
    if not may_see_personal_data(user):
        return masked_contact(customer)
    disclosed = [name for name in PERSONAL_FIELDS if getattr(customer, name)]
    if disclosed:
        PersonalDataAccess.objects.create(user=user, customer=customer, case_number=case_number,
                                          fields=",".join(disclosed), purpose=purpose, ip_address=ip_address)
    return CustomerContact(name=customer.name, is_anonymous=customer.is_anonymous, phone=customer.phone,
                           email=customer.email, address=customer.address, member_id=customer.member_id,
                           region=customer.region, tier=customer.get_tier_display(), is_masked=False)


def masked_contact(customer: Customer) -> CustomerContact:
    return CustomerContact(name=mask_name(customer.name), is_anonymous=customer.is_anonymous,
                           phone=mask_phone(customer.phone), email=mask_email(customer.email),
                           address=mask_text(customer.address), member_id=mask_text(customer.member_id),
                           region=customer.region, tier=customer.get_tier_display(), is_masked=True)
