from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ketacare.accounts"
    label = "accounts"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from ketacare.accounts import signals
        from ketacare.accounts.middleware import on_sign_in

        uid = "ketacare.accounts."
        user_logged_in.connect(on_sign_in, dispatch_uid=uid + "second_factor_state")
        user_logged_in.connect(signals.on_logged_in, dispatch_uid=uid + "audit_login")
        user_login_failed.connect(signals.on_login_failed, dispatch_uid=uid + "audit_failed")
        user_logged_out.connect(signals.on_logged_out, dispatch_uid=uid + "audit_logout")
        user_locked_out.connect(signals.on_locked_out, dispatch_uid=uid + "audit_lockout")
