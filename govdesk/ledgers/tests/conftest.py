"""Fixtures of the xlsx, command and page tests (the core's tests import their own from core_fixtures)."""

from .xlsx_fixtures import ledger_rows_2022, sample_definitions

__all__ = ["ledger_rows_2022", "sample_definitions"]
