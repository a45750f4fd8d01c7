from django.urls import path

from ketacare.evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("patients/<int:patient_id>/evaluation/new/", views.evaluation_new, name="new"),
    path(
        "patients/<int:patient_id>/evaluation/preview/",
        views.evaluation_preview,
        name="preview",
    ),
    path(
        "evaluations/<int:evaluation_id>/acknowledge/",
        views.acknowledge,
        name="acknowledge",
    ),
]
