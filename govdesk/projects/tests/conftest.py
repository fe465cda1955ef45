"""Fixtures of the project services' and API tests (case_fixtures.py), for every test module here."""

from .case_fixtures import construction, fake_pdfs, travel

__all__ = ["construction", "fake_pdfs", "travel"]
