from django.urls import path

from ketacare.pharmacokinetics import views

app_name = "pharmacokinetics"

urlpatterns = [
    path("pk/preview/", views.preview, name="preview"),
]
