"""Several waves: the volumes and retained tables pivot (waves as rows) from three waves on, the
synthesis comments the changes past the threshold (isnote.waves, isnote.synthesis)."""

import pytest

from isnote import ingest, waves

VOL = {"fse": {"2017": {"n_ops": 10, "ue": 1.0, "ct": 2.0}, "2018": {"n_ops": 5, "ue": 0.5, "ct": 1.04},
               "2019": {"n_ops": 7, "ue": 0.7, "ct": 1.4}},
       "iej": {"2017": {"n_ops": 3, "ue": 0.3, "ct": 0.3}, "2018": {"n_ops": 1, "ue": 0.1, "ct": 0.1},
               "2019": {"n_ops": 2, "ue": 0.2, "ct": 0.2}}}


def test_pivot_threshold():
    two = {"waves": {"2017": {}, "2019": {}}}
    three = {"waves": {"2017": {}, "2018": {}, "2019": {}}}
    assert not waves.pivot(two) and waves.pivot(three)
    assert waves.pivot({**two, "pivot_min_waves": 2}) and not waves.pivot({**three, "pivot_min_waves": 4})


def test_volumes_long_table():
    t2 = ingest.tableau2(VOL)
    shown, formats = waves.tableau2_long(t2, {"2017": "Vague 2017", "2018": "Vague 2018", "2019": "Vague 2019"})
    assert list(shown.columns) == ["Vague", "Programme", "Opérations", "Montant UE programmé (M€)", "Coût total (M€)"]
    assert len(shown) == 4 * 3                                    # (3 waves + total) x (2 programmes + total)
    assert list(shown["Vague"].unique()) == ["Vague 2017", "Vague 2018", "Vague 2019", "Total des vagues"]
    last = shown.iloc[-1]
    assert last["Programme"] == "Total" and last["Opérations"] == 28
    assert formats["Coût total (M€)"](last["Coût total (M€)"]) == "5,0"


def test_retained_chart_by_wave():
    params = {"waves": {"2017": {"label": "Vague 2017"}, "2018": {"label": "Vague 2018"},
                        "2019": {"label": "Vague 2019"}}}
    kf = {"fse": {w: {"total": {"n_ops": n, "ct": c}} for w, n, c in
                  (("2017", 91, 28.62), ("2018", 40, 10.0), ("2019", 106, 38.21))} | {"cumulative": {"total": {}}}}
    by_wave = waves.retained_by_wave(kf, params)
    assert by_wave["vague"].tolist() == ["Vague 2017", "Vague 2018", "Vague 2019"]
    fig = waves.retained_chart(by_wave)
    labels = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert labels == ["91", "40", "106", "28,6", "10,0", "38,2"]
    # a review not begun (a published list's first wave): no chart of zeros
    nothing = {"fse": {w: {"total": {"n_ops": 0, "ct": 0.0}} for w in ("2017", "2018", "2019")}}
    assert waves.retained_chart(waves.retained_by_wave(nothing, params)) is None


# A three-wave run built from the small results fixtures: operations F11-F13 of 2017 stay in 2017,
# F12 and F13 move to a middle wave "2018" (register rows too), the current wave is 2019.
def _three_waves(tmp_path):
    import pandas as pd

    from results_fixtures.builders import make_operations, make_params, make_register
    from isnote import typology

    three = {"2017": {"label": "Vague 2017", "start": "2014-01-01", "end": "2016-12-31"},
             "2018": {"label": "Vague 2018", "start": "2017-01-01", "end": "2017-12-31"},
             "2019": {"label": "Vague 2019", "start": "2018-01-01", "end": "2018-12-31"}}
    params = make_params(tmp_path, waves=three, previous_wave="2018")
    ops = make_operations()
    moved = ops["op_id"].isin(["F12", "F13"])
    ops.loc[moved, "wave"] = "2018"
    ops.loc[moved, "programming_date"] = pd.Timestamp("2017-06-01")
    reg = make_register()
    reg.loc[reg["op_id"].isin(["F12", "F13"]), "vague"] = "2018"
    return params, ops, typology.retained(ops, reg, params)


def test_three_waves_tables_cover_every_wave_as_rows(tmp_path):
    from isnote import tables, typology

    params, ops, ret = _three_waves(tmp_path)
    assert typology.table_waves(params) == ["2017", "2018", "2019"]           # oldest first, every wave
    t3 = tables.table3(ret, params)
    shown, formats = tables.display_table3(t3, params)
    assert list(shown.columns) == ["Vague", "Axe / OS", "Opérations", "% opérations", "Coût total (M€)", "% coût total"]
    assert list(shown["Vague"].unique()) == ["Vague 2017", "Vague 2018", "Vague 2019", "Cumul des vagues"]
    totals = shown[shown["Axe / OS"].eq("Total")].set_index("Vague")["Opérations"]
    assert totals.to_dict() == {"Vague 2017": 1, "Vague 2018": 2, "Vague 2019": 7, "Cumul des vagues": 10}
    assert shown.iloc[-1]["Axe / OS"] == "Total" and shown.iloc[-1]["Opérations"] == 10
    w17 = shown[shown["Vague"].eq("Vague 2017")]
    assert w17["Axe / OS"].tolist() == ["Axe 1", "1871", "Axe 2", "Axe 3", "Total"]    # empty OS rows left out
    assert set(formats) <= set(shown.columns)
    # the other result tables get one row block per wave as well
    t4 = tables.table4(ret, ops, params)
    assert list(dict.fromkeys(t4["periode"])) == ["2017", "2018", "2019", "cumulative"]
    tp = tables.table_programme(ret, ops, params, "iej")
    assert tp["periode"].tolist() == ["2017", "2018", "2019", "cumulative"]
    # two waves: the usual side-by-side columns
    from results_fixtures.builders import make_params
    (tmp_path / "two").mkdir()
    two = make_params(tmp_path / "two")
    assert "Vague" not in tables.display_table3(tables.table3(ret, two), two)[0].columns


def test_three_waves_synthesis_comments_changes_past_the_threshold(tmp_path):
    from isnote import narrative, synthesis, tables, typology

    params, ops, ret = _three_waves(tmp_path)
    kf = {"retained": tables.key_figures_retained(ret, params, "fse"),
          "by_type": typology.key_figures_by_type(ret, params)}
    assert set(kf["by_type"]["fse"]) == {"2017", "2018", "2019", "cumulative"}
    f = synthesis.facts(params, kf)
    # 2018: F12 (axis 2, 0,22 M€) and F13 (axis 3, 0,33 M€), both « innovation sociale territoriale »;
    # 2019: 2,8 M€ over the three axes and four categories
    axes = {a["axe"]: a for a in f["axes"]}
    assert axes["2"]["part_precedente"] == pytest.approx(0.22 / 0.55) and axes["2"]["part"] == pytest.approx(0.4 / 2.8)
    assert axes["1"]["commente"] and axes["1"]["ecart_points"] == pytest.approx(21.4)
    cats = {c["cle"]: c for c in f["categories_evolution"]}
    assert cats["innovation_sociale_territoriale"]["part_precedente"] == pytest.approx(1.0)
    assert cats["innovation_sociale_territoriale"]["ecart_points"] == pytest.approx(-78.6)
    assert [c["cle"] for c in f["categories_commentees"]][0] == "innovation_sociale_territoriale"
    page = narrative.render_for("synthese", params, kf)
    assert "l’axe 1 passe de 0,0\u00a0% à 21,4\u00a0% du coût retenu (+21,4\u00a0points)" in page
    assert "pour 5 catégories : « Innovation sociale territoriale » passe de 100,0\u00a0% à 21,4\u00a0%" in page
    # the threshold is a parameter: nothing moves by more than 100 points
    from results_fixtures.builders import make_params
    (tmp_path / "wide").mkdir()
    wide = make_params(tmp_path / "wide", waves=params["waves"], previous_wave="2018", synthesis_change_points=100)
    g = synthesis.facts(wide, kf)
    assert not g["axes_commentes"] and not g["categories_commentees"]


def test_three_waves_volumes_and_retained_tables_fit_the_page_width():
    """Long tables keep six columns at most, whatever the number of waves (printcheck measures the
    laid-out note; here the shape that makes it possible)."""
    vol = {p: {str(y): {"n_ops": 1, "ue": 0.1, "ct": 0.2} for y in range(2015, 2022)} for p in ("fse", "iej")}
    shown, _ = waves.tableau2_long(ingest.tableau2(vol))
    assert shown.shape[1] == 5 and len(shown) == 8 * 3


def prepare_three_waves(tmp_path):
    """The demo data cut into three waves (2017, 2018, 2019; the register's waves follow the data),
    run without the PDF in the background from the session's start (tests/chains.py)."""
    import pandas as pd
    import yaml

    from isnote import ingest
    from isnote.config import PROJECT_ROOT, load_params

    data = yaml.safe_load((PROJECT_ROOT / "params" / "demo.yaml").read_text(encoding="utf-8"))
    data["waves"] = {"2017": {"label": "Vague 2017", "start": "2014-01-01", "end": "2017-03-04"},
                     "2018": {"label": "Vague 2018", "start": "2017-03-05", "end": "2017-12-31"},
                     "2019": {"label": "Vague 2019", "start": "2018-01-01", "end": "2018-12-31"}}
    data.update(previous_wave="2018", output_dir=str(tmp_path / "out"), review_register=str(tmp_path / "reg.csv"))
    for key in ("mapping", "nomenclature", "keywords", "actors", "typology", "survey_themes", "closing_dir",
                "editorial_approvals", "survey_reading", "illustrations", "national_financing", "lot5_lessons"):
        data[key] = str(PROJECT_ROOT / data[key])
    data["inputs"] = {k: ({p: str(PROJECT_ROOT / v) for p, v in v.items()} if isinstance(v, dict) else str(PROJECT_ROOT / v))
                      for k, v in data["inputs"].items()}
    params_file = tmp_path / "trois_vagues.yaml"
    params_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    ops = ingest.run(load_params(params_file)).operations[["op_id", "programme", "wave"]].astype(str)
    reg = pd.read_csv(PROJECT_ROOT / "data" / "demo" / "registre_revue.csv", sep=";", dtype=str, keep_default_na=False)
    moved = reg.merge(ops, on=["op_id", "programme"], how="left")["wave"].fillna(reg["vague"])
    reg["vague"] = moved.to_numpy()
    assert set(reg["vague"]) == {"2017", "2018", "2019"}
    reg.to_csv(tmp_path / "reg.csv", sep=";", index=False)
    return params_file


@pytest.fixture
def chain_three_waves(chains):
    return chains.result("chain_three_waves")


@pytest.mark.slow
def test_three_wave_demo_run_lays_out_within_the_page(chain_three_waves):
    """The three-wave demo run above: the chain runs, the volumes and retained tables pivot, the
    chart by wave is drawn, and in WeasyPrint's laid-out pages no table is wider than the page's
    content box."""
    import pandas as pd
    from bs4 import BeautifulSoup
    from weasyprint import HTML

    from isnote import printcheck

    reg = pd.read_csv(chain_three_waves.folder / "reg.csv", sep=";", dtype=str, keep_default_na=False)
    assert set(reg["vague"]) == {"2017", "2018", "2019"}
    summary = chain_three_waves.summary
    assert summary["assemble"] == "ran"
    html = (chain_three_waves.out / "note.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    captions = [f.get("data-caption", "") for f in soup.select("figure")]
    assert any("par vague" in c for c in captions)                     # retained operations by wave
    t3 = next(f for f in soup.select("figure") if "par axe et objectif" in f.get("data-caption", ""))
    assert [th.get_text(strip=True) for th in t3.select("thead th")][:2] == ["Vague", "Axe / OS"]
    assert printcheck.overflows(HTML(string=html).render()) == []
