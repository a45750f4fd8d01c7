"""/fhir URL patterns (mounted by ``interop.urls``)."""

from django.urls import path, re_path

from ketacare.interop.fhir import views

_TYPE = r"(?P<resource_type>[A-Z][A-Za-z]{1,63})"
_ID = r"(?P<fhir_id>[A-Za-z0-9\-\.]{1,64})"

urlpatterns = [
    path("fhir/metadata", views.metadata, name="fhir-metadata"),
    re_path(rf"^fhir/{_TYPE}/_search$", views.search_post, name="fhir-search"),
    re_path(rf"^fhir/{_TYPE}/{_ID}$", views.read, name="fhir-read"),
    re_path(rf"^fhir/{_TYPE}$", views.type_endpoint, name="fhir-type"),
    # Not .well-known/: SMART discovery (ketacare.smart) lives beside the FHIR base.
    re_path(r"^fhir(?P<rest>/(?!\.well-known/).*)?$", views.unknown, name="fhir-unknown"),
]
