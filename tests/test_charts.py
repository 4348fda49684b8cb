"""Figures: French formats, PNG + SVG written, byte-identical across runs."""

import pytest

from isnote import charts
from isnote import tables as tb
from isnote import typology as ty
from results_fixtures.builders import make_operations, make_params, make_register, make_survey


@pytest.fixture
def params(tmp_path):
    return make_params(tmp_path)


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_survey_chart_counts_shares_and_files(params, tmp_path):
    sb = tb.survey_by_type(make_survey(), params)
    fig = charts.survey_chart(sb)
    texts = _texts(fig)
    assert "2 (67\u00a0%)" in texts                     # OI CD: 2 oui of 3
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0].startswith("Ensemble") and any(lab.startswith("PLIE (ensemble)") for lab in labels)
    png = charts.save(fig, tmp_path / "fig", "figure1")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "fig" / "figure1.png").read_bytes() == png
    svg = (tmp_path / "fig" / "figure1.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "dc:date" not in svg


def test_figures_are_byte_identical_across_runs(params, tmp_path):
    sb = tb.survey_by_type(make_survey(), params)
    a = charts.save(charts.survey_chart(sb), tmp_path / "a", "f")
    b = charts.save(charts.survey_chart(sb), tmp_path / "b", "f")
    assert a == b
    assert (tmp_path / "a" / "f.svg").read_bytes() == (tmp_path / "b" / "f.svg").read_bytes()


def test_regions_chart_french_ticks_and_size(params, tmp_path):
    ops = make_operations()
    ret = ty.retained(ops, make_register(), params)
    reg = tb.regions(ret, ops, params)
    fig = charts.regions_chart(reg, ranked_only=False)
    ax = fig.axes[0]
    assert ax.xaxis.get_major_formatter()(1.5, 0) == "1,5"
    assert any("," in t and "op." in t for t in _texts(fig))
    assert fig.get_size_inches()[0] == pytest.approx(16 / 2.54)
    assert charts.save(fig, tmp_path, "regions")[:4] == b"\x89PNG"
    assert (tmp_path / "regions.svg").exists()


def test_regions_chart_with_nothing_retained_draws_no_figure(params, tmp_path):
    """No retained operation (a review not begun): no chart of zero ratios, no figure in the note,
    and the files a previous run drew are removed."""
    from isnote import cells
    ops = make_operations()
    reg = tb.regions(ty.retained(ops, make_register(), params), ops, params)
    assert charts.save_cached(charts.regions_chart, reg, tmp_path / "figures", "regions")[:4] == b"\x89PNG"
    none = tb.regions(ty.retained(ops, make_register().iloc[0:0], params), ops, params)
    assert int(none["n_retained"].sum()) == 0 and charts.regions_chart(none) is None
    assert charts.save_cached(charts.regions_chart, none, tmp_path / "figures", "regions") == b""
    assert not list((tmp_path / "figures").glob("regions.*"))
    assert cells.figure(b"", "regions-figure") == ""
    # no survey in the inputs: no chart of empty bars either
    empty = tb.survey_by_type(make_survey().iloc[0:0], params)
    assert charts.survey_chart(empty) is None


def test_category_chart_labels_in_meur(params, tmp_path):
    ret = ty.retained(make_operations(), make_register(), params)
    fig = charts.category_chart(ty.by_category(ret, params), "2019")
    assert any(t.endswith("\u00a0M€") and "," in t for t in _texts(fig))
    charts.save(fig, tmp_path, "categories")
    assert (tmp_path / "categories.png").stat().st_size > 1000


def test_save_cached_redraws_only_when_the_data_changed(params, tmp_path, monkeypatch):
    sb = tb.survey_by_type(make_survey(), params)
    figs = tmp_path / "out" / "figures"
    first = charts.save_cached(charts.survey_chart, sb, figs, "enquete")
    assert first == charts.save(charts.survey_chart(sb), tmp_path / "ref", "enquete")   # same files as save
    drawn = []
    real = charts.save
    monkeypatch.setattr(charts, "save", lambda *a: drawn.append(1) or real(*a))
    assert charts.save_cached(charts.survey_chart, sb, figs, "enquete") == first
    assert drawn == []                                   # same data: files reused
    changed = sb.copy()
    changed.loc[changed.index[0], ["share_oui", "share_non"]] = [0.0, 0.666667]
    assert charts.save_cached(charts.survey_chart, changed, figs, "enquete") != first
    assert drawn == [1]
    (figs / "enquete.svg").unlink()                      # a missing file is redrawn
    charts.save_cached(charts.survey_chart, changed, figs, "enquete")
    assert drawn == [1, 1] and (figs / "enquete.svg").is_file()
