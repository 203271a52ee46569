from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "caseloop.api"
    label = "api"
    verbose_name = _("REST API")

    def ready(self) -> None:
        from caseloop.api import signals  # noqa: F401 - connects the receivers
