from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "caseloop.core"
    label = "core"
    verbose_name = "Caseloop core"
