from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "ketacare.protocols"
    label = "protocols"
