from django.apps import AppConfig


class ControlledSubstancesConfig(AppConfig):
    name = "ketacare.controlled_substances"
    label = "controlled_substances"
