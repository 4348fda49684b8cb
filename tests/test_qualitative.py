"""Qualitative reading of the survey observations (isnote.qualitative)."""

import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup

from isnote import qualitative
from isnote.config import load_params
from isnote.errors import InputError

OBS = pd.DataFrame({
    "respondent_id": ["R1", "R2", "R3", "R4", "R5", "R6"],
    "body_type": ["AGD", "AGD", "OI CD", "OI PLIE", "AGD", "OI CD"],
    "observations": [
        "Les règles de gestion freinent tout.",                                   # freins, short, AGD
        "Les règles de gestion sont lourdes et la trésorerie des porteurs souffre beaucoup.",  # freins, AGD
        "La lourdeur administrative décourage les associations <script>alert(1)</script>.",  # freins, OI CD
        "Le FSE sert à étendre ce qui a fait ses preuves.",                       # duplication
        "Une notion floue.",                                                        # definition
        "Les contrôles pèsent. " + "x" * 300,                                      # freins, too long to quote
    ],
})


@pytest.fixture
def params():
    return load_params("params/demo.yaml")


def test_counts_and_quote_rule(params):
    themes = {t["key"]: t for t in qualitative.reading(OBS, params)}
    assert themes["freins"]["count"] == 4 and themes["definition"]["count"] == 1
    quotes = [q for q, _ in themes["freins"]["quotes"]]
    # one per body type first (AGD shortest, then OI CD), then the second AGD; the long answer never
    assert quotes == [OBS.observations[0], OBS.observations[2], OBS.observations[1]]
    assert themes["duplication_emergence"]["quotes"] == [(OBS.observations[3], "OI PLIE")]
    assert qualitative.reading(OBS, params) == qualitative.reading(OBS.sample(frac=1, random_state=3), params)


def test_quotes_are_escaped(params):
    html = qualitative.reading_html(OBS, params)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None and "&lt;script&gt;" in html
    assert [h.get_text() for h in soup.find_all("h3")][0] == "Des règles de gestion qui freinent les projets nouveaux"
    assert "4 structures" in soup.get_text() and "(autorité de gestion déléguée)" in soup.get_text()


def test_bad_pattern_is_a_clear_error(params, tmp_path):
    bad = tmp_path / "lecture.yaml"
    bad.write_text(yaml.safe_dump({"themes": {"x": {"label": "X", "pattern": "(ouvert"}}}), encoding="utf-8")
    params["survey_reading"] = str(bad)
    with pytest.raises(InputError, match="thème 'x'"):
        qualitative.reading(OBS, params)
