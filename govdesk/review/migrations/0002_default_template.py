"""The shipped review template (data/work_review_default.json: section 一 of the district's 2022 work report with
every figure a placeholder), active unless a template is active already."""

import json
from pathlib import Path

from django.db import migrations

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "data" / "work_review_default.json"


def load_default(apps, schema_editor):
    ReviewTemplate = apps.get_model("review", "ReviewTemplate")
    ReviewParagraph = apps.get_model("review", "ReviewParagraph")
    data = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
    if ReviewTemplate.objects.filter(name=data["name"]).exists():
        return
    template = ReviewTemplate.objects.create(
        name=data["name"],
        heading=data["heading"],
        is_active=not ReviewTemplate.objects.filter(is_active=True).exists(),
    )
    ReviewParagraph.objects.bulk_create(
        ReviewParagraph(template=template, order=number, heading=paragraph.get("heading", ""), text=paragraph["text"])
        for number, paragraph in enumerate(data["paragraphs"], start=1)
    )


def unload_default(apps, schema_editor):
    ReviewTemplate = apps.get_model("review", "ReviewTemplate")
    data = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
    ReviewTemplate.objects.filter(name=data["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial")]

    operations = [migrations.RunPython(load_default, unload_default)]
