from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from .models import CalendarDay, CalendarYear
from .selectors import calendar_invalidate


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 5


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "source", "updated_at")
    inlines = [CalendarDayInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        transaction.on_commit(calendar_invalidate)
