"""The labels a run falls back on when its parameters do not name a thing: the one owner.

- the dataset label shown on every output of a synthetic run (`dataset_label` of the parameters,
  else `DEMO_DATASET_LABEL`);
- a wave's label (`waves.<key>.label`, else « Vague <key> »), and the total of the waves.
"""

from __future__ import annotations

from typing import Any, Mapping

DEMO_DATASET_LABEL = "Données de démonstration synthétiques"
TOTAL_WAVES_LABEL = "Total des vagues"


def dataset_label(params: Mapping | None) -> str:
    """The name of the dataset of a run (the demo's when the parameters give none)."""
    return str((params.get("dataset_label") if params is not None else None) or DEMO_DATASET_LABEL)


def default_wave_label(key: Any) -> str:
    return f"Vague {key}"


def wave_label(waves: Mapping | None, key: Any) -> str:
    """Label of wave `key` in the `waves` mapping of the parameters, else « Vague <key> »."""
    spec = (waves or {}).get(str(key)) or (waves or {}).get(key) or {}
    return str((spec.get("label") if isinstance(spec, Mapping) else None) or default_wave_label(key))


def wave_labels(waves: Mapping | None) -> dict[str, str]:
    """{wave key: label} for every wave of the parameters, in their order."""
    return {str(k): wave_label(waves, k) for k in (waves or {})}
