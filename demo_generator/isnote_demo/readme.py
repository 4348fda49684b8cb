"""LISEZMOI.md of the demo dataset (written by the generator, so that its counts stay exact)."""

from __future__ import annotations


def _n(x: int) -> str:
    return f"{x:,}".replace(",", " ")


def render(st, stats: dict) -> str:
    ops = st.ops
    n = {p: sum(1 for o in ops if o.programme == p) for p in ("fse", "iej")}
    scope = {p: sum(1 for o in ops if o.programme == p and o.kind == "scope") for p in ("fse", "iej")}
    ta = {p: sum(1 for o in ops if o.programme == p and o.kind == "ta") for p in ("fse", "iej")}
    after = {p: sum(1 for o in ops if o.programme == p and o.kind == "after") for p in ("fse", "iej")}
    parts = sum(o.participants for o in ops if o.programme == "fse")
    multiline = sum(1 for o in ops if "\n" in o.actions)
    apos = sum(1 for o in ops if "\u2019" in (o.description + o.actions + o.title))
    pre = st.spec.cal["screening_2019"]["fse"]["preidentified"]
    wave = st.spec.params["current_wave"]
    return f"""# Jeu de données de démonstration — DONNÉES SYNTHÉTIQUES

**Aucune des opérations de ce dossier n'existe.** Ce jeu de données sert à faire tourner isnote
de bout en bout sans extraction réelle de MDFSE. Il ne doit servir à aucune analyse.

## Ce qu'il contient

Les fichiers imitent des extractions de suivi du PON FSE « Emploi et Inclusion » et du PON IEJ
(en-têtes français, séparateur `;`, virgule décimale, dates JJ/MM/AAAA). Ils sont **calibrés** pour
que la chaîne isnote, exécutée sur eux, retrouve les agrégats publiés par la note d'évaluation de
2019 sur l'innovation sociale : volumes d'opérations analysées par programme et par vague, totaux
par axe et par objectif spécifique, ensembles d'opérations retenues par objectif spécifique et par
catégorie (montants arrondis au dixième de M€ comme dans la note), chiffres du repérage
({pre} opérations préidentifiées en {wave} pour le PON FSE, opérations signalées par l'enquête,
lot 5 de l'IEJ), réponses de l'enquête auprès des gestionnaires de l'axe 3.

Les opérations que la note cite par leur nom y figurent avec les faits publiés (intitulé, porteur,
code OS, région, service gestionnaire et, quand la note les donne, dates, montants, nombre
d'actions et de participants prévus). Tous les autres noms, montants et dates sont tirés au sort.
**Tous les textes (descriptions, contenus des actions, bilans, observations de l'enquête,
justifications du registre) sont rédigés pour isnote** ; aucun ne reprend une phrase de la note.

Certaines opérations emploient « innovant » ou « innovation » dans un sens banal (outils
numériques, pédagogie, recrutement) : c'est voulu, les relecteurs les écartent. D'autres
utilisent les mots des critères de la grille (expérimentation, parties prenantes, développement
durable, mobilité) ou des mots proches qui ne doivent pas compter (« rénovation »).

## Régénérer

```
make demo-data        # = python -m isnote_demo --out data/demo
```

Le générateur (`demo_generator/isnote_demo/`, hors du paquet isnote) est déterministe : avec la
même graine (`design.yaml`), il réécrit les mêmes fichiers octet pour octet (`git status` reste
propre). Ses données sont dans `demo_generator/isnote_demo/specs/` : les cibles dans
`calibration.yaml`, les opérations nommées dans `named_operations.yaml`, nos choix de conception
dans `design.yaml`, les textes et la géographie dans `texts.yaml` et `geography.yaml`. Les fichiers
sont d'abord écrits dans un dossier temporaire puis vérifiés (`isnote_demo.checks`) : si une cible
n'est pas atteinte, la génération échoue et rien n'est remplacé.

## Fichiers

| fichier | contenu | encodage | lignes |
|---|---|---|---|
| `operations_pon_fse.csv` | opérations du PON FSE | Windows-1252 (cp1252) | {_n(n['fse'])} |
| `operations_pon_iej.csv` | opérations du PON IEJ | Windows-1252 (cp1252) | {_n(n['iej'])} |
| `qualitatif_pon_fse.csv` | textes des opérations FSE (appel à projets, description, actions, bilan) | UTF-8 | {_n(n['fse'])} |
| `qualitatif_pon_iej.csv` | textes des opérations IEJ | UTF-8 | {_n(n['iej'])} |
| `participants_pon_fse.parquet` | un enregistrement par participant (sexe, tranche d'âge, statut à l'entrée) | parquet zstd | {_n(parts)} |
| `enquete_gestionnaires_axe3.csv` | enquête auprès des gestionnaires de l'axe 3 | UTF-8 | {len(st.respondents)} |
| `iej_lot5.csv` | opérations IEJ du lot 5 de l'évaluation d'impact | UTF-8 | {sum(1 for o in ops if o.lot5)} |
| `registre_revue.csv` | registre des décisions de revue (fichier de travail) | UTF-8 | {_n(stats['register_rows'])} |

Chaque CSV commence par une ligne de commentaire `# DONNÉES SYNTHÉTIQUES – …` (sauf le registre,
fichier de travail au format décrit dans `docs/architecture.md`). Le parquet porte la
métadonnée `isnote:synthetic = true`.

Champ : {_n(scope['fse'])} opérations FSE et {_n(scope['iej'])} opérations IEJ programmées dans
les deux vagues (2014-01-01 au 2017-03-04, puis 2017-03-05 au 2018-12-31), soit
{_n(scope['fse'] + scope['iej'])}. S'y ajoutent les lignes que l'ingestion doit exclure :
{ta['fse']} opérations d'assistance technique du FSE (axe 4, codes `4AT1`/`4AT2`, convention
isnote), {ta['iej']} de l'IEJ (axe 2, code `4AT1`, comme dans `params/nomenclature.yaml`), et
{after['fse']} + {after['iej']} opérations programmées entre le 1er janvier et le 8 mars 2019,
hors des fenêtres des vagues.

## Irrégularités volontaires (texture des extractions réelles)

- {stats['space']} coûts totaux écrits avec une espace comme séparateur de milliers (« 1 234 567,89 »)
  et {stats['nbsp']} avec une espace insécable ;
- {stats['region_variants']} régions écrites avec une autre casse, sans accent ou avec une espace en tête ;
- {stats['empty_pi']} lignes sans PI (la nomenclature la fournit) ;
- {stats['empty_desc']} descriptions vides ; des bilans vides pour les opérations en cours ;
- des intitulés et des porteurs en capitales, avec des espaces doubles ou finales ;
- des apostrophes typographiques (’) dans les textes de {_n(apos)} opérations et des guillemets « » ;
- {multiline} contenus d'actions sur plusieurs lignes (champ entre guillemets) ;
- {stats['odd_answers']} réponses de l'enquête écrites avec une casse ou des espaces inhabituels ;
- des numéros d'opération cités de façon désordonnée dans l'enquête (espaces, « n° », « dossier »,
  « MDFSE- », plusieurs par réponse), dont certains absents de la base ou antérieurs à la vague ;
- une ligne du registre pour une opération qui n'est plus dans l'extraction
  (statut « absente des données »).
"""
