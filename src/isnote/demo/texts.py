"""French text banks of the synthetic demo data (all written for isnote).

Ordinary texts must never contain a pre-identifying keyword of params/keywords_note_2019.yaml (the
generator checks it); they do use, now and then, the wording of the grid's criteria
(expérimentation, parties prenantes, développement durable, mobilité...) and decoys such as
« rénovation ». Candidate texts add one sentence from the HIT banks.
"""

from __future__ import annotations

# ------------------------------------------------------------------------------ names

NAMES = [
    "Tremplin", "Horizons", "Passerelles", "Escale", "Boussole", "Cap Avenir", "Rebond", "Trait d'Union",
    "Envol", "Archipel", "Solid'Action", "Le Relais", "Sillage", "Ancrage", "Odyssée", "Levier", "Alizé",
    "Atout Emploi", "Déclic", "Parenthèse", "Étape", "Chemins", "Élan", "Itinéraires", "Cap Métiers",
    "Impulsion", "Ricochet", "Sémaphore", "Le Phare", "Accueil et Partage", "Vivre Ensemble", "Entraide",
    "Pont Neuf", "Aquarelle", "Trajectoire", "Renouer", "Germinal", "Sésame", "Clé de Voûte", "Cerise",
    "Pivot", "Le Tisserand", "Arc-en-Ciel", "Oasis", "Main Forte", "Coup de Pouce", "Espérance", "Réussir",
    "Prélude", "Aubépine", "Le Lien", "Atelier Relais", "Les Compagnons du Bocage", "La Navette",
    "Les Amis du Quartier", "Solidarité Partage", "Emploi Services", "Objectif Travail", "La Main Tendue",
    "Les Jardins du Lien", "Le Fil Rouge", "Boulevard", "Vitamine", "Cap Solidaire", "Ouverture",
    "Les Ateliers de la Vallée", "Rives", "Confluence", "Le Chênaie", "Racines", "Horizon Jeunes",
    "La Clairière", "Semences", "L'Outil en Main", "Bâtir Ensemble", "Le Grenier", "La Fabrique du Quartier",
]
PEOPLE = ["Jean Moulin", "Louise Michel", "Jules Ferry", "Marie Curie", "Victor Hugo", "Paul Éluard", "Condorcet",
          "Jean Jaurès", "Simone Veil", "Camille Claudel", "Albert Camus", "Pierre Mendès France", "Lucie Aubrac"]
SURNAMES = ["Martin", "Lefèvre", "Morel", "Garnier", "Roux", "Fournier", "Girard", "Bonnet", "Mercier", "Lambert",
            "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Perrin", "Robin", "Chevalier", "Masson"]
TRADES = ["Transports", "Menuiserie", "Boulangeries", "Plasturgie", "Logistique", "Nettoyage", "Métallerie",
          "Imprimerie", "Aides à domicile", "Maçonnerie", "Conserverie", "Mécanique"]
SECTORS = ["BTP", "Propreté", "Transport-Logistique", "Industrie", "Agricole", "Sanitaire et social",
           "Hôtellerie-Restauration"]
OPCAS = ["AGEFOS PME", "OPCALIA", "Constructys", "Uniformation", "FAFIH", "OPCA Transports et Services",
         "Actalians", "Intergros", "FORCO", "AGEFICE"]

# Beneficiary families: (templates, legal form, beneficiary type). Slots: {town} {de_town}
# {dept} {dept_de} {region} {nm} {person} {surname} {trade} {sector} {opca}
FAMILIES: dict[str, tuple[list[str], str, str]] = {
    "ml": (["Mission locale {de_town}", "Mission locale du Pays {de_town}", "Mission locale intercommunale {de_town}"],
           "Association", "Missions locales"),
    "mde": (["Maison de l'emploi {de_town}", "Maison de l'emploi et de la formation {de_town}",
             "Maison de l'emploi du bassin {de_town}"], "Association", "Maisons de l'emploi"),
    "plie": (["PLIE {de_town}", "Association de gestion du PLIE {de_town}", "PLIE du Pays {de_town}"],
             "Association", "Structures porteuses de PLIE"),
    "asso": (["Association {nm}", "{nm} {town}", "Association {nm} Insertion", "{nm} Emploi", "Association {nm} {town}"],
             "Association", "Associations"),
    "aci": (["Chantier d'insertion {nm}", "Les Jardins {de_town}", "Atelier {nm}", "Recyclerie {de_town}",
             "Régie de quartier {de_town}", "Association {nm} - chantier d'insertion"],
            "Association", "Ateliers et chantiers d'insertion"),
    "ei": (["Entreprise d'insertion {nm}", "{nm} Services", "ETTI {nm} Intérim", "Association intermédiaire {nm}"],
           "Entreprise (société commerciale)", "Structures de l'insertion par l'activité économique"),
    "ccas": (["CCAS {de_town}", "Centre communal d'action sociale {de_town}"], "Collectivité territoriale", "CCAS"),
    "cd": (["Conseil départemental {dept_de}", "Département {dept_de}"], "Collectivité territoriale", "Départements"),
    "epci": (["Communauté d'agglomération {de_town}", "Communauté de communes du Pays {de_town}", "Métropole {de_town}"],
             "EPCI / groupement de collectivités", "Communes et EPCI"),
    "commune": (["Ville {de_town}", "Commune {de_town}"], "Collectivité territoriale", "Communes et EPCI"),
    "geiq": (["GEIQ {sector} {dept}", "GEIQ {sector} {town}"], "Association", "GEIQ"),
    "opca": (["{opca} {region}", "{opca}"], "Organisme paritaire (OPCA)", "OPCA"),
    "form": (["GRETA {de_town}", "AFPA {region}", "CNAM {region}", "Institut de formation {nm}", "Centre de formation {nm}",
              "CIBC {dept}"], "Établissement public", "Organismes de formation"),
    "consul": (["CCI {town}", "Chambre de métiers et de l'artisanat {dept_de}", "Chambre d'agriculture {dept_de}"],
               "Chambre consulaire", "Chambres consulaires"),
    "school": (["Lycée professionnel {person}", "Collège {person} {de_town}", "GIP FCIP de l'académie {de_town}",
                "École de la deuxième chance {de_town}"], "Établissement public", "Établissements d'enseignement"),
    "crea": (["BGE {region}", "Initiative {town}", "Couveuse d'entreprises {nm}", "Boutique de gestion {dept_de}",
              "Réseau Entreprendre {dept}", "Adie {region}"], "Association", "Structures d'accompagnement à la création"),
    "egal": (["CIDFF {dept_de}", "Association Retravailler {region}", "Femmes et Emploi {town}"], "Association",
             "Associations de droits des femmes"),
    "aract": (["ARACT {region}", "Association {region} pour l'amélioration des conditions de travail"], "Association",
              "ARACT / ANACT"),
    "ent": (["{trade} {surname} SAS", "SARL {surname} {trade}", "Groupe {surname}", "{surname} et Fils"],
            "Entreprise (société commerciale)", "Entreprises"),
    "spe": (["Pôle emploi {region}", "Cap emploi {dept}"], "Établissement public", "Service public de l'emploi"),
    "cs": (["Centre social {nm}", "Centre socioculturel {de_town}"], "Association", "Associations"),
    "reseau": (["Chantier École {region}", "Coorace {region}", "Inter-réseau IAE {dept_de}",
                "Fédération des acteurs de la solidarité {region}", "Collectif insertion {dept_de}"],
               "Association", "Têtes de réseau"),
    "etat": (["DIRECCTE {region}", "Préfecture de région {region}"], "Services de l'Etat", "Services de l'Etat"),
    "e2c": (["École de la deuxième chance {de_town}", "E2C {town}"], "Association", "Écoles de la deuxième chance"),
    "rsma": (["RSMA {region}", "Régiment du service militaire adapté {de_town}"], "Services de l'Etat", "RSMA"),
    "epide": (["EPIDE - centre {de_town}"], "Établissement public", "EPIDE"),
}

# ------------------------------------------------------------------------------ text banks

PUBLICS = [
    "allocataires du RSA", "demandeurs d'emploi de longue durée", "jeunes de moins de 26 ans sans qualification",
    "femmes isolées avec enfants", "personnes en situation de handicap", "habitants des quartiers prioritaires",
    "demandeurs d'emploi de plus de 50 ans", "personnes placées sous main de justice", "réfugiés statutaires",
    "personnes sans domicile stable", "familles monoparentales", "personnes en situation d'illettrisme",
    "travailleurs pauvres", "jeunes sortant de l'aide sociale à l'enfance", "bénéficiaires de minima sociaux",
]
ACTIVITIES = [
    "maraîchage biologique", "second œuvre du bâtiment", "entretien des espaces verts", "recyclerie",
    "restauration collective", "couture et retouche", "blanchisserie", "menuiserie", "propreté urbaine",
    "collecte et tri de textiles", "entretien de sentiers", "mécanique automobile", "vente en boutique solidaire",
]
PARTNERS = [
    "Pôle emploi", "la mission locale", "le PLIE", "les services sociaux du département",
    "les structures de l'insertion par l'activité économique", "les entreprises du bassin d'emploi",
    "les centres sociaux", "la caisse d'allocations familiales", "les bailleurs sociaux", "Cap emploi",
    "les organismes de formation", "les clubs d'entreprises", "les associations de quartier",
]

TITLES: dict[str, list[str]] = {
    "3911": [
        "Accompagnement socio-professionnel renforcé des bénéficiaires du RSA {year}",
        "Parcours intégré d'accès à l'emploi - {town}", "Chantier d'insertion {activity} {year}",
        "Référents de parcours PLIE {town} {year}", "Atelier de remobilisation vers l'emploi",
        "Levée des freins périphériques à l'emploi {dept_de}", "Accompagnement global des publics très éloignés de l'emploi",
        "ACI {activity} - {town}", "Suivi renforcé des allocataires du RSA", "Plateforme mobilité {town}",
        "Accompagnement vers l'emploi des personnes sous main de justice", "Parcours d'insertion des femmes isolées",
        "Insertion {year}", "Accompagnement à l'emploi des réfugiés", "Savoirs de base et insertion professionnelle",
        "Atelier d'insertion {activity}", "Accompagnement des travailleurs indépendants au RSA",
        "Chantier {activity} et accompagnement socio-professionnel", "Dynamique emploi {town} {year}",
        "Coaching emploi des publics PLIE", "Accompagnement renforcé des jeunes des quartiers",
    ],
    "3912": [
        "Mobilisation des employeurs dans les parcours d'insertion", "Chargé de relations entreprises {year}",
        "Facilitateur des clauses sociales {dept_de}", "Parrainage vers l'emploi {town}",
        "Rapprochement entre structures d'insertion et entreprises", "Médiation vers l'emploi - {town}",
        "Job dating et immersions en entreprise", "Tutorat en entreprise des salariés en insertion",
        "Animation du réseau des employeurs partenaires {year}", "Groupement d'employeurs pour l'insertion {town}",
    ],
    "3913": [
        "Animation et coordination du PLIE {year}", "Coordination de l'offre d'insertion {dept_de}",
        "Animation du pacte territorial pour l'insertion {year}", "Appui aux structures de l'IAE {dept_de}",
        "Observatoire local de l'insertion", "Ingénierie de parcours et coordination des acteurs",
        "Animation territoriale de l'économie sociale et solidaire {town}", "Structuration de l'offre d'insertion {year}",
        "Assistance à la gestion de la subvention globale {year}", "Professionnalisation des acteurs de l'insertion",
    ],
    "1811": [
        "Accompagnement intensif des demandeurs d'emploi {year}", "Club de recherche d'emploi {town}",
        "Accompagnement vers l'emploi des jeunes diplômés des quartiers", "Coaching emploi seniors",
        "Parcours vers l'emploi des femmes en reprise d'activité", "Accompagnement renforcé des jeunes {de_town}",
        "Préparation opérationnelle à l'emploi {sector}", "Parrainage des demandeurs d'emploi {year}",
        "Accompagnement des demandeurs d'emploi en activité réduite", "Dispositif emploi {town} {year}",
    ],
    "1831": [
        "Accompagnement à la création et à la reprise d'entreprise {year}", "Parcours création {dept_de}",
        "Accompagnement post-création des jeunes entreprises", "Couveuse d'activités {town}",
        "Microcrédit et accompagnement des créateurs", "Entreprendre dans les quartiers {year}",
        "Accompagnement ante-création des demandeurs d'emploi", "Création d'activité en milieu rural {dept_de}",
    ],
    "1832": [
        "Professionnalisation des structures d'appui aux créateurs", "Outils communs des structures d'accompagnement {year}",
        "Animation régionale de la création-reprise", "Mise en réseau des accompagnateurs de créateurs {region}",
        "Guichet unique de la création d'entreprise {town}",
    ],
    "1871": [
        "Professionnalisation des conseillers en insertion", "Services en ligne pour les demandeurs d'emploi {year}",
        "Modernisation de l'accueil du public {town}", "Formation des acteurs de l'accompagnement {region}",
        "Partage d'informations entre acteurs de l'emploi {dept_de}",
    ],
    "11011": [
        "Prévention du décrochage scolaire {year}", "Accompagnement des collégiens en risque de décrochage",
        "Plateforme de suivi des décrocheurs {dept_de}", "Raccrochage scolaire {town}",
        "Tutorat et remotivation des lycéens", "Classe relais {town} {year}",
    ],
    "2851": [
        "GPEC territoriale {dept_de}", "Anticipation des mutations économiques {year}",
        "Appui RH aux TPE-PME {region}", "Dispositif local d'accompagnement {dept_de} {year}",
        "Gestion prévisionnelle des compétences dans la filière {sector}", "Diagnostic RH des petites entreprises",
        "Accompagnement des entreprises en mutation {region}",
    ],
    "2852": [
        "Égalité professionnelle femmes-hommes dans les PME", "Mixité des métiers {region} {year}",
        "Lutte contre les stéréotypes dans l'orientation", "Accompagnement des entreprises vers l'égalité salariale",
        "Femmes et métiers techniques {town}",
    ],
    "2853": [
        "Formation des salariés peu qualifiés {year}", "Savoirs de base en entreprise {region}",
        "Certification CléA des salariés {sector}", "Développement des compétences des salariés des TPE",
        "Plan de formation mutualisé {opca}", "Validation des acquis de l'expérience des salariés {year}",
        "Formation des salariés de la filière {sector}",
    ],
    "2861": [
        "Gestion des âges en entreprise {region}", "Maintien dans l'emploi des seniors",
        "Prévention de l'usure professionnelle {sector}", "Transmission des savoirs et tutorat senior",
    ],
    "182": [
        "Repérage et mobilisation des jeunes NEET {town}", "Accompagnement intensif des jeunes {year}",
        "Garantie jeunes {de_town}", "Parcours vers l'emploi des jeunes NEET {dept_de}",
        "Mise en situation professionnelle des jeunes {year}", "Formation qualifiante des jeunes sans diplôme",
        "Mobilité internationale des jeunes NEET", "Remobilisation des jeunes décrocheurs {town}",
        "Préparation à l'apprentissage {year}",
    ],
    "4AT1": ["Assistance technique {year} - pilotage et gestion", "Contrôle de service fait {year}",
             "Appui à la gestion du programme {region}", "Animation et suivi du programme {year}"],
    "4AT2": ["Communication sur le FSE {year}", "Information des porteurs de projets {region}",
             "Publicité et visibilité du FSE {year}"],
}

INTROS: dict[str, list[str]] = {
    "3911": [
        "L'opération propose un accompagnement global et individualisé à des {public} du territoire {de_town}.",
        "Il s'agit de construire avec chaque participant un parcours d'insertion sans rupture, de l'accueil jusqu'à l'emploi.",
        "Le chantier d'insertion accueille des {public} sur des activités de {activity}.",
        "Le projet vise à lever les freins sociaux et professionnels qui éloignent les {public} de l'emploi.",
        "Un référent unique suit chaque personne pendant toute la durée de son parcours.",
        "L'action s'adresse aux {public} que lui adressent les travailleurs sociaux {dept_de}.",
        "La structure accompagne chaque année une soixantaine de {public} vers l'emploi.",
        "Le chantier « {nm} » emploie des {public} sur des activités de {activity}.",
        "L'atelier « {nm} » propose aux {public} une remise en activité progressive.",
    ],
    "3912": [
        "L'opération mobilise les employeurs du bassin {de_town} en faveur des personnes en parcours d'insertion.",
        "Un chargé de relations entreprises recense les offres et prépare les candidats aux recrutements.",
        "Le projet développe les clauses sociales dans les marchés publics du territoire.",
        "Il s'agit de rapprocher les structures de l'insertion par l'activité économique des entreprises locales.",
        "Des immersions en entreprise et des visites de sites sont organisées pour les participants.",
    ],
    "3913": [
        "L'opération finance l'animation et la coordination de l'offre d'insertion {dept_de}.",
        "Le PLIE coordonne les acteurs de l'insertion du territoire et suit les parcours des participants.",
        "Le projet organise la concertation entre financeurs et structures d'insertion.",
        "Il s'agit d'animer le réseau des structures de l'économie sociale et solidaire du bassin {de_town}.",
        "La structure apporte un appui technique aux opérateurs de l'insertion (montage de dossiers, suivi, bilans).",
    ],
    "1811": [
        "L'opération accompagne des demandeurs d'emploi et des inactifs vers un emploi ou une formation.",
        "Les participants bénéficient d'un accompagnement renforcé, avec un conseiller pour une trentaine de personnes.",
        "Le projet cible des {public} et les aide à définir puis à réaliser un projet professionnel.",
        "Il s'agit d'un accompagnement collectif et individuel de trois à six mois.",
    ],
    "1831": [
        "L'opération accompagne des demandeurs d'emploi dans la création ou la reprise d'une entreprise.",
        "Les porteurs de projet sont suivis de l'idée au démarrage, puis pendant les trois premières années.",
        "Le projet propose un accompagnement ante-création (étude de marché, prévisionnel, financement).",
        "La couveuse permet de tester une activité en grandeur réelle avant l'immatriculation.",
    ],
    "1832": [
        "L'opération renforce les compétences des structures qui accompagnent les créateurs d'entreprise.",
        "Le projet met en réseau les accompagnateurs de la création-reprise de la région {region}.",
        "Il s'agit de produire des outils communs et de former les chargés d'accompagnement.",
    ],
    "1871": [
        "L'opération vise à moderniser l'accompagnement des demandeurs d'emploi.",
        "Le projet professionnalise les conseillers des structures d'accompagnement du territoire.",
        "Il s'agit de mieux partager l'information entre les acteurs de l'emploi et de l'insertion.",
    ],
    "11011": [
        "L'opération prévient le décrochage scolaire des élèves de collège et de lycée professionnel.",
        "Des jeunes en risque de décrochage sont repérés et suivis par un tuteur.",
        "Le projet propose des temps de remobilisation et une aide à l'orientation.",
    ],
    "2851": [
        "L'opération accompagne les entreprises du territoire dans l'anticipation des mutations économiques.",
        "Le projet aide les TPE et PME à construire une gestion prévisionnelle des emplois et des compétences.",
        "Il s'agit d'un appui RH aux petites entreprises : diagnostic, plan d'action, suivi.",
        "Le dispositif local d'accompagnement aide les associations employeuses à consolider leurs emplois.",
    ],
    "2852": [
        "L'opération sensibilise les entreprises à l'égalité professionnelle entre les femmes et les hommes.",
        "Le projet favorise la mixité des métiers, en particulier dans les filières techniques.",
        "Il s'agit d'accompagner des PME dans un plan d'action pour l'égalité salariale.",
    ],
    "2853": [
        "L'opération forme des salariés peu qualifiés aux compétences de base et aux compétences métiers.",
        "Le projet finance des formations certifiantes pour les salariés des petites entreprises.",
        "Il s'agit de sécuriser les parcours des salariés les moins formés, dont beaucoup de femmes et de seniors.",
    ],
    "2861": [
        "L'opération aide les entreprises à mieux gérer les âges et à maintenir les seniors dans l'emploi.",
        "Le projet prévient l'usure professionnelle par l'aménagement des postes et la formation.",
    ],
    "182": [
        "L'opération repère des jeunes NEET et les accompagne vers l'emploi, la formation ou l'apprentissage.",
        "Les jeunes de 16 à 25 ans sans emploi ni formation bénéficient d'un accompagnement intensif de six mois.",
        "Le projet propose des mises en situation professionnelle et un suivi individuel renforcé.",
        "Il s'agit d'aller vers les jeunes qui ne fréquentent aucune structure, dans les quartiers et les zones rurales.",
        "Le dispositif « {nm} » accueille des jeunes orientés par la mission locale et par les associations de quartier.",
        "La formation, qualifiante, est adaptée à des jeunes sortis du système scolaire sans diplôme.",
    ],
    "4AT1": ["L'opération finance les moyens humains de gestion et de contrôle du programme.",
             "Il s'agit d'assurer l'instruction, le suivi et le contrôle des opérations cofinancées."],
    "4AT2": ["L'opération finance les actions d'information et de communication sur le FSE.",
             "Il s'agit de faire connaître le programme aux porteurs de projets et au grand public."],
}

METHODS = {
    "3": [
        "Les participants bénéficient d'entretiens individuels réguliers et d'ateliers collectifs.",
        "Le suivi s'appuie sur un diagnostic partagé avec les travailleurs sociaux.",
        "Des immersions en entreprise sont organisées dès les premiers mois.",
        "L'encadrement technique est assuré par deux encadrants et une conseillère en insertion professionnelle.",
        "Les freins liés au logement, à la santé et à la garde d'enfants sont traités avec les partenaires.",
        "Chaque parcours fait l'objet d'un contrat d'engagement réciproque revu tous les trois mois.",
    ],
    "1": [
        "L'accompagnement combine entretiens individuels, ateliers de techniques de recherche d'emploi et stages.",
        "Les conseillers s'appuient sur le réseau des entreprises partenaires pour proposer des offres.",
        "Une attention particulière est portée aux personnes résidant en quartier prioritaire.",
        "Les participants sont suivis six mois après leur sortie.",
    ],
    "2": [
        "Les entreprises bénéficient d'un diagnostic puis d'un plan d'action sur mesure.",
        "Les formations se déroulent en partie sur le temps de travail, en petits groupes.",
        "Un comité de pilotage réunit partenaires sociaux, branches et services de l'État.",
        "Les actions sont ouvertes en priorité aux salariés des entreprises de moins de cinquante salariés.",
    ],
    "iej": [
        "Chaque jeune a un conseiller référent et un plan d'action écrit.",
        "Des ateliers collectifs alternent avec des périodes en entreprise.",
        "Les jeunes perçoivent une allocation pendant les périodes de formation.",
        "Le suivi se poursuit trois mois après l'entrée en emploi ou en formation.",
    ],
    "at": ["Les dépenses concernent principalement des frais de personnel.",
           "L'opération couvre l'ensemble de la période de programmation."],
}
PARTNER_SENTENCES = [
    "L'action est conduite en lien avec {p1} et {p2}.", "Les principaux partenaires sont {p1}, {p2} et {p3}.",
    "Un comité technique associe {p1} et {p2}.",
]
# criterion wording (do not pre-identify), used now and then in ordinary texts
CRITERIA = [
    "La démarche prévoit une phase test sur un quartier avant d'étendre l'action.",
    "Les parties prenantes du territoire (élus, associations, employeurs) sont réunies deux fois par an.",
    "Les activités supports s'inscrivent dans une logique de développement durable.",
    "Une aide à la mobilité (prêt de véhicules, location de deux-roues) complète l'accompagnement.",
    "Le contenu des ateliers a été co-construit avec les participants.",
    "L'objectif est l'accès à un emploi durable pour au moins un tiers des participants.",
    "La structure développe une activité de réemploi et de recyclage des matériaux.",
    "Une expérimentation sur la garde d'enfants est conduite avec la crèche municipale.",
    "Le projet contribue à la cohésion sociale du quartier.",
    "La mobilité des participants est travaillée dès l'entrée (code de la route, transports en commun).",
    "L'essaimage de l'action dans un second quartier est envisagé.",
    "La gouvernance partagée associe les salariés en insertion aux décisions de la structure.",
]
DECOYS = [
    "Les supports d'activité incluent la rénovation de logements sociaux.",
    "Les salariés en insertion rénovent des locaux associatifs et des équipements municipaux.",
    "Le chantier participe à la rénovation du petit patrimoine bâti de la commune.",
    "Le projet prévoit de rénover la salle d'accueil pour recevoir les participants dans de bonnes conditions.",
    "L'impact sur l'emploi local sera suivi chaque trimestre.",
    "Les modules ont été rénovés pour tenir compte des retours des participants.",
    "Une attention est portée aux besoins émergents des employeurs du secteur.",
]

ACTIONS: dict[str, list[str]] = {
    "3": [
        "Accueil, diagnostic partagé et contractualisation du parcours", "Entretiens individuels avec un référent unique",
        "Ateliers collectifs (CV, simulation d'entretien, codes de l'entreprise)",
        "Mises en situation professionnelle et stages en entreprise", "Levée des freins liés au logement et à la santé",
        "Encadrement technique sur le chantier", "Formation aux savoirs de base", "Suivi dans l'emploi pendant six mois",
        "Aide à la mobilité", "Orientation vers la formation qualifiante", "Réunions de coordination avec les partenaires",
        "Bilans de parcours trimestriels",
    ],
    "3912": [
        "Prospection des entreprises", "Préparation des candidats aux recrutements", "Organisation de job datings",
        "Accompagnement des entreprises attributaires de clauses sociales", "Tutorat des salariés recrutés",
        "Visites d'entreprises", "Suivi des personnes après l'embauche",
    ],
    "3913": [
        "Animation des instances de pilotage", "Suivi des opérateurs et des parcours", "Appui au montage des projets",
        "Production d'un tableau de bord annuel", "Organisation de rencontres entre acteurs", "Gestion de la subvention globale",
    ],
    "1": [
        "Accueil et diagnostic", "Ateliers de techniques de recherche d'emploi", "Accompagnement individuel",
        "Stages en entreprise", "Mise en relation avec des employeurs", "Suivi après la sortie",
    ],
    "1831": [
        "Accueil et diagnostic du projet", "Étude de marché accompagnée", "Aide au montage du plan de financement",
        "Formation à la gestion d'entreprise", "Mise en relation avec les financeurs", "Suivi post-création",
    ],
    "1832": [
        "Formation des chargés d'accompagnement", "Production d'outils communs", "Rencontres régionales du réseau",
        "Mutualisation des pratiques", "Suivi des indicateurs du réseau",
    ],
    "1871": [
        "Formation des conseillers", "Déploiement de services en ligne", "Groupes d'échanges de pratiques",
        "Partage d'informations entre structures", "Accueil et diagnostic",
    ],
    "11011": ["Repérage des élèves", "Tutorat individuel", "Ateliers de remobilisation", "Stages de découverte",
              "Entretiens avec les familles"],
    "2": [
        "Diagnostic des besoins de l'entreprise", "Plan d'action RH", "Sessions de formation", "Accompagnement des managers",
        "Ateliers de sensibilisation", "Comités de pilotage", "Évaluation des acquis",
    ],
    "iej": ["Repérage des jeunes", "Accompagnement individuel renforcé", "Ateliers collectifs", "Périodes en entreprise",
            "Formation qualifiante", "Suivi après la sortie"],
    "at": ["Instruction des dossiers", "Contrôle de service fait", "Suivi financier", "Réunions d'information",
           "Supports de communication"],
}
RESULTS = {
    "participants": [
        "{n} personnes accompagnées à mi-parcours ; {m} sorties vers l'emploi ou la formation.",
        "Bilan intermédiaire : {n} participants entrés dans l'action.",
        "{n} personnes suivies, dont {f} femmes ; {m} ont retrouvé un emploi ou une formation.",
        "Objectifs d'entrées atteints à {p} %.",
    ],
    "firms": [
        "{n} entreprises accompagnées, {m} plans d'action formalisés.", "{n} salariés formés, {m} certifications obtenues.",
        "{n} structures ont participé aux rencontres organisées.",
    ],
    "none": ["Opération en cours de réalisation.", "Bilan non encore saisi.", "Le bilan sera transmis à la fin de l'opération."],
}
CALL_THEMES = {
    "3911": ["Inclusion active et parcours intégrés", "Programme départemental d'insertion", "Parcours vers l'emploi"],
    "3912": ["Mobilisation des employeurs", "Relations entreprises et clauses sociales"],
    "3913": ["Coordination et animation de l'offre d'insertion", "Économie sociale et solidaire et insertion"],
    "1811": ["Accompagnement vers l'emploi"], "1831": ["Création et reprise d'activité"],
    "1832": ["Structures d'accompagnement à la création"], "1871": ["Modernisation de l'accompagnement"],
    "11011": ["Prévention du décrochage scolaire"], "2851": ["Anticipation des mutations économiques"],
    "2852": ["Égalité professionnelle"], "2853": ["Formation des salariés"], "2861": ["Vieillissement actif"],
    "182": ["Initiative pour l'emploi des jeunes", "Jeunes NEET"], "4AT1": ["Assistance technique"],
    "4AT2": ["Assistance technique"],
}
CALL_FORMS = ["Appel à projets {year} - {theme}", "AAP FSE {year} : {theme}", "Appel à projets {theme} {year}",
              "AAP {year} {theme}", "{theme} - appel à projets {year}"]

# ------------------------------------------------------------------------------ HIT banks
# Commonplace uses of "innovant / innovation", "impact", etc. (reviewers set these aside).
SETASIDE = {
    "innovation": [
        "Les conseillers utilisent des outils numériques innovants pour le suivi des parcours.",
        "Le porteur souhaite innover dans l'organisation de l'accueil du public.",
        "Une application mobile innovante facilite la prise de rendez-vous et le suivi des présences.",
        "Un accompagnement innovant, mêlant entretiens individuels et ateliers collectifs, est proposé.",
        "La structure a renouvelé ses supports de communication de manière innovante.",
        "Un dispositif innovant de visioconférence permet d'accompagner les personnes éloignées des centres urbains.",
        "Des outils innovants de positionnement en ligne remplacent les tests papier.",
        "La structure développe une offre de service innovante en ligne (messagerie instantanée, tutoriels vidéo).",
    ],
    "innovation_emploi": [
        "Une démarche innovante de recrutement par simulation est proposée aux entreprises partenaires.",
        "Le projet s'appuie sur une plateforme en ligne innovante de mise en relation avec les employeurs.",
        "L'opération reprend un format innovant de rencontres express avec les recruteurs.",
        "Les ateliers de découverte des métiers utilisent la réalité virtuelle, un outil innovant apprécié des jeunes.",
    ],
    "innovation_formation": [
        "L'innovation pédagogique (classe inversée, modules en ligne) est au cœur de la formation.",
        "Des méthodes de formation innovantes permettent de raccourcir la durée des parcours.",
        "Les formateurs ont conçu des supports pédagogiques innovants pour les personnes peu à l'aise avec l'écrit.",
        "Le centre de formation est reconnu pour son approche innovante de l'apprentissage des gestes professionnels.",
    ],
    "innovation_entreprises": [
        "L'action accompagne les TPE dans leurs projets d'innovation et de transformation numérique.",
        "Les salariés sont formés aux innovations technologiques de leur secteur.",
        "Les entreprises du secteur font face à des innovations rapides qui imposent de former leurs salariés.",
        "Un logiciel innovant de gestion des compétences sera déployé auprès des entreprises adhérentes.",
    ],
    "impact": [
        "Une évaluation de l'impact de l'action sur les sorties en emploi sera réalisée en fin d'opération.",
        "Le bilan comprendra une mesure d'impact fondée sur le taux de retour à l'emploi à six mois.",
        "L'opération devrait avoir un impact social positif sur le quartier.",
        "Une étude d'impact sur la fréquentation du service est prévue.",
    ],
    "besoins": [
        "L'action répond aux besoins sociaux non satisfaits des familles du secteur en matière de garde d'enfants.",
        "Le porteur souligne des besoins sociaux mal couverts en matière d'accompagnement des seniors.",
    ],
    "ptce": [
        "La structure participe aux réunions du PTCE de son territoire.",
        "L'action est présentée aux membres du pôle territorial de coopération économique local.",
    ],
}
# which specialised set-aside phrases suit which OS (besides the general ones)
SETASIDE_BY_OS = {
    "1811": ["innovation_emploi"], "1871": ["innovation_emploi", "innovation_formation"], "3911": ["innovation_emploi"],
    "3912": ["innovation_emploi"], "3913": [], "182": ["innovation_emploi", "innovation_formation"],
    "11011": ["innovation_formation"], "2853": ["innovation_formation", "innovation_entreprises"],
    "2851": ["innovation_entreprises"], "2852": ["innovation_entreprises"], "2861": ["innovation_entreprises"],
    "1831": ["innovation_entreprises"], "1832": ["innovation_entreprises"],
}
SETASIDE_TITLES = ["Accompagnement innovant vers l'emploi {year}", "Outils numériques innovants pour l'accompagnement",
                   "Innovation pédagogique et accompagnement {year}"]

# Social-innovation wording of retained operations, by category.
IDEAS = [
    "ouvrir une conciergerie solidaire qui emploie des personnes en insertion",
    "proposer un garage solidaire aux ménages modestes qui ont besoin de leur véhicule pour travailler",
    "créer une épicerie solidaire qui sert aussi de support de remobilisation",
    "organiser une plateforme de mobilité solidaire (prêt de véhicules, apprentissage du vélo, covoiturage)",
    "offrir une garde d'enfants aux horaires décalés aux parents qui reprennent un emploi",
    "développer la pair-aidance entre anciens et nouveaux participants",
    "installer un tiers-lieu rural qui réunit espace de travail partagé et permanences emploi",
    "proposer un travail payé à l'heure, sans engagement de durée, à des personnes sans domicile",
    "former comme médiateurs numériques des habitants des quartiers",
    "accompagner dans l'entreprise des salariés en situation de handicap psychique",
    "créer une filière de réemploi des matériaux du bâtiment",
    "ouvrir une cuisine partagée où tester un projet de restauration",
    "faire d'une ferme urbaine un support d'insertion et de lien entre voisins",
    "confier aux habitants la gestion d'un service de petits travaux pour les personnes âgées",
    "organiser une école de la mobilité pour les habitants des territoires ruraux",
]
# ideas for retained operations of axis 2 (firms and employees)
IDEAS_AXIS2 = [
    "organiser des binômes entre salariés seniors et apprentis dans des entreprises voisines",
    "créer un groupement d'employeurs qui sécurise les emplois saisonniers du territoire",
    "former des salariées aux métiers techniques avec les entreprises qui les emploient",
    "partager entre plusieurs PME une garde d'enfants adaptée aux horaires décalés",
    "prévenir l'usure professionnelle en organisant la polyvalence entre entreprises voisines",
    "faire concevoir par les salariés eux-mêmes leur plan de formation",
]
NEEDS = [
    "la garde d'enfants des parents en recherche d'emploi", "la mobilité des habitants des zones rurales",
    "l'accès aux droits des personnes éloignées du numérique", "l'isolement des femmes des quartiers prioritaires",
    "le logement des jeunes en alternance", "la santé des personnes en parcours d'insertion",
    "l'accès à l'emploi des personnes sans domicile",
]
RETAINED_HITS = {
    "socialement_innovantes": [
        "Le projet apporte une réponse socialement innovante : {idea}.",
        "Il s'agit d'une démarche d'innovation sociale construite avec les personnes accompagnées : {idea}.",
        "Cette innovation sociale consiste à {idea}.",
        "L'expérimentation répond à des besoins sociaux mal couverts sur le territoire, notamment {need}.",
        "Le porteur étend à un nouveau territoire une innovation sociale déjà éprouvée ailleurs : {idea}.",
        "Le modèle, socialement innovant, associe une activité économique et un accompagnement renforcé.",
    ],
    "entrepreneuriat_social": [
        "L'incubateur accompagne pendant douze à dix-huit mois des porteurs de projets d'innovation sociale.",
        "Le programme soutient l'émergence d'entreprises sociales et d'innovations sociales sur le territoire.",
        "La coopérative d'activité et d'emploi permet de tester un projet en toute sécurité ; l'innovation sociale tient au statut d'entrepreneur salarié.",
        "Il s'agit d'accompagner des entrepreneurs sociaux dont les projets sont socialement innovants.",
        "Le dispositif repère des besoins sociaux mal couverts et suscite la création d'entreprises sociales pour y répondre.",
    ],
    "innovation_sociale_territoriale": [
        "Le projet s'inscrit dans le pôle territorial de coopération économique (PTCE) {ptce}.",
        "Cette démarche d'innovation sociale territoriale associe structures d'insertion, entreprises et élus.",
        "Le PTCE {ptce} réunit entreprises de l'économie sociale et solidaire, collectivités et employeurs autour d'une stratégie commune.",
        "La coordination renouvelée des clauses sociales constitue une innovation sociale pour le territoire.",
        "Des services de proximité sont créés dans un territoire rural enclavé, en réponse à des besoins sociaux mal couverts.",
    ],
    "ingenierie_outillage_etudes": [
        "L'étude doit outiller les acteurs locaux pour faire émerger des projets d'innovation sociale.",
        "Le diagnostic territorial recensera les initiatives socialement innovantes du département.",
        "Les outils produits (guides, fiches, référentiels) visent à diffuser l'innovation sociale auprès des porteurs.",
        "L'opération organise la capitalisation des innovations sociales repérées sur le territoire.",
    ],
}
PTCE_NAMES = ["Terres d'Entraide", "Coopérer en Vallée", "Initiatives du Bocage", "Pays Solidaire", "Les Ateliers Partagés",
              "Cœur de Bassin", "Filière Réemploi"]

# Retained texts without any pre-identifying word (survey-only operations, wave 2017).
RETAINED_PLAIN = {
    "socialement_innovantes": [
        "Le projet propose une réponse nouvelle : {idea}.", "L'expérimentation consiste à {idea}.",
        "Le porteur propose {de_idea}, une approche encore rare sur le territoire.",
    ],
    "entrepreneuriat_social": [
        "Le programme accompagne la création d'entreprises de l'économie sociale et solidaire.",
        "La coopérative d'activité et d'emploi héberge des entrepreneurs salariés pendant leur phase de test.",
        "L'incubateur suit des créateurs d'entreprises sociales de l'idée au lancement.",
    ],
    "innovation_sociale_territoriale": [
        "Le projet organise une coopération nouvelle entre structures d'insertion et entreprises du bassin.",
        "Des services de proximité sont ouverts dans des communes rurales qui en étaient dépourvues.",
        "Les acteurs du territoire ont co-construit une offre commune d'accompagnement.",
    ],
    "ingenierie_outillage_etudes": [
        "L'étude recense les initiatives de l'économie sociale et solidaire et les besoins émergents du territoire.",
        "Les outils produits seront mis à disposition des structures du réseau.",
    ],
}

# ------------------------------------------------------------------------------ survey

SURVEY_PROSE = [
    "Les chantiers d'insertion du département, en particulier ceux qui ont diversifié leurs activités.",
    "Plusieurs actions du PLIE (accompagnement renforcé, parrainage).",
    "Les projets retenus dans l'appel à projets inclusion.",
    "Voir la liste transmise par courriel au service FSE.",
    "Quelques projets portés par des associations de quartier.",
    "Les actions de mobilité (garage solidaire, auto-école sociale).",
    "Difficile de citer des opérations précises.",
    "Les actions d'accompagnement global menées avec les travailleurs sociaux.",
    "Un projet de conciergerie solidaire et une épicerie sociale, sans numéro de dossier sous la main.",
    "Les ateliers de remobilisation portés par des centres sociaux.",
]
# 25 observations, written for isnote; the theme of each is checked by the generator.
OBSERVATIONS = [
    # regles de gestion (10)
    "Les règles de gestion du FSE s'accordent mal avec des projets qui ont besoin de souplesse.",
    "La lourdeur administrative décourage les petites associations de déposer des projets nouveaux.",
    "Le contrôle de service fait porte sur des pièces justificatives difficiles à produire pour des actions collectives.",
    "Les contraintes de gestion imposées aux porteurs freinent l'expérimentation.",
    "La complexité administrative du montage empêche de financer des projets portés à plusieurs.",
    "Les porteurs renoncent souvent au FSE à cause des règles de gestion et du temps de saisie.",
    "Les exigences de contrôle fragilisent les structures qui testent des approches nouvelles.",
    "Il faudrait alléger les pièces justificatives demandées pour les petites opérations.",
    "La lourdeur du suivi des participants est un frein pour les projets expérimentaux.",
    "Les règles d'éligibilité des dépenses ne permettent pas de financer le temps de coordination entre partenaires ; la complexité de gestion est dissuasive.",
    # regles + risque (3)
    "Les règles de gestion et le risque financier en cas de sous-réalisation dissuadent les porteurs.",
    "Les délais de paiement pèsent sur la trésorerie des associations, et les contrôles tardifs ajoutent une incertitude.",
    "Des avances plus importantes et une lourdeur administrative réduite aideraient les projets nouveaux.",
    # risque only (3)
    "La viabilité financière de ce type de projet est souvent faible au démarrage.",
    "Un préfinancement par des crédits nationaux, moins risqués, serait préférable avant de mobiliser le FSE.",
    "Les structures hésitent à porter seules le risque financier d'une action expérimentale.",
    # cadre de performance (4)
    "Le cadre de performance pousse à privilégier les opérations qui comptent beaucoup de participants.",
    "Les cibles de l'objectif spécifique 3 ne correspondent pas à des volumes de participants.",
    "Les indicateurs de réalisation ne rendent pas compte de la qualité des accompagnements.",
    "La priorité donnée au nombre de participants laisse peu de place aux projets de coordination.",
    # cadre + definition (1)
    "Sans définition partagée, il est difficile de fixer des indicateurs pour ces projets.",
    # definition (2)
    "Une notion floue pour beaucoup de partenaires : chacun y met ce qu'il veut.",
    "Le concept est surtout associé à l'économie sociale et solidaire, alors que d'autres projets sont nouveaux.",
    # none (2)
    "Le FSE est plus utile pour étendre une action qui a fait ses preuves que pour la lancer.",
    "Nous souhaitons davantage d'échanges entre gestionnaires sur les projets repérés.",
]
OBSERVATION_THEMES_EXPECTED = (
    [["regles_gestion"]] * 10 + [["regles_gestion", "risque_financier"]] * 3 + [["risque_financier"]] * 3
    + [["cadre_performance"]] * 4 + [["cadre_performance", "definition_floue"]] + [["definition_floue"]] * 2 + [[]] * 2
)

REVIEW_REASONS_RETAINED = [
    "réponse nouvelle à un besoin mal couvert, partenariats locaux",
    "démarche expérimentale, implication des usagers",
    "essaimage d'une action déjà éprouvée",
    "structure de l'écosystème de l'innovation sociale",
    "coopération territoriale nouvelle entre acteurs",
    "outillage des porteurs de projets",
]
REVIEW_REASONS_SETASIDE = [
    "« innovant » désigne un outil numérique, pas une réponse sociale nouvelle",
    "accompagnement classique, le terme innovation n'est pas étayé",
    "innovation pédagogique ou technologique sans dimension sociale",
    "action reconduite à l'identique",
    "mention générique de l'impact, sans démarche d'évaluation",
    "signalée par le gestionnaire mais action de droit commun",
]
REVIEWERS = {"2019": ["M.L.", "S.B.", "A.-C.D."], "2017": ["J.P.", "C.R."]}

# Titles of retained operations by category (no pre-identifying word in them).
RETAINED_TITLES = {
    "socialement_innovantes": [
        "Conciergerie solidaire {town}", "Garage solidaire {de_town}", "Épicerie solidaire et remobilisation vers l'emploi",
        "Plateforme de mobilité solidaire {dept_de}", "Garde d'enfants à horaires décalés {town}",
        "Pair-aidance et retour à l'emploi", "Tiers-lieu rural {de_town}", "Travail à l'heure pour les personnes sans domicile",
        "Médiateurs numériques des quartiers {de_town}", "Emploi accompagné en entreprise", "Filière réemploi du bâtiment {dept_de}",
        "Cuisine partagée {town}", "Ferme urbaine d'insertion {town}", "Petits travaux solidaires chez les aînés",
        "École de la mobilité {dept_de}",
    ],
    "entrepreneuriat_social": [
        "Incubateur d'entreprises sociales {region}", "Coopérative d'activité et d'emploi {town}",
        "Programme d'accélération de l'entrepreneuriat social", "Accompagnement des entrepreneurs sociaux {dept_de}",
        "Émergence de projets d'utilité sociale {de_town}", "Couveuse d'entreprises de l'économie sociale",
    ],
    "innovation_sociale_territoriale": [
        "Coopération économique territoriale {de_town}", "Services de proximité en milieu rural {dept_de}",
        "Coordination des clauses sociales {de_town}", "Entreprise à but d'emploi {town}",
        "Passerelles entre structures d'insertion et entreprises {dept_de}", "Projet de territoire pour l'emploi {town}",
    ],
    "ingenierie_outillage_etudes": [
        "Étude sur l'économie sociale et solidaire {dept_de}", "Diagnostic territorial de l'économie sociale et solidaire",
        "Outillage des porteurs de projets d'utilité sociale", "Capitalisation des pratiques d'insertion {region}",
        "Schéma départemental de l'économie sociale et solidaire {dept_de}",
    ],
}
NATIONAL_BENEFICIARIES = ["Association nationale {nm}", "Fédération nationale {nm}", "Réseau national {nm}",
                          "Union nationale {nm}", "{opca}", "AFPA", "CNAM", "Groupe {surname}"]

# Opening sentences of retained operations whose category is not that of their OS.
CAT_INTROS = {
    "entrepreneuriat_social": [
        "L'opération accompagne des porteurs de projets d'entreprises de l'économie sociale et solidaire {dept_de}.",
        "Le programme suit des créateurs d'entreprises d'utilité sociale, de l'idée jusqu'au lancement.",
        "La structure héberge et conseille des entrepreneurs qui veulent répondre à un besoin du territoire {de_town}.",
    ],
    "innovation_sociale_territoriale": [
        "L'opération réunit les acteurs de l'emploi et de l'insertion et les entreprises du bassin {de_town} autour d'un projet commun.",
        "Le projet organise, à l'échelle du territoire {dept_de}, la coopération entre structures d'insertion, collectivités et employeurs.",
        "Il s'agit d'ouvrir des services de proximité et de créer des activités utiles dans des communes rurales {dept_de}.",
    ],
    "ingenierie_outillage_etudes": [
        "L'opération finance une étude et des outils au service des acteurs de l'économie sociale et solidaire {dept_de}.",
        "Le projet dresse un état des lieux des initiatives du territoire et accompagne les porteurs de projets.",
        "Il s'agit de capitaliser les pratiques des structures d'insertion et de les diffuser.",
    ],
}
