"""The citizen's phone and ID number encrypted at rest, with blind indexes for exact lookups (govdesk/common/crypto.py).

The columns grow from varchar(20)/varchar(18) to the ciphertext's length (the model's max_length stays the
plaintext's), the plain phone index is dropped (it would index ciphertext) and two indexed blind-index columns are
added. Existing rows are encrypted in batches with the current GOVDESK_FIELD_KEYS key and get their indexes; rows
already encrypted are left as they are. Migrating back decrypts them again, so no direction loses data.
"""

from typing import Any

from django.db import migrations

import govdesk.common.fields

ENCRYPTED = ["citizen_phone", "citizen_id_number"]
INDEXES = {
    "citizen_phone_index": ("citizen_phone", "phone"),
    "citizen_id_number_index": ("citizen_id_number", "id_number"),
}


def encrypt_rows(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("workorders", "WorkOrder")
    govdesk.common.fields.encrypt_existing_rows(schema_editor, model, ENCRYPTED, INDEXES)


def decrypt_rows(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("workorders", "WorkOrder")
    govdesk.common.fields.decrypt_existing_rows(schema_editor, model, ENCRYPTED)


class Migration(migrations.Migration):
    dependencies = [
        ("workorders", "0002_open311_fields"),
    ]

    operations = [
        migrations.AlterField(
            model_name="workorder",
            name="citizen_phone",
            field=govdesk.common.fields.EncryptedCharField(blank=True, max_length=20, verbose_name="citizen phone"),
        ),
        migrations.AlterField(
            model_name="workorder",
            name="citizen_id_number",
            field=govdesk.common.fields.EncryptedCharField(blank=True, max_length=18, verbose_name="citizen ID number"),
        ),
        migrations.AddField(
            model_name="workorder",
            name="citizen_phone_index",
            field=govdesk.common.fields.BlindIndexField(
                blank=True,
                db_index=True,
                default="",
                editable=False,
                kind="phone",
                max_length=32,
                source="citizen_phone",
            ),
        ),
        migrations.AddField(
            model_name="workorder",
            name="citizen_id_number_index",
            field=govdesk.common.fields.BlindIndexField(
                blank=True,
                db_index=True,
                default="",
                editable=False,
                kind="id_number",
                max_length=32,
                source="citizen_id_number",
            ),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
    ]
