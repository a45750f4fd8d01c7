from django.urls import path

from ketacare.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("patients/<int:patient_id>/", views.patient_chart, name="patient_chart"),
    path("patients/<int:patient_id>/print/", views.patient_chart_print, name="patient_chart_print"),
    path("patients/<int:patient_id>/audit/", views.patient_audit, name="patient_audit"),
    path("sources/", views.clinical_sources, name="sources"),
]
