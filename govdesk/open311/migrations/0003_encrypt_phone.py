"""An Open311 submission's other phone number, e-mail address and pending batch intake encrypted at rest
(govdesk/common/crypto.py).

The phone and e-mail columns grow to the ciphertext's length (the model's max_length stays the plaintext's); the
pending intake becomes an encrypted text column ("" when empty). Existing rows are encrypted in batches; migrating back
decrypts them again, so no direction loses data.
"""

from typing import Any

from django.db import migrations

import govdesk.common.fields

ENCRYPTED = ["phone", "email"]
JSON = ["pending_intake"]


def encrypt_rows(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("open311", "Submission")
    govdesk.common.fields.encrypt_existing_rows(schema_editor, model, ENCRYPTED, json_fields=JSON)


def decrypt_rows(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("open311", "Submission")
    govdesk.common.fields.decrypt_existing_rows(schema_editor, model, ENCRYPTED, json_fields=JSON)


class Migration(migrations.Migration):
    dependencies = [
        ("open311", "0002_submission_other_phone"),
    ]

    operations = [
        migrations.AlterField(
            model_name="submission",
            name="email",
            field=govdesk.common.fields.EncryptedCharField(blank=True, max_length=254, verbose_name="email"),
        ),
        migrations.AlterField(
            model_name="submission",
            name="phone",
            field=govdesk.common.fields.EncryptedCharField(
                blank=True, max_length=30, verbose_name="other phone number"
            ),
        ),
        migrations.AlterField(
            model_name="submission",
            name="pending_intake",
            field=govdesk.common.fields.EncryptedJSONField(blank=True, default=dict, verbose_name="pending intake"),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
    ]
