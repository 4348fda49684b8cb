"""Loader of the text and geography banks (specs/texts.yaml, specs/geography.yaml).

`texts` and `geo` expose each top-level key of their file as an attribute (`texts.names`,
`geo.regions`). The generator draws from these lists by position: their order is part of the seed.
"""

from __future__ import annotations

from types import SimpleNamespace

from isnote.config import load_yaml

from .constants import SPECS_DIR


def load_bank(name: str) -> SimpleNamespace:
    """The top-level keys of specs/<name>.yaml as attributes."""
    return SimpleNamespace(**load_yaml(SPECS_DIR / f"{name}.yaml"))


texts = load_bank("texts")
geo = load_bank("geography")


def region_info(region: str) -> dict:
    return geo.regions.get(region) or geo.overseas[region]


def de_town(town: str) -> str:
    """'Brest' -> 'de Brest', 'Amiens' -> "d'Amiens", 'Le Havre' -> 'du Havre'."""
    for art, rep in (("Le ", "du "), ("Les ", "des ")):
        if town.startswith(art):
            return rep + town[len(art):]
    if town.startswith("La "):
        return "de " + town
    if town[0] in "AEIOUYÉÈÂÎaeiouyé":
        return "d'" + town
    return "de " + town
