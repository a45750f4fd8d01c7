from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ketacare.web"
    label = "web"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from ketacare.web.sessions import stamp_on_sign_in

        user_logged_in.connect(stamp_on_sign_in, dispatch_uid="ketacare.web.stamp_on_sign_in")
