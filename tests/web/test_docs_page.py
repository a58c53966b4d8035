"""The API documentation in a real browser (issue 10): Swagger UI from the server's
own files, under the pages' Content-Security-Policy, asking no other host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from .conftest import DESKTOP, Site, start_site, watch


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from start_site(tmp_path_factory.mktemp("docs"), demo=False)


def test_docs_render_with_no_outside_request_and_no_csp_violation(
    browser: Any, site: Site, errors: list[str]
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = watch(context.new_page(), errors)
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(f"{site.url}/docs")
    page.wait_for_selector(".opblock", timeout=20_000)  # the operations are listed
    assert page.locator(".opblock").count() >= 17
    assert page.get_by_text("/api/commands", exact=True).count() >= 1
    assert hosts == {urlsplit(site.url).netloc}
    assert errors == []  # a CSP violation is reported as a console error
    context.close()
