"""The facts of the synthesis page, of the RAMO 14.5 summary and of the closing sections, computed
once from the key figures and the parameters (one source for all of them).

`facts(params, kf)` returns a plain dict (numbers unrounded: amounts in M€, shares as fractions):

- `vague`: label, start, end, extract date of the current wave; `precedente`: label of the
  previous wave (or None);
- `fse`, `iej`: analysed, candidates, retained (n, ct, ue, participants...), shares of the
  programme, previous wave's retained (when known);
- `axes`: per axis of the PON FSE, share of the retained cost now and at the previous wave, the
  change in percentage points and whether it passes the threshold (`commente`);
- `categories`: categories of the current wave, largest first (key, label, n, ct, share);
- `enquete`: respondents and shares of answers; `lecons`: the lessons that apply (keys and
  their figures), decided by the documented rules below.

Threshold (parameter `synthesis_change_points`, default 5): a change of an axis's or a typology
category's share of the retained cost (PON FSE, current wave against the previous one) is
commented when it exceeds that many percentage points (in absolute value), in the synthesis and
in the text of 5.1. The change is the difference of the two shares rounded to one decimal, as the
text shows them. `categories_evolution` lists every category (largest change first),
`categories_commentees` those past the threshold.

Rules of the lessons (each is kept only when its condition holds on the figures):
- `part_modeste`: the retained operations weigh less than `synthesis_modest_share` (default 5 %)
  of the programme's total cost;
- `concentration_axe`: one axis holds more than half of the retained cost;
- `structures_plutot_que_parcours`: fewer than half of the retained operations have participants;
- `categorie_dominante`: the largest category holds at least a third of the retained operations;
- `iej_marginal`: the retained operations weigh less in the IEJ's total cost than in the FSE's;
- `perception_partagee`: less than half of the survey respondents answer yes.
"""

from __future__ import annotations

from typing import Any, Mapping

from .labels import wave_label

DEFAULT_CHANGE_POINTS = 5.0
DEFAULT_MODEST_SHARE = 0.05
AXES = ("axe1", "axe2", "axe3")


def _get(node: Any, *path: Any, default: Any = None) -> Any:
    for key in path:
        if not isinstance(node, Mapping):
            return default
        key = str(key)
        if key not in node:
            return default
        node = node[key]
    return node


def _share(a: Any, b: Any) -> float | None:
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return None
    return a / b if b else None


def _labels(params: Mapping, key: str, field: str = "categories") -> dict:
    try:
        data = params.yaml(key) if hasattr(params, "yaml") and params.get(key) else {}
    except Exception:  # noqa: BLE001 - a missing parameter file only loses the labels
        data = {}
    return {k: v.get("label", k) for k, v in ((data or {}).get(field) or {}).items()}


def facts(params: Mapping, kf: Mapping) -> dict:
    cw = str(params["current_wave"])
    pw = params.get("previous_wave")
    pw = str(pw) if pw is not None and str(pw) in (params.get("waves") or {}) else None
    waves = params.get("waves") or {}
    threshold = float(params.get("synthesis_change_points", DEFAULT_CHANGE_POINTS))
    modest = float(params.get("synthesis_modest_share", DEFAULT_MODEST_SHARE))

    out: dict = {
        "vague": {"label": wave_label(waves, cw), "debut": _get(waves, cw, "start"),
                  "fin": _get(waves, cw, "end"), "extraction": params.get("extract_date")},
        "precedente": wave_label(waves, pw) if pw else None,
        "seuil_points": threshold,
    }

    # programmes
    for prog in ("fse", "iej"):
        vol = _get(kf, "volumes", prog, cw, default={}) or {}
        scr = _get(kf, "screening", prog, cw, default={}) or {}
        ret = _get(kf, "retained", prog, cw, "total", default=None)
        if not vol and ret is None:
            out[prog] = None
            continue
        tot = _get(kf, "pon_totals", prog, cw, "total", default=None) or vol
        ret = ret or {}
        block = {
            "analysees": vol.get("n_ops"),
            "cout_programme": vol.get("ct"),
            "ue_programme": vol.get("ue"),
            "preidentifiees": scr.get("preidentified"),
            "candidates": scr.get("candidates"),
            "retenues": ret.get("n_ops", 0),
            "cout": ret.get("ct", 0.0),
            "ue": ret.get("ue", 0.0),
            "participants": ret.get("participants"),
            "avec_participants": ret.get("ops_with_participants"),
            "part_operations": _share(ret.get("n_ops", 0), tot.get("n_ops")),
            "part_cout": _share(ret.get("ct", 0.0), tot.get("ct")),
            "part_ue": _share(ret.get("ue", 0.0), tot.get("ue")),
            "lot5_retenues": scr.get("lot5_retained"),
            "examinees": scr.get("reviewed"),
            # no review decision recorded yet: the retained figures are zeros waiting for the review
            "revue_en_attente": scr.get("reviewed") is not None and not scr.get("reviewed") and not ret.get("n_ops"),
        }
        prev = _get(kf, "retained", prog, pw, "total") if pw else None
        block["precedente"] = ({"retenues": prev.get("n_ops"), "cout": prev.get("ct"), "ue": prev.get("ue")}
                               if isinstance(prev, Mapping) else None)
        cum = _get(kf, "retained", prog, "cumulative", "total")
        block["cumul"] = {"retenues": cum.get("n_ops"), "cout": cum.get("ct")} if isinstance(cum, Mapping) else None
        out[prog] = block
    out["total_retenues"] = sum((out[p] or {}).get("retenues", 0) or 0 for p in ("fse", "iej"))

    # axes of the PON FSE: share of the retained cost, change since the previous wave
    axes = []
    rt = _get(kf, "retained", "fse", cw, "total", "ct")
    prt = _get(kf, "retained", "fse", pw, "total", "ct") if pw else None
    for axe in AXES:
        now = _share(_get(kf, "retained", "fse", cw, axe, "ct"), rt)
        if now is None:
            continue
        before = _share(_get(kf, "retained", "fse", pw, axe, "ct"), prt) if pw else None
        # the change between the shares as displayed (one decimal), so that the text adds up
        points = round(round(now * 100, 1) - round(before * 100, 1), 1) if before is not None else None
        axes.append({"axe": axe[3:], "part": now, "part_precedente": before, "ecart_points": points,
                     "commente": points is not None and abs(points) > threshold})
    out["axes"] = axes
    out["axes_commentes"] = [a for a in axes if a["commente"]]

    # categories of the current wave
    labels = _labels(params, "typology")
    by_type = _get(kf, "by_type", "fse", cw, default={}) or {}
    n_fse = (out["fse"] or {}).get("retenues") or 0
    cats = [{"cle": k, "label": labels.get(k, k), "n": v.get("n_ops", 0), "cout": v.get("ct", 0.0),
             "part": _share(v.get("n_ops", 0), n_fse)} for k, v in by_type.items() if isinstance(v, Mapping)]
    cats.sort(key=lambda c: (-c["n"], c["cle"]))
    out["categories"] = cats

    # categories: share of the retained cost now and at the previous wave, as for the axes
    prev_types = _get(kf, "by_type", "fse", pw, default=None) if pw else None
    changes = []
    if isinstance(prev_types, Mapping) and by_type:
        now_total = sum(float(v.get("ct", 0.0)) for v in by_type.values() if isinstance(v, Mapping))
        prev_total = sum(float(v.get("ct", 0.0)) for v in prev_types.values() if isinstance(v, Mapping))
        for c in cats:
            now = _share(c["cout"], now_total)
            before = _share(_get(prev_types, c["cle"], "ct", default=0.0), prev_total)
            if now is None or before is None:
                continue
            points = round(round(now * 100, 1) - round(before * 100, 1), 1)
            changes.append({"cle": c["cle"], "label": c["label"], "part": now, "part_precedente": before,
                            "ecart_points": points, "commente": abs(points) > threshold})
    changes.sort(key=lambda c: (-abs(c["ecart_points"]), c["cle"]))
    out["categories_evolution"] = changes
    out["categories_commentees"] = [c for c in changes if c["commente"]]

    # survey
    survey = _get(kf, "survey", default={}) or {}
    out["enquete"] = ({"repondants": survey.get("respondents"), "oui": _get(survey, "shares", "oui"),
                       "non": _get(survey, "shares", "non"), "nsp": _get(survey, "shares", "nsp"),
                       "observations": survey.get("with_observations")}
                      if survey.get("respondents") else None)

    # lessons (none drawn from the retained figures while the review has not started)
    lessons: list[dict] = []
    fse = out["fse"] or {}
    if fse.get("revue_en_attente"):
        fse = {}
    if fse.get("part_cout") is not None and fse["part_cout"] < modest:
        lessons.append({"cle": "part_modeste", "part_cout": fse["part_cout"], "seuil": modest})
    top_axe = max(axes, key=lambda a: a["part"]) if axes else None
    if top_axe and top_axe["part"] > 0.5:
        lessons.append({"cle": "concentration_axe", "axe": top_axe["axe"], "part": top_axe["part"]})
    if fse.get("avec_participants") is not None and fse.get("retenues"):
        share = fse["avec_participants"] / fse["retenues"]
        if share < 0.5:
            lessons.append({"cle": "structures_plutot_que_parcours", "part": share,
                            "n": fse["avec_participants"]})
    if cats and cats[0]["part"] is not None and cats[0]["part"] >= 1 / 3:
        lessons.append({**cats[0], "categorie": cats[0]["cle"], "cle": "categorie_dominante"})
    iej = out["iej"] or {}
    if iej and fse.get("part_cout") is not None and iej.get("part_cout") is not None \
            and iej["part_cout"] < fse["part_cout"]:
        lessons.append({"cle": "iej_marginal", "part_iej": iej["part_cout"], "part_fse": fse["part_cout"]})
    enq = out["enquete"]
    if enq and enq.get("oui") is not None and enq["oui"] < 0.5:
        lessons.append({"cle": "perception_partagee", "oui": enq["oui"], "nsp": enq["nsp"]})
    out["lecons"] = lessons
    out["lecons_cles"] = [lesson["cle"] for lesson in lessons]
    return out
