from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "ketacare.research"
    label = "research"
