"""Editorial text that cannot go stale.

The evaluator writes sections of the note in Markdown under `content/` and may cite any key
figure inline, e.g. « {{ fse.retenues.cout }} » (rendered « 38,2 M€ »). Each paragraph that cites
figures is *approved* with the values it showed: the lock file (parameter `editorial_approvals`,
default `content/approbations.yaml`; the demo's: `content/demo/approbations.yaml`) records, per paragraph, the displayed value of every figure it
cites. When a run shows another value, the paragraph is listed as « à relire » (run output and
the reviewer's technical annex); with STRICT=1 in the environment (`make report STRICT=1`) the
note is not built (`ERREUR : ...`, exit status 2). `make approve-text` (python -m isnote.editorial
approve) records the values of the last run.

Namespace of the figures (all French, dotted; `w` = current wave, `p` = previous wave):

| name | figure |
|---|---|
| `vague.libelle`, `vague.debut`, `vague.fin`, `vague.extraction`, `vague.precedente` | the waves |
| `fse.analysees`, `fse.preidentifiees`, `fse.candidates` | screening of the PON FSE (w) |
| `fse.retenues.nb`, `.cout`, `.ue`, `.participants`, `.avec_participants` | retained operations (w) |
| `fse.retenues.part_operations`, `.part_cout`, `.part_ue` | shares of the programme (w) |
| `fse.precedente.nb`, `.cout`, `.ue` | retained at the previous wave |
| `fse.cumul.nb`, `.cout` | retained, all waves |
| `fse.programme.nb`, `.cout`, `.ue` | operations of the programme (w) |
| `fse.axeN.nb`, `.cout`, `.part_cout`, `.part_cout_precedente`, `.ecart_points` | per axis N |
| `fse.categories.<key>.nb`, `.cout`, `.part_cout`, `.part_cout_precedente`, `.ecart_points` | per typology category (w; shares of the retained cost) |
| `iej.*` | same names for the PON IEJ (no axes), plus `iej.lot5.listees`, `iej.lot5.retenues` |
| `total.retenues` | retained on both programmes (w) |
| `enquete.repondants`, `.oui`, `.non`, `.nsp`, `.observations` | survey of managing bodies |
| `chiffres.<path of key_figures.json>` | any other key figure, e.g. `chiffres.regions.fse.2019.min_retained` |

Formats: counts « 6 646 », amounts in M€ « 38,2 M€ » (k€ under 0,1 M€), shares « 2,2 % »,
changes « +12,0 points », dates « 9 mars 2019 ». The approval compares displayed values, so a
change too small to show does not call for a re-reading.

A paragraph is identified by its file and a digest of its wording with the cited names in
place of the values: rewording a paragraph makes it a new paragraph, to approve.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from . import frwords
from .config import PROJECT_ROOT, resolve
from .errors import InputError, IsnoteError
from .frnum import fmt_int, fmt_pct


def _narrative():
    """The template engine (jinja2), imported on first use: the pipeline's planning (is the
    editorial text approved?) runs on every `make report`, even when nothing has changed."""
    from . import narrative
    return narrative

DEFAULT_LOCK = "content/approbations.yaml"
STRICT_ENV = "STRICT"
_OPEN, _CLOSE = "\ue000", "\ue001"          # private-use markers around a cited value while rendering
_MARK = re.compile(_OPEN + r"(\d+)" + _CLOSE)


class StaleText(IsnoteError):
    """STRICT mode: an editorial paragraph cites values that changed since its approval."""


# --------------------------------------------------------------------------------------------
# cited values


@dataclass
class Recorder:
    citations: list[tuple[str, str]] = field(default_factory=list)   # (name, displayed value)

    def add(self, name: str, shown: str) -> int:
        self.citations.append((name, shown))
        return len(self.citations) - 1


class Cited:
    """A figure the text may cite: prints its French form and records the citation."""

    __slots__ = ("value", "name", "kind", "_rec")

    def __init__(self, value: Any, name: str, kind: str, recorder: Recorder):
        self.value, self.name, self.kind, self._rec = value, name, kind, recorder

    def shown(self) -> str:
        v = self.value
        if v is None:
            return "–"
        if self.kind == "montant":
            return frwords.fmt_amount(v)
        if self.kind == "part":
            return fmt_pct(v)
        if self.kind == "points":
            return frwords.fmt_points(v)
        if self.kind == "date":
            return _narrative().fmt_date(v)
        if self.kind == "nb":
            return fmt_int(v)
        return str(v)

    def __str__(self) -> str:
        shown = self.shown()
        return f"{_OPEN}{self._rec.add(self.name, shown)}{_CLOSE}{shown}"

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def _cmp(self, other):
        return float(other.value if isinstance(other, Cited) else other)

    def __lt__(self, other): return float(self.value) < self._cmp(other)      # noqa: E704
    def __le__(self, other): return float(self.value) <= self._cmp(other)     # noqa: E704
    def __gt__(self, other): return float(self.value) > self._cmp(other)      # noqa: E704
    def __ge__(self, other): return float(self.value) >= self._cmp(other)     # noqa: E704


class Space:
    """A node of the namespace; a missing name is an error naming it."""

    def __init__(self, data: Mapping, path: str, label: str):
        self._data, self._path, self._label = data, path, label

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: Any) -> Any:
        name = str(name)
        if name not in self._data:
            full = f"{self._path}.{name}" if self._path else name
            # the text's name is added once by narrative's rendering (« texte « … » : »)
            raise _narrative().NarrativeError(f"chiffre inconnu « {full} »")
        return self._data[name]

    def __contains__(self, name: Any) -> bool:
        return str(name) in self._data

    def __str__(self) -> str:
        raise _narrative().NarrativeError(f"« {self._path} » est un groupe de chiffres, pas un chiffre")


def _kind_of(key: str) -> str:
    # shares first: `part_ue`, `share_ct` are percentages although they end like an amount
    if (key.startswith(("share", "part")) and not key.startswith("particip")) or key in ("oui", "non", "nsp"):
        return "part"
    if key in ("ct", "ue") or key.startswith(("cout", "ue")) or key.endswith(("_ct", "_ue")):
        return "montant"
    return "nb"


def _tree(node: Any, path: str, rec: Recorder, label: str, kinds: Mapping[str, str] | None = None) -> Any:
    if isinstance(node, Mapping):
        return Space({str(k): _tree(v, f"{path}.{k}" if path else str(k), rec, label, kinds)
                      for k, v in node.items()}, path, label)
    last = path.rsplit(".", 1)[-1]
    kind = (kinds or {}).get(last) or _kind_of(last)
    if isinstance(node, str) or isinstance(node, (_dt.date,)):
        kind = "date" if isinstance(node, _dt.date) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(node)) else "texte"
    return Cited(node, path, kind, rec)


def namespace(params: Mapping, kf: Mapping, rec: Recorder, label: str) -> dict:
    """The names editorial text may cite (see the module docstring)."""
    from .synthesis import facts

    syn = facts(params, kf)
    cw = str(params["current_wave"])
    data: dict = {"vague": {"libelle": syn["vague"]["label"], "debut": syn["vague"]["debut"],
                            "fin": syn["vague"]["fin"], "extraction": syn["vague"]["extraction"],
                            "precedente": syn["precedente"]},
                  "total": {"retenues": syn["total_retenues"]}}
    for prog in ("fse", "iej"):
        b = syn.get(prog)
        if not b:
            continue
        node = {
            "analysees": b["analysees"], "preidentifiees": b["preidentifiees"], "candidates": b["candidates"],
            "retenues": {"nb": b["retenues"], "cout": b["cout"], "ue": b["ue"], "participants": b["participants"],
                         "avec_participants": b["avec_participants"], "part_operations": b["part_operations"],
                         "part_cout": b["part_cout"], "part_ue": b["part_ue"]},
            "programme": {"nb": b["analysees"], "cout": b["cout_programme"], "ue": b["ue_programme"]},
        }
        if b.get("precedente"):
            node["precedente"] = {"nb": b["precedente"]["retenues"], "cout": b["precedente"]["cout"],
                                  "ue": b["precedente"]["ue"]}
        if b.get("cumul"):
            node["cumul"] = {"nb": b["cumul"]["retenues"], "cout": b["cumul"]["cout"]}
        if prog == "iej":
            scr = (kf.get("screening") or {}).get("iej", {}).get(cw, {})
            node["lot5"] = {"listees": scr.get("lot5_listed"), "retenues": scr.get("lot5_retained")}
        data[prog] = node
    if "fse" in data:
        ret = (kf.get("retained") or {}).get("fse", {}).get(cw, {})
        for a in syn["axes"]:
            key = f"axe{a['axe']}"
            data["fse"][key] = {"nb": (ret.get(key) or {}).get("n_ops"), "cout": (ret.get(key) or {}).get("ct"),
                                "part_cout": a["part"], "part_cout_precedente": a["part_precedente"],
                                "ecart_points": a["ecart_points"]}
        data["fse"]["categories"] = {c["cle"]: {"nb": c["n"], "cout": c["cout"], "part": c["part"]}
                                     for c in syn["categories"]}
        for c in syn.get("categories_evolution") or []:
            data["fse"]["categories"][c["cle"]].update(part_cout=c["part"], part_cout_precedente=c["part_precedente"],
                                                       ecart_points=c["ecart_points"])
    if syn.get("enquete"):
        data["enquete"] = dict(syn["enquete"])
    data["chiffres"] = kf
    kinds = {"ecart_points": "points", "nb": "nb", "retenues": "nb", "participants": "nb",
             "avec_participants": "nb", "analysees": "nb", "candidates": "nb", "preidentifiees": "nb",
             "repondants": "nb", "observations": "nb", "listees": "nb"}
    return {k: _tree(v, k, rec, label, kinds) for k, v in data.items()}


# --------------------------------------------------------------------------------------------
# rendering and paragraphs


@dataclass
class Paragraph:
    id: str
    file: str
    excerpt: str
    values: dict            # name -> displayed value
    status: str = "à jour"  # "à jour", "à relire", "non approuvé"
    changes: list = field(default_factory=list)   # (name, approved value, current value)


def render(source: str, label: str, params: Mapping, kf: Mapping) -> tuple[str, list[Paragraph]]:
    """Render an editorial Markdown text; returns the text and its paragraphs that cite figures."""
    rec = Recorder()
    context = _narrative().build_context(params, kf)
    context.update(namespace(params, kf, rec, label))
    text = _narrative().render_string(source, label, **context)
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        ids = [int(m.group(1)) for m in _MARK.finditer(block)]
        if not ids:
            continue
        values = {}
        for i in ids:
            name, shown = rec.citations[i]
            values[name] = shown
        skeleton = _strip_values(block, rec)
        digest = hashlib.sha256(re.sub(r"\s+", " ", skeleton).strip().encode()).hexdigest()[:10]
        plain = re.sub(r"\s+", " ", _MARK.sub("", block)).strip()
        paragraphs.append(Paragraph(id=f"{label}#{digest}", file=label,
                                    excerpt=(plain[:90] + "…") if len(plain) > 90 else plain, values=values))
    return _MARK.sub("", text), paragraphs


def _strip_values(block: str, rec: Recorder) -> str:
    """The paragraph with each cited value replaced by its name (wording only)."""
    out, pos = [], 0
    for m in _MARK.finditer(block):
        name, shown = rec.citations[int(m.group(1))]
        out.append(block[pos:m.start()])
        out.append("{" + name + "}")
        after = block[m.end():m.end() + len(shown)]
        pos = m.end() + len(shown) if after in (shown, _narrative().lcfirst(shown)) else m.end()
    out.append(block[pos:])
    return "".join(out)


# --------------------------------------------------------------------------------------------
# the lock file


def lock_path(params: Mapping) -> Path:
    if params.get("editorial_approvals"):
        return resolve(str(params["editorial_approvals"]))
    return PROJECT_ROOT / DEFAULT_LOCK


def read_lock(path: Path) -> dict:
    import yaml

    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(path, f"fichier d’approbations illisible ({exc})") from None
    paragraphs = data.get("paragraphes", {}) if isinstance(data, Mapping) else {}
    if not isinstance(paragraphs, Mapping):
        raise InputError(path, "la clé « paragraphes » doit contenir un paragraphe par entrée")
    return dict(paragraphs)


def compare(paragraphs: list[Paragraph], lock: Mapping) -> list[Paragraph]:
    """Set each paragraph's status against the approved values."""
    for p in paragraphs:
        entry = lock.get(p.id)
        if not isinstance(entry, Mapping):
            p.status = "non approuvé"
            continue
        approved = {str(k): str(v) for k, v in (entry.get("valeurs") or {}).items()}
        p.changes = [(k, approved.get(k, "(non citée)"), v) for k, v in p.values.items() if approved.get(k) != v]
        p.status = "à relire" if p.changes else "à jour"
    return paragraphs


def report(paragraphs: list[Paragraph]) -> dict:
    return {"paragraphs": [{"id": p.id, "file": p.file, "excerpt": p.excerpt, "status": p.status,
                            "changes": p.changes} for p in paragraphs],
            "stale": [p.id for p in paragraphs if p.status != "à jour"]}


def messages(paragraphs: list[Paragraph]) -> list[str]:
    """One French line per paragraph to re-read."""
    out = []
    for p in paragraphs:
        if p.status == "à jour":
            continue
        what = ("jamais approuvé" if p.status == "non approuvé" else
                " ; ".join(f"{k} : {old} → {new}" for k, old, new in p.changes))
        out.append(f"paragraphe à relire ({p.file}, « {p.excerpt} ») : {what}")
    return out


def strict_mode() -> bool:
    return os.environ.get(STRICT_ENV, "").strip() not in ("", "0", "non", "no", "false")


def check_strict(paragraphs: list[Paragraph], params: Mapping) -> None:
    stale = [p for p in paragraphs if p.status != "à jour"]
    if stale and strict_mode():
        lines = "\n".join("- " + m for m in messages(stale))
        raise StaleText(f"{len(stale)} paragraphe(s) rédigé(s) citent des valeurs qui ont changé depuis leur "
                        f"approbation (fichier {lock_path(params)}) :\n{lines}\nRelire ces paragraphes, puis "
                        "enregistrer les nouvelles valeurs avec « make approve-text ».")


def write_lock(paragraphs: list[Paragraph], params: Mapping, when: _dt.date | None = None) -> Path:
    """Record the current values of every citing paragraph (entries of vanished paragraphs are dropped)."""
    import yaml

    from .atomic import write_text

    path = lock_path(params)
    old = read_lock(path)
    today = (when or _dt.date.today()).isoformat()
    entries = {}
    for p in sorted(paragraphs, key=lambda q: q.id):
        prev = old.get(p.id) if isinstance(old.get(p.id), Mapping) else {}
        same = prev and {str(k): str(v) for k, v in (prev.get("valeurs") or {}).items()} == p.values
        entries[p.id] = {"extrait": p.excerpt, "approuve_le": prev.get("approuve_le", today) if same else today,
                         "valeurs": dict(sorted(p.values.items()))}
    header = ("# Valeurs citées par les paragraphes rédigés de content/, telles qu'approuvées.\n"
              "# Écrit par « make approve-text » ; ne pas modifier à la main.\n")
    write_text(path, header + yaml.safe_dump({"paragraphes": entries}, allow_unicode=True, sort_keys=False,
                                             width=200))
    return path


# --------------------------------------------------------------------------------------------
# the editorial sections of a run


def content_base(params: Mapping, content_dir: Path | None = None) -> Path:
    """The folder of the opening sections (parameter `content_dir`, default the project's content/)."""
    return resolve(content_dir or params.get("content_dir") or PROJECT_ROOT / "content")


def closing_base(params: Mapping, content_dir: Path | None = None) -> Path:
    """The folder of the closing sections (conclusions, limits): parameter `closing_dir`, default
    `fin/` inside the content folder. Closing sections are specific to a dataset, opening ones are
    often shared: a parameter set on other data points `closing_dir` to its own folder."""
    if params.get("closing_dir"):
        return resolve(params["closing_dir"])
    return content_base(params, content_dir) / "fin"


def editorial_paths(params: Mapping) -> list[Path]:
    """Every file or folder the editorial text of a run depends on (for the change keys), including
    the facts files of context the opening and closing sections render (isnote.contextfacts)."""
    facts = [resolve(params[k]) for k in ("national_financing", "lot5_lessons") if params.get(k)]
    return [content_base(params), closing_base(params), lock_path(params)] + facts


def content_files(params: Mapping, content_dir: Path | None = None) -> list[tuple[str, Path]]:
    """(label, path) of every editorial Markdown file: content/*.md then content/fin/*.md."""
    base = content_base(params, content_dir)
    files = [(f"content/{p.name}", p) for p in sorted(base.glob("*.md"))]
    files += [(f"content/fin/{p.name}", p) for p in sorted(closing_base(params, content_dir).glob("*.md"))]
    return files


def render_all(params: Mapping, kf: Mapping, content_dir: Path | None = None) -> tuple[dict, list[Paragraph]]:
    texts, paragraphs = {}, []
    for label, path in content_files(params, content_dir):
        text, paras = render(path.read_text(encoding="utf-8"), label, params, kf)
        texts[label] = text
        paragraphs.extend(paras)
    return texts, paragraphs


def main(argv: list[str] | None = None) -> int:
    from .config import load_params
    from .note import read_key_figures

    parser = argparse.ArgumentParser(prog="isnote.editorial",
                                     description="Approve the figures cited by the editorial paragraphs.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("approve", "status"):
        s = sub.add_parser(name)
        s.add_argument("--params", default=None, help="parameters file (default: $PARAMS or params/demo.yaml)")
    args = parser.parse_args(argv)
    try:
        params = load_params(args.params or os.environ.get("PARAMS") or "params/demo.yaml")
        kf = read_key_figures(params.layout)
        if not kf:
            raise InputError(params.layout.key_figures, "chiffres clés introuvables",
                             expected="produire d’abord la note (make report)")
        _, paragraphs = render_all(params, kf)
        compare(paragraphs, read_lock(lock_path(params)))
        if args.cmd == "status":
            lines = messages(paragraphs)
            print("\n".join(lines) if lines else "Tous les paragraphes rédigés sont à jour.")
            return 0
        changed = [p for p in paragraphs if p.status != "à jour"]
        path = write_lock(paragraphs, params)
        print(f"{len(paragraphs)} paragraphe(s) approuvé(s), dont {len(changed)} modifié(s) ; valeurs "
              f"enregistrées dans {path}")
        for line in messages(changed):
            print("  " + line)
        return 0
    except (IsnoteError, _narrative().NarrativeError) as exc:
        print(f"ERREUR : {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
