"""Post-processing of the note by part (isnote.note.postcache, the live preview's): the result is the
whole page's `post.postprocess`, byte for byte, from an empty memory and from a full one, and every
input of a part (its HTML, the numbering before it, the numbers it refers to, the ids of the page,
the run's images, the scripts) invalidates what was kept for it."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import pytest

from isnote import note
from isnote.note import post, postcache

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "note_fixtures"))
import builders  # noqa: E402

M = "<!--part-->"
JS = "console.log('note');"
HEAD = ('<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n<title>Note</title>\n'
        '<style>\np { margin: 0; }\n</style>\n</head>\n<body class="isn-note">\n'
        '<header class="isn-titlepage" id="page-de-titre"><h1 class="isn-title" data-nonum="">Note : essai</h1>'
        '<p>Produit le 2 janvier 2025 à 10:30</p></header>\n'
        '<nav class="isn-toc" id="sommaire"><h2 id="sommaire-titre" data-nonum="">Sommaire</h2>'
        '<ol class="isn-toc-list" id="sommaire-liste"></ol></nav>\n<main class="isn-body">')
TAIL = f'</main>\n<footer class="isn-footer"><p>Note – essai</p></footer>\n<script>\n{JS}\n</script>\n</body>\n</html>'

PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def _table(caption: str, rows: int, tid: str = "") -> str:
    body = "".join(f"<tr><td>ligne {i}</td><td>1 234,5</td></tr>" for i in range(rows))
    ident = f' id="{tid}"' if tid else ""
    return (f'<div class="isn-out">\n<figure class="isn-table" data-caption="{caption}"{ident}><table>'
            f'<thead><tr><th>Libellé</th><th>Montant</th></tr></thead><tbody>{body}'
            '<tr class="total"><td>Total</td><td>2 469,0</td></tr></tbody></table>'
            '<p class="source">Source : données de suivi</p></figure>\n</div>')


def _annex(n: int, skip: int = -1) -> str:
    rows = "".join(f'<tr><td>{100 + i}</td><td>Opération n° {i} : l\'atelier « solidaire »</td>'
                   f'<td class="num" data-sort="{i}.0">1 234 567</td></tr>' for i in range(n) if i != skip)
    return ('<div class="isn-out">\n<div class="isn-annexes"><h1 data-nonum="">Annexe A – Liste</h1>'
            '<figure class="isn-table isn-long" data-caption="Opérations retenues">'
            '<table class="isn-sortable" data-total="3"><thead><tr><th>N°</th><th>Intitulé</th><th>Coût</th></tr>'
            f'</thead><tbody>{rows}</tbody></table></figure></div>\n</div>')


def parts() -> list[str]:
    return [
        '<div class="isn-md">\n<h1 id="Objectifs">1. Objectifs</h1>\n<p>Le PON finance 6 646 opérations : '
        "l'innovation sociale en représente 3 %.</p>\n</div>",
        _table("Opérations par programme", 3, "tab-programmes"),
        '<div class="isn-md">\n<h2 id="Methode">Méthode</h2>\n<p>Voir le <a class="isn-ref" data-target="tab-regions" '
        'href="#">tableau</a> et le <a class="isn-ref" data-target="tab-programmes" href="#">tableau</a>.</p>\n'
        '<aside class="isn-box" data-caption="Une définition"><p>Texte de l\'encadré.</p></aside>\n</div>',
        f'<div class="isn-out"><figure class="isn-figure" data-caption="Évolution"><img src="data:image/png;base64,{PNG}" '
        'alt=""></figure></div>',
        _table("Opérations par région", 30, "tab-regions"),
        '<div class="isn-md">\n<h2 id="Resultats">Résultats</h2>\n<h3>Détail</h3>\n<p>12 opérations.</p>\n'
        '<h2 id="tab-programmes">Un titre qui reprend un identifiant</h2>\n</div>',
        '<div class="isn-md">\n<h1>Annexe</h1>\n<p>' + "x" * 200 + "</p>\n</div>",
        _annex(60),
        _table("Un long tableau numéroté", 45),     # its rows stay in its part (numbered, rounding note)
    ]


def page(cells: list[str]) -> str:
    return HEAD + "".join(M + c for c in cells) + TAIL


def _images() -> set[str]:
    import base64

    from isnote.htmlguard import digest
    return {digest(base64.b64decode(PNG))}


def whole(cells, images=None, scripts=(JS,)) -> tuple[str, dict]:
    info: dict = {"warnings": []}
    html = post.postprocess(page(cells).replace(M, ""), info, allowed_images=images if images is not None else _images(),
                            scripts=list(scripts))
    return html, info


def by_part(cells, cache, images=None, scripts=(JS,)) -> tuple[str, dict]:
    info: dict = {"warnings": []}
    html = postcache.postprocess(page(cells), info, allowed_images=images if images is not None else _images(),
                                 scripts=list(scripts), mark=M, cache=cache)
    return html, info


def test_cold_and_warm_give_the_whole_pages_result():
    cache = postcache.PartCache()
    ref = whole(parts())
    assert "Tableau 2" in ref[0] and 'href="#tab-regions"' in ref[0] and "Encadré 1" in ref[0]
    assert by_part(parts(), cache) == ref
    assert cache.misses == len(parts()) and cache.hits == 0
    assert by_part(parts(), cache) == ref                       # everything from the memory
    assert cache.hits == len(parts()) and cache.misses == len(parts())


@pytest.mark.parametrize("change", [
    "text",            # a paragraph edited: that part only
    "table_before",    # a table added before: the later tables, references and ids renumbered
    "heading_before",  # a section added before: the later sections renumbered
    "target_moved",    # the referenced table now comes first: the references change
    "id_collision",    # a new element takes an id a heading would have had
    "box_before",      # a box added before
])
def test_each_input_of_a_part_invalidates_it(change):
    cache = postcache.PartCache()
    cells = parts()
    by_part(cells, cache)
    new = list(cells)
    if change == "text":
        new[0] = new[0].replace("6 646 opérations", "6 647 opérations")
    elif change == "table_before":
        new.insert(0, _table("Nouveau tableau", 2))
    elif change == "heading_before":
        new.insert(0, '<div class="isn-md">\n<h1>Synthèse</h1>\n<p>Résumé.</p>\n</div>')
    elif change == "target_moved":
        new[1], new[4] = new[4], new[1]
    elif change == "id_collision":
        new.insert(0, '<div class="isn-md">\n<p id="sec-1">Un paragraphe.</p>\n</div>')
    elif change == "box_before":
        new.insert(0, '<div class="isn-md">\n<aside class="isn-box" data-caption="Avant"><p>Avant.</p></aside>\n</div>')
    ref = whole(new)
    before = cache.misses
    assert by_part(new, cache) == ref
    assert cache.misses > before                                # something was redone
    if change == "text":
        assert cache.misses == before + 1                       # ... and only the edited part


def test_a_new_id_elsewhere_redoes_only_its_part():
    cache = postcache.PartCache()
    cells = parts()
    by_part(cells, cache)
    new = list(cells)
    new[6] = new[6].replace("<p>", '<p id="fiche-123">', 1)        # e.g. a project sheet's anchor
    before = cache.misses
    assert by_part(new, cache) == whole(new)
    assert cache.misses == before + 1


def test_a_row_removed_from_a_long_table_redoes_no_other_row():
    cache = postcache.PartCache()
    cells = parts()
    by_part(cells, cache)
    assert cache.row_misses == 60
    new = [_annex(60, skip=7) if c == _annex(60) else c for c in cells]
    assert by_part(new, cache) == whole(new)
    assert cache.row_misses == 60                               # every other row reused
    new = [c.replace("Opération n° 9 :", "Opération n° 9 bis :") for c in new]
    assert by_part(new, cache) == whole(new)
    assert cache.row_misses == 61


def test_rows_with_links_stay_in_their_part():
    cache = postcache.PartCache()
    cells = parts()
    cells[7] = cells[7].replace("<td>100</td>", '<td><a href="#sec-1">100</a></td>')
    assert by_part(cells, cache) == whole(cells)
    assert by_part(cells, cache) == whole(cells)
    assert cache.hits == len(cells) and cache.row_misses == 0


def test_images_and_scripts_invalidate():
    cache = postcache.PartCache()
    by_part(parts(), cache)
    before = cache.misses
    # the run's images: the part showing an image is redone (its figure is now foreign: removed,
    # so the whole page's processing gives the result), the others are not
    assert by_part(parts(), cache, images=_images() | {"1" * 64}) == whole(parts(), images=_images() | {"1" * 64})
    assert cache.misses == before
    assert by_part(parts(), cache, images={"0" * 64}) == whole(parts(), images={"0" * 64})
    by_part(parts(), cache)
    before = cache.misses
    assert by_part(parts(), cache, scripts=()) == whole(parts(), scripts=())
    assert cache.misses == before + len(parts())


@pytest.mark.parametrize("bad", [
    '<div class="isn-md">\n<p>une balise laissée ouverte <div>\n</div>',
    '<div class="isn-out"><script>alert(1)</script></div>',
    '<div class="isn-out"><a href="https://exemple.org">lien externe</a></div>',
    '<p>un paragraphe hors cellule</p>',
])
def test_parts_that_do_not_stand_alone_fall_back_to_the_whole_page(bad):
    cache = postcache.PartCache()
    cells = parts()
    cells.insert(2, bad)
    assert by_part(cells, cache) == whole(cells)
    assert by_part(cells, cache) == whole(cells)


RUN_DATE = dt.datetime(2025, 1, 2, 10, 30)


@pytest.fixture
def enabled():
    postcache.enable()
    yield postcache.CACHE
    postcache.enable(False)


def test_note_build_by_part_is_byte_identical(tmp_path, enabled):
    params, layout = builders.make_run(tmp_path)
    content = tmp_path / "content"
    shutil.copytree(builders.PROJECT_ROOT / "content", content)
    postcache.enable(False)
    cold = note.build(params, layout, pdf=False, companions=False, run_date=RUN_DATE, content_dir=content)
    ref = layout.note_html.read_text(encoding="utf-8")
    postcache.enable()
    for _ in range(2):
        res = note.build(params, layout, pdf=False, companions=False, run_date=RUN_DATE, content_dir=content)
        assert layout.note_html.read_text(encoding="utf-8") == ref
        assert res["warnings"] == cold["warnings"] and res["sections"] == cold["sections"]
    assert enabled.hits > 0
    # a paragraph of content/ edited: same page as a cold build of the edited text
    first = sorted(content.glob("*.md"))[0]
    first.write_text(first.read_text(encoding="utf-8").rstrip("\n") + " Une phrase ajoutée.\n", encoding="utf-8")
    misses = enabled.misses
    note.build(params, layout, pdf=False, companions=False, run_date=RUN_DATE, content_dir=content)
    warm = layout.note_html.read_text(encoding="utf-8")
    assert "Une phrase ajoutée." in warm and enabled.misses - misses <= 3
    postcache.enable(False)
    note.build(params, layout, pdf=False, companions=False, run_date=RUN_DATE, content_dir=content)
    assert layout.note_html.read_text(encoding="utf-8") == warm


# ---------------------------------------------------------------- kept on disk (make report)


def test_parts_kept_on_disk_give_the_same_page(tmp_path):
    ref = whole(parts())
    store = tmp_path / "post-cache"
    cache = postcache.PartCache()
    assert by_part(parts(), cache) == ref
    postcache.save(cache, store)
    again = postcache.load(store)                        # what the next run's process reads
    assert by_part(parts(), again) == ref
    assert again.hits == len(parts()) and again.misses == 0 and again.row_misses == 0
    cells = parts()
    cells[0] = cells[0].replace("3 %", "4 %")            # one figure changed: one part redone
    again2 = postcache.load(store)
    assert by_part(cells, again2) == whole(cells)
    assert again2.misses == 1


def test_a_store_that_cannot_be_used_is_ignored(tmp_path, monkeypatch):
    import pickle

    ref = whole(parts())
    store = tmp_path / "post-cache"
    cache = postcache.PartCache()
    by_part(parts(), cache)
    postcache.save(cache, store)
    assert (store / postcache.STORE_FILE).is_file()
    # other code (any file of the package changed): nothing reused
    monkeypatch.setattr(postcache, "_CODE_KEY", ["other code"])
    other = postcache.load(store)
    assert not other.done and by_part(parts(), other) == ref and other.hits == 0
    monkeypatch.undo()
    # damaged, or naming something to call: nothing reused, no error
    (store / postcache.STORE_FILE).write_bytes(b"\x80\x04damaged")
    assert not postcache.load(store).done
    (store / postcache.STORE_FILE).write_bytes(pickle.dumps({"code": postcache._code_key(), "numbered": {},
                                                            "done": {"k": [PathLike()]}, "rows": {}}))
    assert not postcache.load(store).done
    # unwritable: the build goes on
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be", encoding="utf-8")
    postcache.save(cache, blocked)
    assert not postcache.load(blocked).done


class PathLike:           # a class the store must not bring back to life
    pass


def test_note_build_with_its_parts_on_disk_is_byte_identical(tmp_path, monkeypatch):
    params, layout = builders.make_run(tmp_path)
    store = tmp_path / ".out.staging" / "post-cache"
    cold = note.build(params, layout, pdf=False, companions=False, run_date=RUN_DATE)
    ref = layout.note_html.read_text(encoding="utf-8")
    loaded = []
    real_load = postcache.load
    monkeypatch.setattr(postcache, "load", lambda folder: loaded.append(real_load(folder)) or loaded[-1])
    from isnote import htmlblocks, jinjacache, narrative
    envs = [narrative._env(), htmlblocks.environment(), note._note_exporter().environment]
    for env in envs:                                     # given back as they were after the test
        monkeypatch.setattr(env, "bytecode_cache", env.bytecode_cache)
    for _ in range(2):                                   # from an empty store, then from the kept parts
        for env in envs:                                 # as in a new process: templates from the disk
            env.cache.clear()
        res = note.build(params, layout, pdf=False, companions=False, run_date=RUN_DATE, post_cache=store)
        assert layout.note_html.read_text(encoding="utf-8") == ref
        assert res["warnings"] == cold["warnings"] and res["sections"] == cold["sections"]
        assert res["tables"] == cold["tables"] and res["tool_talk"] == cold["tool_talk"]
    assert loaded[0].hits == 0 and loaded[1].hits > 0 and loaded[1].misses == 0
    for name in ("narrative", "blocks", "note"):         # compiled templates kept
        assert list(jinjacache.folder(store, name).glob("__jinja2_*.cache"))
    assert not postcache.enabled() and not postcache.CACHE.done      # the preview's memory untouched


def test_parts_digest_separates_values_and_keeps_lone_surrogates():
    """The caches' keys: ("ab", "c") and ("a", "bc") differ, lists count by their repr, and a text
    holding a lone surrogate (as a notebook's output may) is digested instead of failing."""
    from isnote.hashing import parts_sha256
    assert parts_sha256("ab", "c") != parts_sha256("a", "bc")
    assert parts_sha256(["a", "b"]) != parts_sha256(["a"], "b")
    assert len(parts_sha256("x\udc80")) == 64 and parts_sha256("x\udc80") != parts_sha256("x")
