from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_export_unmasked_permission"),
    ]

    operations = [
        migrations.AddField(
            model_name="exportjob",
            name="kind",
            field=models.CharField(
                choices=[("orders", "Order list"), ("applications", "Application ledger")],
                default="orders",
                max_length=12,
                verbose_name="list",
            ),
        ),
    ]
