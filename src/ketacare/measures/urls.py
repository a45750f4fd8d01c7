from django.urls import path

from ketacare.measures import views

app_name = "measures"

urlpatterns = [
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="acknowledge"),
]
