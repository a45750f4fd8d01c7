from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "ketacare.evaluation"
    label = "evaluation"
