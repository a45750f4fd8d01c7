from django.urls import path

from ketacare.portal import views

app_name = "portal"

urlpatterns = [
    path("portal/", views.home, name="home"),
    path("portal/self-report/<slug:instrument>/", views.self_report, name="self_report"),
    path("portal/plan/", views.plan, name="plan"),
    path("portal/consents/", views.consents, name="consents"),
    path("portal/learn/", views.learn, name="learn"),
    path("r/<str:token>/", views.link_self_report, name="link_self_report"),
    path("portal/activate/<str:uidb64>/<str:token>/", views.activate, name="activate"),
]
