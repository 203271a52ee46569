from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseloop.accounts.roles import Capability, Role, role_can
from caseloop.core.models import TimeStampedModel


class Department(TimeStampedModel):
    """A handling department (客服部, 技术支持部, …); cases are routed to one."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.TextField(_("scope and authority"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Team(TimeStampedModel):
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["department__name", "name"]
        constraints = [models.UniqueConstraint(fields=["department", "name"], name="team_unique_name_per_department")]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return f"{self.department.name} / {self.name}"


class User(AbstractUser):
    """A person working cases. One role per person; departments scope what specialists see."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    employee_code = models.CharField(_("employee ID"), max_length=32, blank=True)
    phone = models.CharField(_("work phone"), max_length=32, blank=True)
    departments = models.ManyToManyField(Department, blank=True, related_name="members", verbose_name=_("departments"))
    teams = models.ManyToManyField(Team, blank=True, related_name="members", verbose_name=_("teams"))

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def can(self, capability: Capability) -> bool:
        return self.is_active and role_can(self.role, capability)
