"""/fhir URL patterns (mounted by ``interop.urls``)."""

from django.urls import path, re_path

from ketacare.interop.fhir import bulk_views, views

_TYPE = r"(?P<resource_type>[A-Z][A-Za-z]{1,63})"
_ID = r"(?P<fhir_id>[A-Za-z0-9\-\.]{1,64})"

urlpatterns = [
    path("fhir/metadata", views.metadata, name="fhir-metadata"),
    path("fhir/$export", bulk_views.system_export, name="fhir-export"),
    path("fhir/Patient/$export", bulk_views.patient_export, name="fhir-patient-export"),
    path("fhir/bulk/<uuid:job_id>", bulk_views.export_status, name="fhir-export-status"),
    re_path(
        r"^fhir/bulk/(?P<job_id>[0-9a-f-]{36})/(?P<name>[A-Za-z]{1,64}-[0-9]{1,6}\.ndjson)$",
        bulk_views.export_file,
        name="fhir-export-file",
    ),
    re_path(rf"^fhir/{_TYPE}/_search$", views.search_post, name="fhir-search"),
    re_path(rf"^fhir/{_TYPE}/{_ID}$", views.read, name="fhir-read"),
    re_path(rf"^fhir/{_TYPE}$", views.type_endpoint, name="fhir-type"),
    # Not .well-known/: SMART discovery (ketacare.smart) lives beside the FHIR base.
    re_path(r"^fhir(?P<rest>/(?!\.well-known/).*)?$", views.unknown, name="fhir-unknown"),
]
