"""The six request types and the default time limits of DOMAIN.md §2 (Guangdong rules, 2022)."""

from django.db import migrations

TYPES = [
    # code, name, allows direct answer, completion limit in working days
    ("consultation", "咨询", True, 2),
    ("help", "求助", False, 10),
    ("complaint", "投诉", False, 15),
    ("report", "举报", False, 15),
    ("suggestion", "建议", False, 10),
    ("praise", "表扬", False, 10),
]


def forwards(apps, schema_editor):
    RequestType = apps.get_model("catalog", "RequestType")
    TimeLimitPolicy = apps.get_model("catalog", "TimeLimitPolicy")
    for order, (code, name, direct, days) in enumerate(TYPES):
        request_type, _ = RequestType.objects.get_or_create(
            code=code, defaults={"name": name, "allows_direct_answer": direct, "sort_order": order}
        )
        TimeLimitPolicy.objects.get_or_create(
            name=f"{name}：签收2个工作小时，办结{days}个工作日",
            defaults={
                "request_type": request_type, "urgency": "", "sign_amount": 2, "sign_unit": "working_hours",
                "finish_amount": days, "finish_unit": "working_days",
            },
        )
    TimeLimitPolicy.objects.get_or_create(
        name="紧急：30分钟内签收，24小时内办结",
        defaults={"urgency": "urgent", "sign_amount": 30, "sign_unit": "minutes", "finish_amount": 24, "finish_unit": "hours"},
    )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
