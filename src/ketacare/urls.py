from django.contrib import admin
from django.urls import include, path

from ketacare.api import api
from ketacare.apps_registry import CLINIC_APPS, optional_module

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    # Apps with pages (or non-/api endpoints such as CDS Hooks) contribute a urls module.
    *(
        path("", include(f"ketacare.{app}.urls"))
        for app in CLINIC_APPS
        if optional_module(app, "urls") is not None
    ),
    path("", include("ketacare.web.urls")),
]
