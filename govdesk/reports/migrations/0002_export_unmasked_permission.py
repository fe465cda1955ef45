from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="exportjob",
            options={
                "permissions": [("export_unmasked", "Can export the order list with full phone numbers")],
                "verbose_name": "order export",
                "verbose_name_plural": "order exports",
            },
        ),
        migrations.AddField(
            model_name="exportjob",
            name="unmask_reason",
            field=models.CharField(blank=True, max_length=200, verbose_name="reason for full phone numbers"),
        ),
    ]
