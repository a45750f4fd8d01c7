from django.apps import AppConfig


class PharmacokineticsConfig(AppConfig):
    name = "ketacare.pharmacokinetics"
    label = "pharmacokinetics"
