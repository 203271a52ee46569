from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "caseloop.demo"
    label = "demo"
    verbose_name = "Demo data"
