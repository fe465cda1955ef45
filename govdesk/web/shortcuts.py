"""Moved to `govdesk.common.pages` (the layers: an app's pages must not import `web`, the top layer). Kept so that
code written against the old place still runs; new code imports `govdesk.common.pages`."""

from govdesk.common.pages import application_error_page, client_ip, error_page, forbidden, staff_page

__all__ = ["application_error_page", "client_ip", "error_page", "forbidden", "staff_page"]
