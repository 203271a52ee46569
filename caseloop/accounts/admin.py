from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from caseloop.accounts.models import Department, Team, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["name", "code", "is_active"]
    search_fields = ["name", "code"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "department"]
    list_select_related = ["department"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "display_name", "role", "is_active"]
    list_filter = ["role", "is_active", "departments"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Caseloop"), {"fields": ("role", "display_name", "employee_code", "phone", "departments", "teams")}),
    )
    filter_horizontal = ("departments", "teams", "groups", "user_permissions")
