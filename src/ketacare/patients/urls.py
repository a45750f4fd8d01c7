from django.urls import path

from ketacare.patients import views

app_name = "patients"

urlpatterns = [
    path("patients/", views.patient_list, name="list"),
    path("patients/new/", views.patient_register, name="register"),
    path("patients/<int:patient_id>/edit/", views.patient_edit, name="edit"),
]
