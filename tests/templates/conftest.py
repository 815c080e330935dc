"""Fixtures of the templates tests: apps reading tests/templates/pages."""
import pathlib

import pytest

PAGES = pathlib.Path(__file__).resolve().parent / 'pages'


@pytest.fixture
def pages():
    """The folder of the test templates."""
    return str(PAGES)
