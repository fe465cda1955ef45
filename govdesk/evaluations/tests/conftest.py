# The applications' service hall and stand-in PDF renderer, for rating applications (test_applications.py).
from govdesk.applications.tests.factories import fake_pdf, hall

__all__ = ["fake_pdf", "hall"]
