import importlib
import pkgutil

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "caseloop.intake"
    label = "intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        # Each module of intake/channels/ registers its parser with @parser(channel) on import.
        from caseloop.intake import channels

        for module in pkgutil.iter_modules(channels.__path__):
            importlib.import_module(f"{channels.__name__}.{module.name}")
