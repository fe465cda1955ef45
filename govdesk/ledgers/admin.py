"""The ledgers in the admin: the definitions (indicators, programmes) are edited here by the system administrator,
each change audited; the rows and their versions are only looked at (they change through services.ledger_rows_write,
which versions and audits them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest

from govdesk.audit.services import audit_append
from govdesk.common.admin import ReadOnlyAdmin

from .models import (
    ContractCleanup,
    Indicator,
    IndicatorValue,
    LedgerRowVersion,
    MajorProject,
    MajorProjectProgress,
    Park,
    Programme,
    ProgrammeDisbursement,
    RoadWork,
    SelfBuiltHouse,
    ToiletRenovation,
)


class DefinitionAdmin(admin.ModelAdmin):
    """A definition's create, change and delete each leave an audit event in the same transaction."""

    object_type = ""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_append(
                action=f"ledger.{self.object_type}.{'change' if change else 'create'}",
                actor=request.user,
                object_type=self.object_type,
                object_id=obj.pk,
                note=f"{obj.code}: {', '.join(form.changed_data)}" if change else obj.code,
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            audit_append(
                action=f"ledger.{self.object_type}.delete",
                actor=request.user,
                object_type=self.object_type,
                object_id=obj.pk,
                note=obj.code,
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Indicator)
class IndicatorAdmin(DefinitionAdmin):
    object_type = "indicator"
    list_display = ("order", "code", "name", "measure", "frequency", "aggregation", "category", "source_unit")
    list_display_links = ("code", "name")
    list_filter = ("category", "frequency", "aggregation")
    search_fields = ("code", "name")
    ordering = ("order", "code")


@admin.register(Programme)
class ProgrammeAdmin(DefinitionAdmin):
    object_type = "programme"
    list_display = ("code", "name", "kind", "unit")
    list_filter = ("kind",)
    search_fields = ("code", "name")


class LedgerRowAdmin(ReadOnlyAdmin):
    list_filter = ("year", "is_void")
    list_select_related = ("reporting_unit",)
    base_display: tuple[str, ...] = ("year", "reporting_unit", "version", "source", "is_void", "updated_at")


def _row_admin(model: type[models.Model], *fields: str, search: tuple[str, ...] = ()) -> None:
    admin_class = type(
        f"{model.__name__}Admin",
        (LedgerRowAdmin,),
        {"list_display": (*fields, *LedgerRowAdmin.base_display), "search_fields": search},
    )
    admin.site.register(model, admin_class)


_row_admin(MajorProject, "name", "category", "total_investment", "annual_completed", "status", search=("name",))
_row_admin(MajorProjectProgress, "project", "month", "month_completed", "percent_complete", search=("project__name",))
_row_admin(IndicatorValue, "indicator", "month", "value", "last_year_value", search=("indicator__code",))
_row_admin(SelfBuiltHouse, "code", "township", "village", "hazard", "appraisal", search=("code", "village"))
_row_admin(ContractCleanup, "month", "township", "village", "contracts_cleaned", search=("village",))
_row_admin(ToiletRenovation, "month", "township", "village", "planned", "completed", search=("village",))
_row_admin(RoadWork, "name", "kind", "length_km", "completed_on", search=("name",))
_row_admin(Park, "name", "kind", "area_m2", "completed_on", search=("name",))
_row_admin(ProgrammeDisbursement, "programme", "month", "amount", "spending_driven", search=("programme__code",))


@admin.register(LedgerRowVersion)
class LedgerRowVersionAdmin(ReadOnlyAdmin):
    list_display = ("kind", "row_id", "version", "source", "changed_at", "changed_by", "note")
    list_filter = ("kind",)
    search_fields = ("source", "note")
