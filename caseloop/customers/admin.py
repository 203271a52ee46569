from django.contrib import admin

from caseloop.customers.models import Customer, PersonalDataAccess


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin[Customer]):
    list_display = ["id", "name", "tier", "region", "is_anonymous", "created_at"]
    list_filter = ["tier", "is_anonymous"]
    search_fields = ["name", "phone_normalized", "email_normalized", "member_id"]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin[PersonalDataAccess]):
    list_display = ["accessed_at", "user", "customer", "case_number", "fields", "purpose", "ip_address"]
    list_filter = ["purpose"]
    list_select_related = ["user", "customer"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
