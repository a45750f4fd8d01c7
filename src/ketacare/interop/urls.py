from django.urls import include, path

from ketacare.interop import views
from ketacare.interop.cds_hooks import views as cds

app_name = "interop"

urlpatterns = [
    path("", include("ketacare.interop.fhir.urls")),
    path("cds-services", cds.discovery, name="cds-discovery"),
    path("cds-services/<str:service_id>", cds.patient_view, name="cds-service"),
    path("cds-services/<str:service_id>/feedback", cds.feedback, name="cds-feedback"),
    path(
        "patients/<int:patient_id>/recommendation",
        views.recommendation_page,
        name="recommendation",
    ),
]
