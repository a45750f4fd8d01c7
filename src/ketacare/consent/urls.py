from django.urls import path

from ketacare.consent import views

app_name = "consent"

urlpatterns = [
    path("patients/<int:patient_id>/consents/sign/", views.sign, name="sign"),
    path("consents/<int:consent_id>/", views.detail, name="detail"),
    path("consents/<int:consent_id>/withdraw/", views.withdraw, name="withdraw"),
    path("admin-pages/consent-documents/", views.documents, name="documents"),
]
