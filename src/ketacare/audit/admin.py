from django.contrib import admin

from ketacare.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("id", "occurred_at", "actor_username", "action", "target_type", "target_id")
    list_filter = ("action", "target_type", "channel")
    search_fields = ("actor_username", "target_id", "summary")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
