"""Logging in a browser page the way every browser test does, with what went wrong on it collected as it happens."""

from __future__ import annotations

from typing import Any

from govdesk.org.tests.factories import TEST_PASSWORD


def log_in(browser: Any, base_url: str, username: str, *, accept_downloads: bool = False) -> Any:
    """A new English-language browser context logged in as `username`.

    The page collects `js_errors` (uncaught exceptions and console errors) and `problems` (those, plus failed
    requests and HTTP responses ≥ 400), so a test can assert that nothing went wrong.
    """
    context = browser.new_context(
        locale="en-US", viewport={"width": 1366, "height": 900}, accept_downloads=accept_downloads
    )
    page = context.new_page()
    js_errors: list[str] = []
    problems: list[str] = []

    def on_page_error(exc: Any) -> None:
        js_errors.append(str(exc))
        problems.append(f"page error: {exc}")

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            js_errors.append(msg.text)
            problems.append(f"console: {msg.text}")

    page.on("pageerror", on_page_error)
    page.on("console", on_console)
    # A link answered with a file (Content-Disposition: attachment) ends its navigation as ERR_ABORTED: that is the
    # download starting, not a failure. The two events come in either order.
    downloads: set[str] = set()

    def aborted_by_download(url: str) -> str:
        return f"failed: {url} net::ERR_ABORTED"

    def on_download(download: Any) -> None:
        downloads.add(download.url)
        while aborted_by_download(download.url) in problems:
            problems.remove(aborted_by_download(download.url))

    def on_request_failed(req: Any) -> None:
        if not (req.failure == "net::ERR_ABORTED" and req.url in downloads):
            problems.append(f"failed: {req.url} {req.failure}")

    page.on("download", on_download)
    page.on("requestfailed", on_request_failed)
    page.on("response", lambda resp: problems.append(f"HTTP {resp.status}: {resp.url}") if resp.status >= 400 else None)
    page.js_errors = js_errors
    page.problems = problems
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    return page
