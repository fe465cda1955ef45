from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_alter_case_kind"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="kind",
            field=models.CharField(
                choices=[
                    ("workorder", "Work order"),
                    ("application", "Application"),
                    ("rectification", "Rectification"),
                    ("package", "Package application"),
                    ("report", "Unit report"),
                ],
                editable=False,
                max_length=20,
                verbose_name="kind",
            ),
        ),
    ]
