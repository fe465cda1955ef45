"""Build the facts and rollups of orders that existed before statistics were installed (nothing to do on a new
database). Later changes keep them up to date in each order's own transaction."""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    WorkOrder = apps.get_model("workorders", "WorkOrder")
    if not WorkOrder.objects.exists():
        return
    # The maintenance code itself, so the facts are computed exactly as the live path computes them.
    from govdesk.stats.services import stats_rollup_rebuild

    stats_rollup_rebuild(kinds=["workorder"])  # applications get theirs in 0004


class Migration(migrations.Migration):
    dependencies = [("stats", "0001_initial"), ("workorders", "0002_open311_fields")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
