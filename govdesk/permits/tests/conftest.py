from govdesk.applications.tests.factories import fake_pdf, hall

__all__ = ["fake_pdf", "hall"]
