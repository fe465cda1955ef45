"""A user's phone number encrypted at rest (govdesk/common/crypto.py).

The column grows from varchar(20) to the ciphertext's length (the model's max_length stays the plaintext's). Existing
rows are encrypted in batches; migrating back decrypts them again, so no direction loses data.
"""

from typing import Any

from django.db import migrations

import govdesk.common.fields


def encrypt_rows(apps: Any, schema_editor: Any) -> None:
    govdesk.common.fields.encrypt_existing_rows(schema_editor, apps.get_model("org", "User"), ["phone"])


def decrypt_rows(apps: Any, schema_editor: Any) -> None:
    govdesk.common.fields.decrypt_existing_rows(schema_editor, apps.get_model("org", "User"), ["phone"])


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0002_user_not_superuser"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=govdesk.common.fields.EncryptedCharField(blank=True, max_length=20, verbose_name="phone"),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
    ]
