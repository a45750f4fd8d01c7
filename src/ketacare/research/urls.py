from django.urls import path

from ketacare.research import views

app_name = "research"

urlpatterns = [
    path("research/", views.home, name="home"),
    path("research/exports/", views.create_export, name="export"),
    path("research/exports/<int:export_id>/download/", views.download, name="download"),
]
