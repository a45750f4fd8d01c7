from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "ketacare.careplans"
    label = "careplans"
