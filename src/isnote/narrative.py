"""Templated French text: every number quoted in the note comes from the key figures of the run.

Templates live in `templates/narrative/<name>.md.j2` (Markdown + Jinja). They see:

- `kf`: the merged key figures (`key_figures.json`, or the fragments written so far);
- `p`: the parameters of the run; `cw` / `pw`: current and previous wave keys;
  `wave` / `prev_wave`: their entries of `waves` (label, start, end);
- `labels` (typology category labels), `survey_labels`, `theme_labels`, `short` (programme
  short names), `fonds` (fund of each programme's credits: FSE, FSE+, IEJ), `contexte` (facts of
  context from parameter files: national financing, lot-5 lessons; isnote.contextfacts), `os_is` (OS code dedicated to social innovation, default "3913");
- filters `fmt_int`, `fmt_num`, `fmt_meur`, `fmt_eur`, `fmt_pct` (isnote.frnum), `fmt_date`,
  `fmt_month`; functions `share(a, b)`, `ranked(node, field)`, `compare(a, b)`, `plural(n, one, many)`.

A key missing from the figures or the parameters raises NarrativeError naming the template and
the full key path (e.g. `retained.fse.2019.total.n_ops`), never a silent blank.

In a notebook: `narrative.show("fse_bilan", ctx)` displays the rendered Markdown.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

import jinja2

from . import frdates, frnum
from .errors import IsnoteError

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
NARRATIVE_DIR = TEMPLATES_DIR / "narrative"

# Section 14.5 of the annual implementation report (the progress made on social innovation
# actions): SFC2014 text field. The limit could not be confirmed
# from a public source at the time of writing; 3 500 characters (spaces included) is assumed.
# A run may override it with the parameter `ramo_max_chars`.
RAMO_MAX_CHARS = 3500
RAMO_TEMPLATE = "ramo_14_5"

# OS code of the PON FSE that targets social innovation (axis 3, OS 3); override: `os_innovation_sociale`.
DEFAULT_OS_INNOVATION = "3913"

# Body types of the survey of managing bodies, as the reader should see them.
SURVEY_LABELS = {
    "AGD": "les autorités de gestion déléguées",
    "OI CD": "les conseils départementaux organismes intermédiaires",
    "OI PLIE pivot": "les PLIE pivots",
    "OI PLIE": "les PLIE non pivots",
    "PLIE": "les PLIE (pivots ou non)",
    "Autre OI": "les autres organismes intermédiaires",
}
# Aggregates of body types: when the aggregate is present, its parts are not compared separately.
SURVEY_AGGREGATES = {"PLIE": ("OI PLIE pivot", "OI PLIE")}

# context entries that come from the parameters (named so in error messages)
PARAM_KEYS = frozenset({"p", "params", "wave", "prev_wave", "short", "labels", "theme_labels"})

class NarrativeError(IsnoteError):
    """A narrative template cannot be rendered (missing key figure, unknown template...)."""


class MissingKey(NarrativeError):
    def __init__(self, path: str, origin: str):
        self.path = path
        self.origin = origin
        super().__init__(f"clé manquante « {path} » ({origin})")


class Figures:
    """Read-only view of nested figures that names the full path of a missing key."""

    __slots__ = ("_data", "_path", "_origin")

    def __init__(self, data: Mapping, path: str = "", origin: str = "chiffres clés"):
        self._data = data
        self._path = path
        self._origin = origin

    def _wrap(self, key: str, value: Any) -> Any:
        path = f"{self._path}.{key}" if self._path else str(key)
        if isinstance(value, Mapping):
            return Figures(value, path, self._origin)
        if isinstance(value, (list, tuple)):
            return [Figures(v, f"{path}[{i}]", self._origin) if isinstance(v, Mapping) else v
                    for i, v in enumerate(value)]
        return value

    def __getitem__(self, key: Any) -> Any:
        k = str(key) if not isinstance(key, str) and str(key) in self._data else key
        if k not in self._data:
            path = f"{self._path}.{key}" if self._path else str(key)
            raise MissingKey(path, self._origin)
        return self._wrap(k, self._data[k])

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def get(self, key: Any, default: Any = None) -> Any:
        key = str(key)
        return self._wrap(key, self._data[key]) if key in self._data else default

    def has(self, dotted: str) -> bool:
        node: Any = self._data
        for part in str(dotted).split("."):
            if not isinstance(node, Mapping) or part not in node:
                return False
            node = node[part]
        return True

    def keys(self):
        return list(self._data.keys())

    def values(self):
        return [self._wrap(k, v) for k, v in self._data.items()]

    def items(self):
        return [(k, self._wrap(k, v)) for k, v in self._data.items()]

    def __iter__(self):
        return iter(list(self._data.keys()))

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: Any) -> bool:
        return str(key) in self._data

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Figures({self._path or '<racine>'})"

    def __str__(self) -> str:
        raise NarrativeError(f"« {self._path or 'racine'} » est un bloc, pas une valeur ({self._origin})")


# --------------------------------------------------------------------------------------------
# filters and helpers


fmt_date = frdates.long_date          # 2019-03-09 -> '9 mars 2019' (1er for the first day of a month)
fmt_month = frdates.month_year        # '2019-02' (or a date) -> 'février 2019'


def share(part: Any, whole: Any) -> float | None:
    """part / whole, or None when the whole is zero or missing."""
    try:
        part, whole = float(part), float(whole)
    except (TypeError, ValueError):
        return None
    return part / whole if whole else None


def ranked(node: Any, field: str | None = None, reverse: bool = True) -> list[tuple[str, Any]]:
    """Items of a block sorted by a field (or by value), largest first; ties by key."""
    items = node.items() if hasattr(node, "items") else list(node)

    def value(item):
        v = item[1][field] if field else item[1]
        return float(v) if v is not None else float("-inf")

    keyed = sorted(items, key=lambda it: str(it[0]))
    return sorted(keyed, key=value, reverse=reverse)


def pick(node: Any, keys: Iterable[str]) -> list[tuple[str, Any]]:
    """(key, value) pairs of `node` for the given keys that are present (in the given order)."""
    return [(k, node[k]) for k in keys if k in node and node[k] is not None]


def compare(a: Any, b: Any, more: str = "plus élevé", less: str = "moins élevé",
            same: str = "identique") -> str:
    a, b = float(a), float(b)
    return more if a > b else less if a < b else same


def plural(n: Any, one: str, many: str) -> str:
    try:
        return one if abs(float(n)) < 2 else many
    except (TypeError, ValueError):
        return many


def _guard(fn):
    def wrapped(value, *args, **kwargs):
        if isinstance(value, Figures):
            raise NarrativeError(f"« {value._path} » est un bloc, pas un nombre ({value._origin})")
        if value is None:
            return "–"
        return fn(value, *args, **kwargs)
    wrapped.__name__ = fn.__name__
    return wrapped


_CITED_PREFIX = re.compile("^\ue000\\d+\ue001")   # marker of a value cited by an editorial text


def lcfirst(text: Any) -> str:
    """Lower-case the first letter only ('Règles de gestion du FSE' -> 'règles de gestion du FSE'),
    after the private-use marker of a cited editorial value (isnote.editorial) if there is one."""
    text = str(text)
    m = _CITED_PREFIX.match(text)
    k = m.end() if m else 0
    return text[:k] + text[k:k + 1].lower() + text[k + 1:]


FILTERS = {
    "lcfirst": lcfirst,
    "fmt_int": _guard(frnum.fmt_int),
    "fmt_num": _guard(frnum.fmt_num),
    "fmt_meur": _guard(frnum.fmt_meur),
    "fmt_eur": _guard(frnum.fmt_eur),
    "fmt_pct": _guard(frnum.fmt_pct),
    "fmt_date": fmt_date,
    "fmt_month": fmt_month,
}


# Characters that make Markdown (or HTML, or the math of the note) out of text. A value printed by a
# template ({{ … }}) may come from the data (a body type, a region, a label): each of these
# characters becomes a numeric character reference, which Markdown shows as the character itself
# and never reads as syntax (no image, no link, no emphasis, no raw HTML, no formula).
_MD_SPECIAL = re.compile(r"[\\`*_\[\]<>!$|~#&{}^=]")


def md_text(value: Any) -> str:
    """`value` as literal text in Markdown."""
    return _MD_SPECIAL.sub(lambda m: f"&#{ord(m.group())};", str(value))


def _finalize(value: Any) -> Any:
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return md_text(value)


def environment(search_path: Iterable[Path] | None = None) -> jinja2.Environment:
    """The Jinja environment of narrative templates and static content (French filters); every
    printed value is literal text (see md_text)."""
    loader = jinja2.FileSystemLoader([str(p) for p in (search_path or [NARRATIVE_DIR])])
    env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             extensions=["jinja2.ext.do"], finalize=_finalize)
    env.filters.update(FILTERS)
    from .frwords import FILTERS as WORD_FILTERS, count, sentence_start
    env.filters.update(WORD_FILTERS)
    env.globals.update(compte=count, debut_phrase=sentence_start)
    env.globals.update(share=share, ranked=ranked, pick=pick, compare=compare, plural=plural)
    return env


_ENV: jinja2.Environment | None = None


def _env() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        _ENV = environment()
    return _ENV


def _wrap_context(context: Mapping[str, Any]) -> dict:
    out = {}
    for key, value in context.items():
        if isinstance(value, Mapping) and not isinstance(value, Figures):
            origin = "paramètres" if key in PARAM_KEYS else "chiffres clés"
            out[key] = Figures(value, "" if key in ("kf", "p", "params") else key, origin)
        else:
            out[key] = value
    return out


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"


def _where(exc: BaseException, template: jinja2.Template) -> str:
    """« , ligne N » of the text where rendering failed (Jinja puts the template's lines in the
    traceback), or ""."""
    import traceback
    name = template.filename or "<template>"
    lines = [fr.lineno for fr in traceback.extract_tb(exc.__traceback__) if fr.filename == name]
    return f", ligne {lines[-1]}" if lines else ""


def _render_template(template: jinja2.Template, label: str, context: Mapping[str, Any]) -> str:
    try:
        return _tidy(template.render(**_wrap_context(context)))
    except MissingKey as exc:
        raise NarrativeError(f"texte « {label} »{_where(exc, template)} : clé manquante « {exc.path} » dans les "
                             f"{exc.origin} (le bloc ou la valeur n'a pas été produit par le calcul)") from None
    except NarrativeError as exc:
        raise NarrativeError(f"texte « {label} »{_where(exc, template)} : {exc}") from None
    except jinja2.UndefinedError as exc:
        raise NarrativeError(f"texte « {label} »{_where(exc, template)} : variable inconnue ({exc.message})") from None
    except jinja2.TemplateSyntaxError as exc:
        raise NarrativeError(f"texte « {label} », ligne {exc.lineno} : syntaxe incorrecte ({exc.message})") from None


def template_names() -> list[str]:
    return sorted(p.name[: -len(".md.j2")] for p in NARRATIVE_DIR.glob("*.md.j2"))


def render(name: str, **context: Any) -> str:
    """Render narrative template `name` (templates/narrative/<name>.md.j2) to Markdown."""
    try:
        template = _env().get_template(f"{name}.md.j2")
    except jinja2.TemplateNotFound:
        raise NarrativeError(f"modèle de texte inconnu « {name} » ; modèles disponibles : "
                             + ", ".join(template_names())) from None
    except jinja2.TemplateSyntaxError as exc:
        raise NarrativeError(f"texte « {name} », ligne {exc.lineno} : syntaxe incorrecte ({exc.message})") from None
    return _render_template(template, name, context)


_STRING_TEMPLATES: dict[tuple[int, str], jinja2.Template] = {}


def render_string(source: str, label: str, **context: Any) -> str:
    """Render a Markdown text with `{{ }}` placeholders (static content sections)."""
    try:
        env = _env()
        template = _STRING_TEMPLATES.get((id(env), source))
        if template is None:        # compiled once per text and process (the preview renders them on every build)
            if len(_STRING_TEMPLATES) >= 256:
                _STRING_TEMPLATES.clear()
            template = _STRING_TEMPLATES[(id(env), source)] = env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise NarrativeError(f"texte « {label} », ligne {exc.lineno} : syntaxe incorrecte ({exc.message})") from None
    return _render_template(template, label, context)


def _yaml_or_empty(params, key: str) -> dict:
    if key not in params:
        return {}
    data = params.yaml(key) if hasattr(params, "yaml") else {}
    return data if isinstance(data, dict) else {}


def build_context(params: Mapping, kf: Mapping | None = None) -> dict:
    """Context of the narrative templates from the parameters and the key figures."""
    kf = kf or {}
    cw = str(params["current_wave"])
    pw = params.get("previous_wave")
    pw = str(pw) if pw is not None else None
    waves = params.get("waves", {})
    typology = _yaml_or_empty(params, "typology")
    themes = _yaml_or_empty(params, "survey_themes")
    labels = {k: v.get("label", k) for k, v in (typology.get("categories") or {}).items()}
    theme_labels = {k: v.get("label", k) for k, v in (themes.get("themes") or {}).items()}
    short = {"fse": "PON FSE", "iej": "PON IEJ"}
    short.update(params.get("programmes_short") or {})
    funds = programme_funds(params)
    return {
        "kf": kf,
        "p": dict(params),
        "cw": cw,
        "pw": pw if pw in waves else None,
        "wave": waves.get(cw, {}),
        "prev_wave": waves.get(pw, {}) if pw else {},
        "labels": labels,
        "category_order": list(typology.get("order") or labels.keys()),
        "theme_labels": theme_labels,
        "theme_order": list(themes.get("order") or theme_labels.keys()),
        "survey_labels": SURVEY_LABELS,
        "survey_aggregates": {k: list(v) for k, v in SURVEY_AGGREGATES.items()},
        "short": short,
        "fonds": funds,
        "os_is": str(params.get("os_innovation_sociale", DEFAULT_OS_INNOVATION)),
        "synthetic": bool(params.get("synthetic")),
        "syn": _synthesis_facts(params, kf),
        "contexte": _context_facts(params),
        # what the data are and which operations a wave holds: « opérations programmées » and an
        # extract of the monitoring base, or « opérations ayant démarré »… and a published list
        "liste": _readertext().is_published_list(params),
        "ops_vague": _readertext().wave_operations(params),
    }


def _readertext():
    from . import readertext
    return readertext


def _context_facts(params: Mapping) -> dict:
    from .contextfacts import context
    return context(params)


def programme_funds(params: Mapping) -> dict:
    """Fund of each programme as the reader names its credits (« crédits FSE », « crédits FSE+ »):
    parameter `programme_funds`, else FSE+ when the short name says FSE+, else FSE / IEJ."""
    short = params.get("programmes_short") or {}
    funds = {"fse": "FSE+" if "FSE+" in str(short.get("fse", "")) else "FSE", "iej": "IEJ"}
    funds.update(params.get("programme_funds") or {})
    return funds


def _synthesis_facts(params: Mapping, kf: Mapping) -> dict:
    from .synthesis import facts
    return facts(params, kf)


def render_for(name: str, params: Mapping, kf: Mapping) -> str:
    return render(name, **build_context(params, kf))


AS_CELL_KEY = "isnote_markdown_cell"     # output metadata: show this Markdown as a markdown cell of the note


def show(name: str, ctx, extra: dict | None = None, as_cell: bool = False) -> None:
    """Display template `name` rendered from the key figures written so far (in a notebook).

    `extra` holds key-figure blocks the notebook computed itself (they take precedence), for a
    notebook that runs in parallel with the one that writes them.
    """
    from IPython.display import Markdown, display

    from .keyfigures import deep_merge
    kf = ctx.kf.read_all()
    if extra:
        kf = deep_merge(kf, extra)
    text = render_for(name, ctx.params, kf)
    if as_cell:
        # section text (headings, introductions): the note shows it as a markdown cell
        display(Markdown(text), metadata={AS_CELL_KEY: True})
        return
    display(Markdown(text))


# --------------------------------------------------------------------------------------------
# the summary for section 14.5 of the annual implementation report


def markdown_to_text(md: str) -> str:
    """Plain text from the small Markdown subset of the templates (emphasis, lists, headings)."""
    text = re.sub(r"^#{1,6}\s*", "", md, flags=re.MULTILINE)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])", r"\1", text)
    text = re.sub(r"^\s*[-*]\s+", "– ", text, flags=re.MULTILINE)
    text = re.sub(r"(?<!\n)\n(?!\n|– )", " ", text.strip())        # reflow the lines of a paragraph
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = html.unescape(text)                                     # values printed as md_text
    return text.strip() + "\n"


def ramo_limit(params: Mapping) -> int:
    return int(params.get("ramo_max_chars", RAMO_MAX_CHARS))


def ramo_text(params: Mapping, kf: Mapping) -> str:
    """The summary paragraph for section 14.5 of the annual implementation report, checked
    against the length limit of that text field (NarrativeError when it is too long)."""
    from .typography import fix_text

    text = fix_text(markdown_to_text(render_for(RAMO_TEMPLATE, params, kf)))
    limit = ramo_limit(params)
    if len(text.rstrip("\n")) > limit:
        raise NarrativeError(f"le résumé pour la section 14.5 du RAMO compte {len(text.rstrip())} caractères, "
                             f"au-delà de la limite de {limit} : raccourcir "
                             f"templates/narrative/{RAMO_TEMPLATE}.md.j2")
    return text
