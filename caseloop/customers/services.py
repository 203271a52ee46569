"""Finding and recording customers. Identity resolution on normalised contact points (R1.5)."""

from __future__ import annotations

from dataclasses import dataclass

from caseloop.core.bulk_insert import insert_new
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
    contact_points = [
        ("phone_normalized", normalize_phone(details.phone) if details.phone else ""),
        ("email_normalized", normalize_email(details.email) if details.email else ""),
        ("member_id", details.member_id.strip()),
        ("wechat_openid", details.wechat_openid.strip()),
    ]
    known = [(column, value) for column, value in contact_points if value]
    if not known:
        return None
    # Every registration runs this lookup. Written out because Django compiles a queryset anew on
    # each call, which costs several times the query itself; the columns are the fixed names above.
    matches = " OR ".join(f"{column} = %s" for column, _value in known)
    found = Customer.objects.raw(
        f"SELECT * FROM customers_customer WHERE NOT is_anonymous AND ({matches}) ORDER BY id LIMIT 1",  # noqa: S608 - fixed columns
        [value for _column, value in known],
    )
    return next(iter(found), None)


def customer_resolve(details: CustomerDetails) -> Customer:
    """The customer these details describe: found by a contact point, else created.

    A found customer gets the details they lacked filled in; what is already recorded is kept
    (a person corrects it on purpose, not an incoming message by accident).
    """
    if details.is_anonymous and not details.has_contact_point:
        return insert_new(Customer(is_anonymous=True, name="", region=details.region.strip()))
    customer = None if details.is_anonymous else customer_find(details)
    if customer is None:
        return insert_new(Customer(**customer_fields(details), is_anonymous=details.is_anonymous))
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
