"""The schema of a parameters file, and a YAML loader that refuses alias bombs.

`KEYS` is a declarative table: one line per top-level key (kind, required, meaning). To add a
key, add one line; its kind is one of `KINDS` (add a checker there for a new kind).
`validate(data, source, text)` checks a parameters dictionary against it: types, required keys,
full dates (`end: "2018"` is an error, not 1 January 2018), lists where lists are meant
(`exclude_axes: "34"` is an error, never split into characters), and an unknown key is an error
that suggests the nearest known one. Values are checked, not converted.

`BoundedLoader` is a yaml.SafeLoader that counts the nodes of the document as it would be
expanded (aliases included) and stops above `MAX_EXPANDED_NODES`: a "billion laughs" file fails
in milliseconds instead of exhausting memory when the data is later walked.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Any, Callable

import yaml
from yaml.nodes import MappingNode, SequenceNode

from .errors import InputError

MAX_EXPANDED_NODES = 200_000      # nodes of a YAML document once its aliases are expanded
MAX_ALIASES = 1_000


class YAMLTooLarge(yaml.YAMLError):
    def __init__(self, problem: str, mark=None):
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader that bounds alias use and the expanded size of the document."""

    def __init__(self, stream):
        super().__init__(stream)
        self._sizes: dict[int, int] = {}
        self._aliases = 0

    def compose_node(self, parent, index):
        is_alias = self.check_event(yaml.AliasEvent)
        mark = self.peek_event().start_mark
        node = super().compose_node(parent, index)
        if is_alias:
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YAMLTooLarge(f"trop d'alias YAML (plus de {MAX_ALIASES})", mark)
            return node
        if isinstance(node, SequenceNode):
            size = 1 + sum(self._sizes.get(id(c), 1) for c in node.value)
        elif isinstance(node, MappingNode):
            size = 1 + sum(self._sizes.get(id(k), 1) + self._sizes.get(id(v), 1) for k, v in node.value)
        else:
            size = 1
        if size > MAX_EXPANDED_NODES:
            raise YAMLTooLarge(f"document YAML trop grand une fois ses alias développés (plus de "
                               f"{MAX_EXPANDED_NODES:_} éléments : « bombe » d'alias ?)".replace("_", " "), mark)
        self._sizes[id(node)] = size
        return node


def safe_load(stream) -> Any:
    """yaml.safe_load with the bounds of BoundedLoader. With libyaml (PyYAML's C parser, about ten
    times faster: every kernel and process of a run parses the parameter files once), the document
    is composed in C, its expanded size checked on the composed nodes (`check_expansion`, the same
    counts as BoundedLoader), then built by the same safe constructor."""
    if _CLoader is not None:
        loader = _CLoader(stream)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            check_expansion(node)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    loader = BoundedLoader(stream)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


_CLoader = getattr(yaml, "CSafeLoader", None)


def _children(node) -> list:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for kv in node.value for n in kv]
    return []


def _marks(node) -> list:
    """Where each child of `node` is written, as near as the composed nodes tell (an alias has no
    node of its own): a mapping value at its key, other children at their parent."""
    if isinstance(node, MappingNode):
        return [m for k, _ in node.value for m in (node.start_mark, k.start_mark)]
    return [node.start_mark] * len(_children(node))


def check_expansion(root) -> None:
    """BoundedLoader's bounds on a composed document: a node met again is an alias (counted, not
    expanded); each node's expanded size is 1 + its children's (an alias counts the size of the
    node it names, 1 while that node is still open: a recursive alias)."""
    sizes: dict[int, int] = {}
    seen: set[int] = set()
    aliases = 0
    stack = [(root, False, root.start_mark)]
    while stack:
        node, leaving, mark = stack.pop()
        if leaving:
            size = 1 + sum(sizes.get(id(c), 1) for c in _children(node))
            if size > MAX_EXPANDED_NODES:
                raise YAMLTooLarge(f"document YAML trop grand une fois ses alias développés (plus de "
                                   f"{MAX_EXPANDED_NODES:_} éléments : « bombe » d'alias ?)".replace("_", " "),
                                   node.start_mark)
            sizes[id(node)] = size
            continue
        if id(node) in seen:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise YAMLTooLarge(f"trop d'alias YAML (plus de {MAX_ALIASES})", mark)
            continue
        seen.add(id(node))
        stack.append((node, True, mark))
        stack.extend((c, False, m) for c, m in reversed(list(zip(_children(node), _marks(node)))))


# --------------------------------------------------------------------------------------------
# kinds: each checker returns None when the value is fine, else (message, expected)

Problem = tuple[str, str] | None
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH_RE = re.compile(r"\d{4}-\d{2}")
PROGRAMMES = ("fse", "iej")
INPUT_ROLES = ("operations", "qualitative", "participants", "survey", "lot5")
WAVE_KEYS = {"label": "text", "start": "date", "end": "date"}


def _is_text(v) -> bool:
    return isinstance(v, str) and v.strip() != ""


def _text(v) -> Problem:
    return None if _is_text(v) else ("texte attendu", "un texte non vide")


def _bool(v) -> Problem:
    return None if isinstance(v, bool) else ("booléen attendu", "true ou false")


def _date(v) -> Problem:
    if isinstance(v, dt.date):
        return None
    if isinstance(v, str) and _DATE_RE.fullmatch(v.strip()):
        try:
            dt.date.fromisoformat(v.strip())
            return None
        except ValueError:
            return "date impossible", "une date complète AAAA-MM-JJ qui existe"
    return "date incomplète ou illisible", "une date complète AAAA-MM-JJ (jour compris)"


def _month(v) -> Problem:
    if _date(v) is None:
        return None
    if isinstance(v, str) and _MONTH_RE.fullmatch(v.strip()) and 1 <= int(v.strip()[5:]) <= 12:
        return None
    return "mois illisible", "un mois AAAA-MM ou une date AAAA-MM-JJ"


def _int_min(low: int) -> Callable[[Any], Problem]:
    def check(v) -> Problem:
        if isinstance(v, int) and not isinstance(v, bool) and v >= low:
            return None
        return "nombre entier attendu", f"un nombre entier supérieur ou égal à {low}"
    return check


def _path(v) -> Problem:
    return None if _is_text(v) else ("chemin attendu", "un chemin de fichier ou de dossier (texte)")


def _code(v) -> Problem:
    ok = (_is_text(v) or (isinstance(v, int) and not isinstance(v, bool)))
    return None if ok else ("code attendu", "un code (texte ou nombre)")


def _codes(v) -> Problem:
    if isinstance(v, list) and all(_code(x) is None for x in v):
        return None
    return "liste attendue", 'une liste de codes, par exemple ["4"] (un texte seul n\'est pas découpé)'


def _axes(v) -> Problem:
    if isinstance(v, dict):
        if all(str(k) in PROGRAMMES and _codes(x) is None for k, x in v.items()):
            return None
        return "dictionnaire programme → liste invalide", 'par exemple {fse: ["4"], iej: ["3"]}'
    return _codes(v)


def _text_map(v) -> Problem:
    if isinstance(v, dict) and all(_is_text(x) for x in v.values()):
        return None
    return "dictionnaire attendu", "un dictionnaire clé: texte"


def _groups(v) -> Problem:
    if isinstance(v, dict) and all(_codes(x) is None for x in v.values()):
        return None
    return "dictionnaire de listes attendu", 'par exemple {PLIE: ["OI PLIE pivot", "OI PLIE"]}'


def _number(v) -> Problem:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0:
        return None
    return "nombre attendu", "un nombre positif ou nul (point décimal, par exemple 5 ou 0.05)"


def _choice(*allowed: str) -> Callable[[Any], Problem]:
    def check(v) -> Problem:
        if isinstance(v, str) and v in allowed:
            return None
        return "valeur non reconnue", "une des valeurs : " + ", ".join(allowed)
    return check


def _input_entry(v) -> Problem:
    if v is None or _is_text(v):
        return None
    if isinstance(v, list) and all(_is_text(x) for x in v):
        return None
    if isinstance(v, dict) and all(x is None or _is_text(x) for x in v.values()):
        return None
    return "entrée invalide", "un chemin, une liste de chemins ou un dictionnaire programme: chemin"


KINDS: dict[str, Callable[[Any], Problem]] = {
    "text": _text, "bool": _bool, "date": _date, "month": _month, "path": _path, "code": _code,
    "codes": _codes, "axes": _axes, "text_map": _text_map, "groups": _groups,
    "int>=0": _int_min(0), "int>=1": _int_min(1),
    "number": _number,
    "wave_date": _choice("programming_date", "start_date", "agreement_date"),
    "react_eu": _choice("apart", "include"),
    "unknown_os": _choice("error", "exclude"),
    "inputs": lambda v: None if isinstance(v, dict) or v is None else ("dictionnaire attendu",
                                                                       "inputs: {operations: ..., survey: ...}"),
    "waves": lambda v: None if isinstance(v, dict) and v else ("dictionnaire attendu",
                                                              '{"2019": {label: ..., start: AAAA-MM-JJ, end: AAAA-MM-JJ}}'),
}

# name: (kind, required, meaning) -- one line per key
KEYS: dict[str, tuple[str, bool, str]] = {
    "run_name": ("text", False, "name of the run (recorded in outputs and review workbooks)"),
    "synthetic": ("bool", False, "true: every output carries the synthetic-data banner"),
    "dataset_label": ("text", False, "label of the dataset shown in the note"),
    "output_dir": ("path", True, "folder of the outputs of the run"),
    "programmes": ("text_map", False, "programme key -> full name"),
    "programmes_short": ("text_map", False, "programme key -> short name"),
    "programme_funds": ("text_map", False, "programme key -> fund its credits are named after (default FSE, FSE+ when the short name says so, IEJ)"),
    "extract_date": ("date", False, "date of the monitoring extract"),
    "survey_date": ("month", False, "month (AAAA-MM) of the survey of managing bodies"),
    "current_wave": ("code", True, "the wave the note reports on (a key of waves)"),
    "previous_wave": ("code", False, "the previous wave (a key of waves)"),
    "waves": ("waves", True, "wave key -> {label, start, end} programming-date windows"),
    "inputs": ("inputs", True, "input files by role (operations, qualitative, participants, survey, lot5)"),
    "mapping": ("path", True, "column mapping (source headers -> isnote columns)"),
    "nomenclature": ("path", False, "axes, PI, OS codes per programme"),
    "keywords": ("path", False, "keyword groups of the screening"),
    "actors": ("path", False, "social-innovation ecosystem actors"),
    "typology": ("path", False, "categories of retained operations"),
    "survey_themes": ("path", False, "themes of the survey observations"),
    "review_register": ("path", True, "CSV register of the human review decisions"),
    "review_dir": ("path", False, "folder of the review workbooks (default: revue/<run_name>)"),
    "wave_date": ("wave_date", False, "date that defines the waves (default programming_date)"),
    "react_eu": ("react_eu", False, "REACT-EU axes: apart (excluded, counted, named) or include"),
    "unknown_os": ("unknown_os", False, "code absent from the nomenclature: error (stop) or exclude (counted)"),
    "exclude_axes": ("axes", False, "technical-assistance axes: a list, or programme -> list"),
    "content_dir": ("path", False, "folder of the static Markdown sections of the note"),
    "closing_dir": ("path", False, "folder of the closing sections (conclusions, limits); default <content_dir>/fin"),
    "note_title": ("text", False, "title of the note"),
    "running_title": ("text", False, "running title (page headers)"),
    "os_innovation_sociale": ("code", False, "OS code of the PON FSE that targets social innovation"),
    "extract_max_rows": ("int>=0", False, "operations per category and axis in the extracts (0 = all)"),
    "extract_max_chars": ("int>=1", False, "length of the short description in the extracts"),
    "survey_groups": ("groups", False, "aggregates of survey body types"),
    "survey_type_order": ("codes", False, "display order of the survey body types"),
    "survey_definition_theme": ("text", False, "theme quoted as 'definition judged vague'"),
    "table4_detail_axes": ("codes", False, "axes whose OS are detailed in table 4"),
    "regions_min_retained": ("int>=0", False, "minimum retained operations for a region to be ranked"),
    "editorial_approvals": ("path", False, "approved values cited by the editorial paragraphs (default content/approbations.yaml)"),
    "synthesis_change_points": ("number", False, "change of an axis share (points) commented in the synthesis (default 5)"),
    "synthesis_modest_share": ("number", False, "share of total cost under which the 'modest share' lesson applies (default 0.05)"),
    "illustrations": ("path", False, "operations the note illustrates first in the extracts (programme, title, beneficiary)"),
    "national_financing": ("path", False, "facts file: national instruments financing social innovation (name, M€, manager, purpose, source); absent = no block"),
    "lot5_lessons": ("path", False, "facts file: what the lot-5 study of the IEJ evaluation taught (points, source); absent = no section"),
    "survey_reading": ("path", False, "themes of the qualitative reading of the survey answers"),
    "pivot_min_waves": ("int>=1", False, "from this many waves the volumes table shows waves as rows (default 3)"),
    "ramo_max_chars": ("int>=1", False, "maximum length of the summary for the annual report"),
}


def _line_of(text: str | None, key: str) -> int | None:
    if not text:
        return None
    m = re.search(rf"^{re.escape(key)}\s*:", text, re.M) or re.search(
        rf"^\s*['\"]?{re.escape(key)}['\"]?\s*:", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _unknown(source, where: str, key, known, text: str | None, kind: str = "clé") -> InputError:
    near = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
    hint = f" ; vouliez-vous dire « {near[0]} » ?" if near else ""
    return InputError(source, f"{kind} inconnue « {key} »{where}{hint}", row=_line_of(text, str(key)),
                      column=str(key), expected=("une des clés : " + ", ".join(known)))


def _check(source, name: str, value, kind: str, text: str | None, line_key: str, what: str = "") -> None:
    problem = KINDS[kind](value)
    if problem:
        message, expected = problem
        raise InputError(source, f"paramètre « {name} »{what} : {message}", row=_line_of(text, line_key),
                         column=name, value=value, expected=expected)


def validate(data: Any, source, text: str | None = None) -> None:
    """Check a parameters dictionary against KEYS; raises InputError naming the key."""
    if not isinstance(data, dict):
        raise InputError(source, "le fichier de paramètres doit être un dictionnaire YAML",
                         expected="des lignes « clé: valeur »")
    missing = [k for k, (_kind, req, _doc) in KEYS.items() if req and k not in data]
    if missing:
        raise InputError(source, f"clé(s) manquante(s) : {', '.join(missing)}",
                         expected="les clés " + ", ".join(k for k, v in KEYS.items() if v[1]))
    for key in data:
        if str(key) not in KEYS:
            raise _unknown(source, "", key, KEYS, text)
    for key, value in data.items():
        kind, required, _doc = KEYS[str(key)]
        if value is None and not required:
            continue
        _check(source, str(key), value, kind, text, str(key))
    for role, entry in (data.get("inputs") or {}).items():
        if str(role) not in INPUT_ROLES:
            raise _unknown(source, " dans inputs", role, INPUT_ROLES, text, kind="entrée")
        problem = _input_entry(entry)
        if problem:
            raise InputError(source, f"paramètre « inputs.{role} » : {problem[0]}", row=_line_of(text, str(role)),
                             column=f"inputs.{role}", value=entry, expected=problem[1])
    for wave, window in data["waves"].items():
        name = f"waves.{wave}"
        if not isinstance(window, dict):
            raise InputError(source, f"paramètre « {name} » : dictionnaire attendu", row=_line_of(text, str(wave)),
                             column=name, value=window, expected="{label: ..., start: AAAA-MM-JJ, end: AAAA-MM-JJ}")
        for k in window:
            if str(k) not in WAVE_KEYS:
                raise _unknown(source, f" dans {name}", k, WAVE_KEYS, text)
        for k, kind in WAVE_KEYS.items():
            if k not in window:
                if kind == "date":
                    raise InputError(source, f"paramètre « {name} » (vague {wave}) : « {k} » manquant", row=_line_of(text, str(wave)),
                                     column=f"{name}.{k}", expected="une date complète AAAA-MM-JJ")
                continue
            _check(source, f"{name}.{k}", window[k], kind, text, str(wave), what=f" (vague {wave})")


def describe() -> str:
    """The schema as a Markdown table (for the docs and the report)."""
    lines = ["| key | kind | required | meaning |", "|---|---|---|---|"]
    lines += [f"| `{k}` | {kind} | {'yes' if req else ''} | {doc} |" for k, (kind, req, doc) in KEYS.items()]
    return "\n".join(lines)
