from django.urls import path

from ketacare.treatment import views

app_name = "treatment"

urlpatterns = [
    path("sessions/<int:session_id>/rems-form/", views.rems_form, name="rems_form"),
]
