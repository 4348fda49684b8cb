"""French typography of the note text (isnote.typography)."""

import pytest

from isnote.typography import NBSP, NNBSP, apply_html, fix_text


@pytest.mark.parametrize("raw, expected", [
    ("Total : 12", f"Total{NBSP}: 12"),
    ("Total: 12", f"Total{NBSP}: 12"),
    ("vraiment ?", f"vraiment{NBSP}?"),
    ("vraiment?", f"vraiment{NBSP}?"),
    ("oui ; non", f"oui{NBSP}; non"),
    ("bravo !", f"bravo{NBSP}!"),
    ("« oui »", f"«{NBSP}oui{NBSP}»"),
    ("«oui»", f"«{NBSP}oui{NBSP}»"),
    ("6 646 opérations", f"6{NNBSP}646 opérations"),
    ("1 704,0 M€", f"1{NNBSP}704,0{NBSP}M€"),
    ("720 332 participants", f"720{NNBSP}332 participants"),
    ("1,6 %", f"1,6{NBSP}%"),
    ("1,6%", f"1,6{NBSP}%"),
    ("38,2 M€", f"38,2{NBSP}M€"),
    ("12 €", f"12{NBSP}€"),
    ("n° 12", f"n°{NBSP}12"),
])
def test_rules(raw, expected):
    assert fix_text(raw) == expected


@pytest.mark.parametrize("raw", [
    "à 10:30", "ratio 2:1", "https://www.example.org/a?b=1;c=2", "www.avise.org/page?x=1",
    "page?id=3", "en 2019 123", "vagues 2017 et 2019", "9 mars 2019", "mailto:contact@example.org",
])
def test_left_alone(raw):
    assert fix_text(raw) == raw


def test_idempotent():
    text = "Les 6 646 opérations : « total » 1,6 % ; soit 38,2 M€ ! Vraiment ?"
    once = fix_text(text)
    assert once != text
    assert fix_text(once) == once


def test_url_inside_text_untouched():
    out = fix_text("Voir : https://exemple.fr/x?y=1 pour le détail ; merci")
    assert "https://exemple.fr/x?y=1" in out
    assert f"Voir{NBSP}:" in out and f"détail{NBSP};" in out


def test_html_text_nodes_only():
    html = ('<p title="a : b">Note : texte <a href="http://a.b/?x=1">lien : ici</a></p>'
            '<pre>x : y</pre><code>a ; b</code><script>var a = b ? c : d;</script>'
            '<style>a:hover{color:red !important}</style><!-- c : d -->')
    out = apply_html(html)
    assert f"Note{NBSP}: texte" in out
    assert f"lien{NBSP}: ici" in out
    assert 'title="a : b"' in out                      # attributes untouched
    assert 'href="http://a.b/?x=1"' in out
    assert "<pre>x : y</pre>" in out and "<code>a ; b</code>" in out
    assert "var a = b ? c : d;" in out and "!important" in out
    assert "<!-- c : d -->" in out


def test_escaped_text_stays_escaped():
    out = apply_html("<p>&lt;script&gt;alert(1)&lt;/script&gt; : texte</p>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "<script>" not in out


@pytest.mark.parametrize("raw, expected", [
    ("l'axe d'Ile-de-France", "l’axe d’Île-de-France"),
    ("Evaluation de l'impact social", "Évaluation de l’impact social"),
    ("aujourd'hui l'Etat", "aujourd’hui l’État"),
    ("EVALUATION", "EVALUATION"),                         # capitals of a name are left as written
    ("Europe", "Europe"),
    ("Un lab' territorial", "Un lab' territorial"),       # not between two letters
])
def test_apostrophes_and_accented_capitals(raw, expected):
    assert fix_text(raw) == expected


def test_numbers_spelled_at_sentence_start():
    from bs4 import BeautifulSoup

    from isnote import frwords

    soup = BeautifulSoup("<p>12 opérations ont un porteur. 20 correspondent ; 4 non.</p>"
                         "<p>Les 6 646 opérations. 2019 : bilan.</p><aside><p>42 retours</p></aside>"
                         "<li>1 opération</li>", "html.parser")
    frwords.apply_soup(soup)
    texts = [t.get_text() for t in soup.find_all(["p", "li"])]
    assert texts == ["Douze opérations ont un porteur. Vingt correspondent ; 4 non.",
                     "Les 6 646 opérations. 2019 : bilan.", "42 retours", "Une opération"]
