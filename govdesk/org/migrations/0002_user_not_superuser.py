"""No account is a superuser, whatever path writes it (等保2.0 三权分立: the last line of defence).

Existing superusers, if any, lose the flag first, so the constraint can be added; their powers come from roles only.
"""

from typing import Any

from django.db import migrations, models


def drop_superuser_flags(apps: Any, schema_editor: Any) -> None:
    apps.get_model("org", "User").objects.filter(is_superuser=True).update(is_superuser=False)


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]

    operations = [
        migrations.RunPython(drop_superuser_flags, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(condition=models.Q(is_superuser=False), name="org_user_not_superuser"),
        ),
    ]
