"""The API's docs pages are driven in a real browser too."""

from tests.support.browser import browser, page  # noqa: F401  (fixtures for the pages' tests)
