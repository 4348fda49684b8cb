"""Several waves: the volumes table pivots (waves as rows) from three waves on (isnote.waves)."""

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
