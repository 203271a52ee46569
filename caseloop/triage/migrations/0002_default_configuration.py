"""Ship the defaults of the process documents as editable rows: R4.1 priority rules, the
analysis templates of R3.2, and the settings row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def load_defaults(apps: Any, schema_editor: Any) -> None:
    from caseloop.triage.priority import DEFAULT_RULES

    PriorityRule = apps.get_model("triage", "PriorityRule")
    AnalysisTemplate = apps.get_model("triage", "AnalysisTemplate")
    TriageSettings = apps.get_model("triage", "TriageSettings")
    for position, rule in enumerate(DEFAULT_RULES):
        PriorityRule.objects.create(name=rule.name, level=rule.level, effect=rule.effect,
                                    keywords="\n".join(rule.keywords), customer_tiers=",".join(rule.customer_tiers),
                                    channels=",".join(rule.channels), position=position * 10)
    templates = json.loads((DATA / "analysis_templates.json").read_text(encoding="utf-8"))
    for feedback_type, template in templates.items():
        AnalysisTemplate.objects.create(feedback_type=feedback_type, checks="\n".join(template["checks"]),
                                        questions="\n".join(template["questions"]))
    TriageSettings.objects.get_or_create(pk=1)


def remove_defaults(apps: Any, schema_editor: Any) -> None:
    apps.get_model("triage", "PriorityRule").objects.all().delete()
    apps.get_model("triage", "AnalysisTemplate").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("triage", "0001_triage")]
    operations = [migrations.RunPython(load_defaults, remove_defaults)]
