"""Finding and recording customers. Identity resolution on normalised contact points (R1.5)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from caseloop.customers.models import Customer
from caseloop.customers.normalize import normalize_email, normalize_phone


@dataclass(frozen=True)
class CustomerDetails:
    """What a channel or an agent knows about the customer; every field may be empty."""

    name: str = ""
    is_anonymous: bool = False
    phone: str = ""
    email: str = ""
    address: str = ""
    member_id: str = ""
    wechat_openid: str = ""
    region: str = ""

    @property
    def has_contact_point(self) -> bool:
        return bool(self.phone or self.email or self.member_id or self.wechat_openid)


def customer_find(details: CustomerDetails) -> Customer | None:
    """The existing customer with any of these contact points, preferring the oldest record."""
    match = Q()
    if details.phone and (phone := normalize_phone(details.phone)):
        match |= Q(phone_normalized=phone)
    if details.email:
        match |= Q(email_normalized=normalize_email(details.email))
    if details.member_id:
        match |= Q(member_id=details.member_id.strip())
    if details.wechat_openid:
        match |= Q(wechat_openid=details.wechat_openid.strip())
    if not match:
        return None
    return Customer.objects.filter(match, is_anonymous=False).order_by("id").first()


def customer_resolve(details: CustomerDetails) -> Customer:
    """The customer these details describe: found by a contact point, else created.

    A found customer gets the details they lacked filled in; what is already recorded is kept
    (a person corrects it on purpose, not an incoming message by accident).
    """
    if details.is_anonymous and not details.has_contact_point:
        return Customer.objects.create(is_anonymous=True, name="", region=details.region.strip())
    customer = None if details.is_anonymous else customer_find(details)
    if customer is None:
        return Customer.objects.create(**customer_fields(details), is_anonymous=details.is_anonymous)
    missing = {name: value for name, value in customer_fields(details).items() if value and not getattr(customer, name)}
    if missing:
        for name, value in missing.items():
            setattr(customer, name, value)
        customer.save(update_fields=[*missing, "updated_at"])
    return customer


def customer_fields(details: CustomerDetails) -> dict[str, str]:
    """The Customer columns these details fill, normalised contact points included."""
    return {
        "name": details.name.strip(),
        "phone": details.phone.strip(),
        "phone_normalized": normalize_phone(details.phone) if details.phone else "",
        "email": details.email.strip(),
        "email_normalized": normalize_email(details.email) if details.email else "",
        "address": details.address.strip(),
        "member_id": details.member_id.strip(),
        "wechat_openid": details.wechat_openid.strip(),
        "region": details.region.strip(),
    }
