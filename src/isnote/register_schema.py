"""The review register's columns: the one owner (typology, review, the demo generator and its
verification import them). Plain Python, no dependency, so that any tool can import it.

Format of the file: docs/architecture.md (CSV separated by « ; », UTF-8, one row per decision).
"""

from __future__ import annotations

REGISTER_COLUMNS = ("op_id", "programme", "vague", "decision", "categorie", "score_besoin",
                    "score_experimentation", "score_implication", "score_effets", "emblematique",
                    "caractere_innovant", "justification", "relecteur", "date_decision", "statut")
SCORE_COLUMNS = ("score_besoin", "score_experimentation", "score_implication", "score_effets")
# what a reviewer fills in (compared to detect a changed decision)
DECISION_FIELDS = ("decision", "categorie", *SCORE_COLUMNS, "emblematique", "caractere_innovant",
                   "justification", "relecteur")
DECISIONS = ("retenue", "ecartee")
KEY = ("op_id", "programme")
