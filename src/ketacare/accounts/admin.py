from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from ketacare.accounts.models import Clinic, User


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ("name", "rems_certified")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "role", "clinic", "license_expiry", "is_active")
    list_filter = ("role", "clinic", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("KetaCare", {"fields": ("role", "clinic", "license_number", "license_expiry", "patient")}),
    )
