from django.contrib import admin

from ketacare.smart.models import SmartAppLaunchUrl


@admin.register(SmartAppLaunchUrl)
class SmartAppLaunchUrlAdmin(admin.ModelAdmin):
    """Where a registered app starts when a chart launches it (the app itself is registered
    under Django OAuth Toolkit's Applications)."""

    list_display = ("application", "launch_url")
