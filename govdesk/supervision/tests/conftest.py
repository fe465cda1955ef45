# The applications' fixtures (the service hall, its matters and clerk; a fast stand-in for the notices' PDF), for the
# tests of supervising applications.
from govdesk.applications.tests.factories import fake_pdf, hall

__all__ = ["fake_pdf", "hall"]
