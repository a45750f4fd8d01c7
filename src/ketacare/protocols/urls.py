from django.urls import path

from ketacare.protocols import views

app_name = "protocols"

urlpatterns = [
    path("admin-pages/protocols/", views.library, name="library"),
    path(
        "admin-pages/protocols/<slug:code>/new-version/",
        views.new_version,
        name="new_version",
    ),
    path("admin-pages/clinic-policy/", views.clinic_policy, name="clinic_policy"),
]
