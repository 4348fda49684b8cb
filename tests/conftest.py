"""Shared fixtures: the demo report, built once per test session (incrementally)."""

from __future__ import annotations

import os

import pytest

from isnote.config import DEFAULT_PARAMS, load_params


@pytest.fixture(scope="session")
def demo_params():
    return load_params(DEFAULT_PARAMS)


@pytest.fixture(scope="session")
def built_report(demo_params):
    """Run `make report`'s chain on the demo data (a no-op when already up to date)."""
    from isnote import pipeline

    os.environ.pop("ISNOTE_OUTPUT_DIR", None)
    pipeline.run(str(DEFAULT_PARAMS))
    return demo_params.layout
