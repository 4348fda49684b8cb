"""Shared fixtures: the demo report, built once per test session (incrementally); the long runs
of tests/chains.py (whole chains, nbval replays), started in the background as the session begins."""

from __future__ import annotations

import os

import pytest

from isnote.config import DEFAULT_PARAMS, load_params


@pytest.fixture(scope="session")
def demo_params():
    return load_params(DEFAULT_PARAMS)


def build_demo_report() -> None:
    """`make report`'s chain on the demo data (a no-op when already up to date). No test reads the
    demo note's PDF (the PDF of the demo data is checked on the hostile variant of
    test_hostile_leaks), so outputs without one (a fresh clone) are built without it; outputs that
    have one (`make report`) are used as they are when up to date, and otherwise rebuilt with it:
    `make test` never leaves the user's outputs without their PDF. Run as a job of
    tests/chains.py, by the first test that needs it."""
    from isnote import pipeline

    params = load_params(DEFAULT_PARAMS)
    pdf = params.layout.note_pdf.is_file()
    _, _, todo, _ = pipeline.plan(params, params.layout, pdf=pdf)
    if todo:
        pipeline.run(str(DEFAULT_PARAMS), pdf=pdf)


@pytest.fixture(scope="session")
def built_report(demo_params, chains):
    """The demo report (see build_demo_report)."""
    os.environ.pop("ISNOTE_OUTPUT_DIR", None)
    chains.result("built_report")
    chains.ready("built_report")      # the jobs on the report (nbval replay)
    return demo_params.layout


@pytest.fixture(scope="session")
def chains(request, tmp_path_factory):
    """The background jobs of tests/chains.py (see there)."""
    from chains import Chains

    c = Chains(lambda name: tmp_path_factory.mktemp(name), tmp_path_factory.getbasetemp() / "chains-timing.txt")
    request.addfinalizer(c.close)
    return c


@pytest.fixture(scope="session", autouse=True)
def _start_chains(request):
    """Start, in the order the tests will need them, the jobs that the selected tests use."""
    from chains import JOBS

    wanted: list[str] = []
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})   # jobs named by a parameter
        for name in [*getattr(item, "fixturenames", ()), *(v for v in params.values() if isinstance(v, str))]:
            if name in JOBS and JOBS[name].kind != "report" and name not in wanted:
                wanted.append(name)
    if wanted:
        request.getfixturevalue("chains").start(wanted)
