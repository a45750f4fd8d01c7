from django.apps import AppConfig


class SmartConfig(AppConfig):
    name = "ketacare.smart"
    label = "smart"
    verbose_name = "SMART on FHIR"

    def ready(self) -> None:
        # SMART access tokens are one more way of calling /fhir: tried before KetaCare's own
        # API tokens, which would not recognise them.
        from ketacare.interop.fhir.access import register_authenticator
        from ketacare.smart.selectors import smart_principal

        register_authenticator(smart_principal)
        from ketacare.interop.fhir import capability
        from ketacare.smart.views import oauth_uris_extension, security_service

        if security_service not in capability.SECURITY_SERVICES:
            capability.SECURITY_SERVICES.append(security_service)
            capability.SECURITY_EXTENSIONS.append(oauth_uris_extension)
