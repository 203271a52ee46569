from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseloop.core.models import TimeStampedModel


class CustomerTier(models.TextChoices):
    STANDARD = "standard", _("Standard")
    MEMBER = "member", _("Member")
    VIP = "vip", _("VIP")
    ENTERPRISE = "enterprise", _("Enterprise")


class Customer(TimeStampedModel):
    """A person or organisation that gives feedback; one customer, many cases.

    The `*_normalized` columns are what identity resolution matches on (R1.5).
    """

    name = models.CharField(_("name"), max_length=120, blank=True)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_normalized = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    email_normalized = models.CharField(max_length=254, blank=True, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=300, blank=True)
    member_id = models.CharField(_("member ID"), max_length=64, blank=True, db_index=True)
    wechat_openid = models.CharField(_("WeChat openid"), max_length=64, blank=True, db_index=True)
    region = models.CharField(_("region"), max_length=80, blank=True)
    tier = models.CharField(_("customer tier"), max_length=20, choices=CustomerTier.choices, default=CustomerTier.STANDARD)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        if self.is_anonymous:
            return str(_("Anonymous customer"))
        return self.name or f"#{self.pk}"


class PersonalDataAccess(models.Model):
    """One row per disclosure of unmasked personal data (R9.3: every access is logged).

    Append-only; read by auditors. `purpose` says why (view, print, export).
    """

    class Purpose(models.TextChoices):
        VIEW = "view", _("Viewed case")
        PRINT = "print", _("Printed sheet")
        EXPORT = "export", _("Export")
        API = "api", _("API read")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="access_log")
    case_number = models.CharField(max_length=32, blank=True)
    fields = models.CharField(max_length=200)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    accessed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-accessed_at"]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")

    def __str__(self) -> str:
        return f"{self.user_id} {self.purpose} {self.customer_id} {self.accessed_at:%Y-%m-%d %H:%M}"
