from django.urls import path

from ketacare.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/second-factor/", views.second_factor, name="second_factor"),
    path("login/enrol/", views.enrol, name="enrol"),
    path("account/confirm/", views.confirm, name="confirm"),
    path("account/", views.account, name="account"),
    path("account/passkeys/", views.passkeys, name="passkeys"),
    path("account/tokens/<int:token_id>/revoke/", views.revoke_own_token, name="revoke_own_token"),
    path("users/", views.users, name="users"),
]
