from django.urls import path

from ketacare.controlled_substances import views

app_name = "controlled_substances"

urlpatterns = [
    path("inventory/", views.inventory, name="inventory"),
    path("inventory/ledger/", views.ledger, name="ledger"),
    path("inventory/receive/", views.receive, name="receive"),
    path("inventory/waste/", views.waste, name="waste"),
    path("inventory/count/", views.count, name="count"),
    path(
        "inventory/discrepancies/<int:discrepancy_id>/",
        views.discrepancy,
        name="discrepancy",
    ),
]
