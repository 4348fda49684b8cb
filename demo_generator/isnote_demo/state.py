"""The generator's state: the specs it reads (`Specs`, read-only) and what the stages build
(`State`: the operations, the survey respondents, the roles the skeleton hands to later stages,
the random generators).

Every stage of `isnote_demo.stages` is a function `stage(st: State) -> None` that fills in part of
the state; `isnote_demo.stages.STAGES` lists them in order (`generate.build` runs them) (the order is part of the seed: each
stage draws from the same two random generators).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from isnote.config import PROJECT_ROOT, load_params, load_yaml
from isnote.errors import IsnoteError

from .constants import SPECS_DIR
from .textcheck import ActorMatcher


class GenerationError(IsnoteError):
    """The generated data misses a calibration target (a bug of the generator or of its specs)."""


def as_date(v) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v))


def cents(meur: float) -> int:
    """Millions of euros -> cents."""
    return int(round(float(meur) * 1e8))


def eur_cents(eur: float) -> int:
    return int(round(float(eur) * 100))


@dataclass(eq=False)
class Op:
    programme: str
    kind: str                 # scope | ta | after
    wave: str | None          # "2017" | "2019" | None (programmed after the windows)
    os: str
    axe: str
    pi: str = ""
    op_id: str = ""
    region: str = ""
    service: str = ""
    place: str = ""
    title: str = ""
    beneficiary: str = ""
    legal_form: str = ""
    beneficiary_type: str = ""
    prog_date: date | None = None
    start_date: date | None = None
    end_date: date | None = None
    ct: int = 0
    ue: int = 0
    ct_fixed: bool = False
    ue_fixed: bool = False
    planned: int | None = None
    n_actions: int | None = None
    participants: int = 0
    call_title: str = ""
    description: str = ""
    actions: str = ""
    results: str = ""
    retained: bool = False
    category: str | None = None
    route: str | None = None          # text | actor | survey | lot5 (how the screening finds it)
    setaside: bool = False            # register decision "ecartee"
    hit: str | None = None            # keyword family of a set-aside candidate
    named: dict | None = None
    cont_2017: "Op | None" = None     # wave-2017 retained operation this one continues
    cont_name: str | None = None      # wave-2017 spelling of the beneficiary (continuations)
    survey_tag: str | None = None
    lot5: bool = False
    has_participants: bool | None = None
    fixed_participants: int | None = None
    emblematique: bool = False
    caractere_innovant: str = ""
    special_name: str | None = None   # beneficiary imposed by the design (actors, continuations)
    setaside_2017: bool = False
    region_raw: str | None = None     # spelling written in the file when it differs in form (texture)


@dataclass(frozen=True, eq=False)
class Specs:
    """What the generator reads: its own specs and the parameters of the demo run."""
    cal: dict                 # calibration.yaml: aggregates of the 2019 note
    des: dict                 # design.yaml: our own choices
    named: dict               # named_operations.yaml: the operations the note names
    params: object            # params/demo.yaml (isnote.config.Params)
    nomen: dict
    mapping: dict
    actors: ActorMatcher
    waves: dict               # wave -> (first day, last day)
    after: tuple              # window of the operations programmed after the waves

    def os_info(self, programme: str, os_: str) -> dict:
        return self.nomen[programme]["os"][os_]

    def fse_groups(self, wave: str) -> dict[str, dict]:
        """OS -> {n_ops, ue, ct, participants} of all in-scope FSE operations of a wave."""
        tot = self.cal["programme_totals"]["fse"][wave]
        split = self.des["fse_os_split"][wave]
        out: dict[str, dict] = {}
        for axe, osmap in split.items():
            for os_, v in osmap.items():
                out[os_] = dict(v, axe=axe)
        if wave == "2019":
            for os_, v in tot["by_os_axe3"].items():
                out[os_] = dict(v, axe="3")
        for axe, v in tot["by_axe"].items():
            members = [g for g in out.values() if g["axe"] == axe]
            for k in ("n_ops", "participants"):
                if sum(g[k] for g in members) != v[k]:
                    raise GenerationError(f"design split of FSE {wave} axis {axe}: {k} does not add up")
            for k in ("ue", "ct"):
                if sum(cents(g[k]) for g in members) != cents(v[k]):
                    raise GenerationError(f"design split of FSE {wave} axis {axe}: {k} does not add up")
        return out


def load_specs() -> Specs:
    params = load_params(PROJECT_ROOT / "params" / "demo.yaml")
    # wave windows and the extract date come from the parameters of the demo run
    waves = {str(k): (as_date(v["start"]), as_date(v["end"])) for k, v in params["waves"].items()}
    last = max(e for _, e in waves.values())
    return Specs(cal=load_yaml(SPECS_DIR / "calibration.yaml"), des=load_yaml(SPECS_DIR / "design.yaml"),
                 named=load_yaml(SPECS_DIR / "named_operations.yaml"), params=params,
                 nomen=params.yaml("nomenclature"), mapping=params.yaml("mapping"),
                 actors=ActorMatcher.from_yaml(params.yaml("actors")), waves=waves,
                 after=(last + timedelta(days=1), as_date(params["extract_date"]) - timedelta(days=1)))


@dataclass(eq=False)
class State:
    spec: Specs
    seed: int
    rng: np.random.Generator                     # numpy draws (amounts, numbers, participants)
    R: random.Random                             # every other draw
    ops: list[Op] = field(default_factory=list)
    respondents: list[dict] = field(default_factory=list)
    absent_numbers: list[str] = field(default_factory=list)   # numbers in no file (survey, register)
    # roles set by the skeleton, used by the survey and the name stages
    survey_only_ret: list[Op] = field(default_factory=list)
    survey_also_ret: list[Op] = field(default_factory=list)
    survey_also_sa: list[Op] = field(default_factory=list)
    survey_only_rej: list[Op] = field(default_factory=list)
    oow_ops: list[Op] = field(default_factory=list)
    cont_ops: list[Op] = field(default_factory=list)
    # managing bodies set by the survey stage, used by the service stage
    cd_service: dict = field(default_factory=dict)        # (region, department) -> council
    # region -> PLIE and other intermediate bodies
    plie_services: dict = field(default_factory=dict)
    other_oi: dict = field(default_factory=dict)
    # texture counts (LISEZMOI.md)
    odd_answers: int = 0
    region_variants: int = 0
    n_empty_desc: int = 0
    # caches of the name and text stages
    slot_cache: dict = field(default_factory=dict)
    pairs: set | None = None
    # rows of the survey and of the register (last stages)
    survey_table: list[dict] = field(default_factory=list)
    register_table: list[dict] = field(default_factory=list)

    def pick(self, seq):
        return seq[self.R.randrange(len(seq))]

    def new_op(self, programme: str, kind: str, wave: str | None, os_: str) -> Op:
        info = self.spec.os_info(programme, os_)
        op = Op(programme=programme, kind=kind, wave=wave, os=os_, axe=str(info["axe"]), pi=str(info.get("pi") or ""))
        self.ops.append(op)
        return op


def new_state(seed: int | None = None, spec: Specs | None = None) -> State:
    spec = spec or load_specs()
    seed = int(seed if seed is not None else spec.des["seed"])
    return State(spec=spec, seed=seed, rng=np.random.default_rng(seed), R=random.Random(seed))
