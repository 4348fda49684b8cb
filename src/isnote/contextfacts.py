"""Facts of context the note quotes from other sources, kept in parameter files with their source.

- `national_financing` (path): the national instruments that finance social innovation and the
  social and solidarity economy (name, amount in M€, manager, purpose), rendered at the end of
  section 2 (template `narrative/financements_nationaux.md.j2`, included by content/02_definition.md).
- `lot5_lessons` (path): what the lot-5 study of the impact evaluation of the IEJ taught (titled
  points in our own words), rendered as a section after the IEJ results when the IEJ is in the
  data (template `narrative/iej_lot5_lecons.md.j2`, placed by isnote.sections).

Each file names its `source`, shown under the block. A parameter set without the key (the
published lists, whose period these 2019 facts do not describe) gets no block: `load` returns
None. Amounts are numbers in the file and formatted by the note (« 100 M€ »).
"""

from __future__ import annotations

from typing import Any, Mapping

from .errors import InputError

KEYS = {"national_financing": ("instruments", ("nom", "montant_meur")),
        "lot5_lessons": ("points", ("titre", "texte"))}


def load(params: Mapping, key: str) -> dict | None:
    """The facts file of `key` (see KEYS), checked; None when the parameter is absent."""
    if key not in KEYS:
        raise KeyError(key)
    if not params.get(key):
        return None
    items_key, required = KEYS[key]
    path, data = read_file(params, key)
    if not isinstance(data, Mapping) or not str(data.get("source") or "").strip():
        raise InputError(path, "la source des faits (« source ») manque", column="source",
                         expected="source: « d’où viennent ces faits » puis la liste " + items_key)
    items = data.get(items_key)
    if not isinstance(items, list) or not items:
        raise InputError(path, f"liste « {items_key} » attendue", column=items_key,
                         expected=f"{items_key}: [{{{', '.join(required)}}}, ...]")
    for i, item in enumerate(items, start=1):
        missing = [k for k in required if not isinstance(item, Mapping) or item.get(k) in (None, "")]
        if missing:
            raise InputError(path, f"élément n° {i} de « {items_key} » incomplet ({', '.join(missing)})",
                             row=i, column=items_key, expected=", ".join(required))
        if key == "national_financing" and not isinstance(item["montant_meur"], (int, float)):
            raise InputError(path, f"élément n° {i} : montant non numérique", row=i, column="montant_meur",
                             value=item["montant_meur"], expected="un nombre de millions d’euros, par exemple 20")
    return dict(data)


def context(params: Mapping) -> dict[str, Any]:
    """`contexte` of the narrative templates: {financements: ..., lot5: ...} (None when absent)."""
    return {"financements": load(params, "national_financing"), "lot5": load(params, "lot5_lessons")}


def read_file(params: Mapping, key: str):
    """(path, data) of the YAML file the parameter `key` names (Params or a plain dict)."""
    from .config import load_yaml, resolve

    if hasattr(params, "path") and hasattr(params, "yaml"):
        return params.path(key), params.yaml(key)
    path = resolve(params[key])
    return path, load_yaml(path)
