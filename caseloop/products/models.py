from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from caseloop.core.models import TimeStampedModel
from caseloop.customers.models import Customer


class Product(TimeStampedModel):
    """An item of the catalogue that feedback is about; the product line drives routing later."""

    brand = models.CharField(_("brand"), max_length=80)
    name = models.CharField(_("product name"), max_length=120)
    model = models.CharField(_("model"), max_length=80, db_index=True)
    product_line = models.CharField(_("product line"), max_length=80, blank=True)
    is_service = models.BooleanField(_("is a service"), default=False)

    class Meta:
        ordering = ["brand", "name", "model"]
        constraints = [models.UniqueConstraint(fields=["brand", "model"], name="product_unique_brand_model")]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.brand} {self.name} {self.model}".strip()


class Order(TimeStampedModel):
    """A purchase or service order a case refers to (order number, voucher, where and when bought)."""

    order_number = models.CharField(_("order number"), max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders")
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders")
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    purchase_voucher_number = models.CharField(_("purchase voucher number"), max_length=64, blank=True)
    purchase_place = models.CharField(_("place of purchase"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return self.order_number
