"""Geography of the synthetic demo data: former regions, departments, towns, managing services.

Names of places and of managing-service patterns are public facts; every combination (which
body manages which operation, in which town) is invented.
"""

from __future__ import annotations

NATIONAL = "Volet national du FSE"

# region -> (departments as (name, "du/de la/de l'/des" form), towns, AGD service, ESF category)
REGIONS: dict[str, dict] = {
    "Alsace": {
        "depts": [("Bas-Rhin", "du Bas-Rhin"), ("Haut-Rhin", "du Haut-Rhin")],
        "towns": ["Strasbourg", "Mulhouse", "Colmar", "Haguenau", "Sélestat", "Saverne"],
        "agd": "DIRECCTE - Alsace - Service Europe", "rate": 0.50},
    "Aquitaine": {
        "depts": [("Dordogne", "de la Dordogne"), ("Gironde", "de la Gironde"), ("Landes", "des Landes"),
                  ("Lot-et-Garonne", "du Lot-et-Garonne"), ("Pyrénées-Atlantiques", "des Pyrénées-Atlantiques")],
        "towns": ["Bordeaux", "Pau", "Bayonne", "Mont-de-Marsan", "Agen", "Périgueux", "Dax", "Libourne"],
        "agd": "DIRECCTE - Aquitaine - Service FSE", "rate": 0.50},
    "Auvergne": {
        "depts": [("Allier", "de l'Allier"), ("Cantal", "du Cantal"), ("Haute-Loire", "de la Haute-Loire"),
                  ("Puy-de-Dôme", "du Puy-de-Dôme")],
        "towns": ["Clermont-Ferrand", "Vichy", "Montluçon", "Aurillac", "Moulins", "Issoire", "Thiers"],
        "agd": "DIRECCTE - Auvergne - Service Europe", "rate": 0.60},
    "Basse-Normandie": {
        "depts": [("Calvados", "du Calvados"), ("Manche", "de la Manche"), ("Orne", "de l'Orne")],
        "towns": ["Caen", "Cherbourg-en-Cotentin", "Alençon", "Saint-Lô", "Lisieux", "Flers"],
        "agd": "DIRECCTE - Basse-Normandie - Service FSE", "rate": 0.60},
    "Bourgogne": {
        "depts": [("Côte-d'Or", "de la Côte-d'Or"), ("Nièvre", "de la Nièvre"), ("Saône-et-Loire", "de Saône-et-Loire"),
                  ("Yonne", "de l'Yonne")],
        "towns": ["Dijon", "Chalon-sur-Saône", "Mâcon", "Nevers", "Auxerre", "Le Creusot", "Sens", "Autun"],
        "agd": "DIRECCTE - Bourgogne - Service Europe", "rate": 0.50},
    "Bretagne": {
        "depts": [("Côtes-d'Armor", "des Côtes-d'Armor"), ("Finistère", "du Finistère"),
                  ("Ille-et-Vilaine", "d'Ille-et-Vilaine"), ("Morbihan", "du Morbihan")],
        "towns": ["Rennes", "Brest", "Quimper", "Lorient", "Saint-Brieuc", "Vannes", "Saint-Malo", "Lannion"],
        "agd": "DIRECCTE - Bretagne - Service Europe", "rate": 0.50},
    "Centre": {
        "depts": [("Cher", "du Cher"), ("Eure-et-Loir", "d'Eure-et-Loir"), ("Indre", "de l'Indre"),
                  ("Indre-et-Loire", "d'Indre-et-Loire"), ("Loir-et-Cher", "de Loir-et-Cher"), ("Loiret", "du Loiret")],
        "towns": ["Orléans", "Tours", "Bourges", "Blois", "Chartres", "Châteauroux", "Vierzon", "Dreux"],
        "agd": "DIRECCTE - Centre-Val de Loire - Service FSE", "rate": 0.50},
    "Champagne-Ardenne": {
        "depts": [("Ardennes", "des Ardennes"), ("Aube", "de l'Aube"), ("Marne", "de la Marne"),
                  ("Haute-Marne", "de la Haute-Marne")],
        "towns": ["Reims", "Troyes", "Charleville-Mézières", "Châlons-en-Champagne", "Chaumont", "Épernay", "Sedan"],
        "agd": "DIRECCTE - Champagne-Ardenne - Service de gestion et affaires européennes", "rate": 0.50},
    "Corse": {
        "depts": [("Corse-du-Sud", "de Corse-du-Sud"), ("Haute-Corse", "de Haute-Corse")],
        "towns": ["Ajaccio", "Bastia", "Porto-Vecchio", "Corte", "Calvi"],
        "agd": "DIRECCTE - Corse - Service FSE", "rate": 0.60},
    "Franche-Comté": {
        "depts": [("Doubs", "du Doubs"), ("Jura", "du Jura"), ("Haute-Saône", "de la Haute-Saône"),
                  ("Territoire de Belfort", "du Territoire de Belfort")],
        "towns": ["Besançon", "Belfort", "Montbéliard", "Dole", "Vesoul", "Lons-le-Saunier", "Pontarlier"],
        "agd": "DIRECCTE - Franche-Comté - Service Europe", "rate": 0.60},
    "Haute-Normandie": {
        "depts": [("Eure", "de l'Eure"), ("Seine-Maritime", "de la Seine-Maritime")],
        "towns": ["Rouen", "Le Havre", "Évreux", "Dieppe", "Elbeuf", "Fécamp", "Vernon"],
        "agd": "DIRECCTE - Haute-Normandie - Service FSE", "rate": 0.50},
    "Ile-de-France": {
        "depts": [("Paris", "de Paris"), ("Seine-et-Marne", "de Seine-et-Marne"), ("Yvelines", "des Yvelines"),
                  ("Essonne", "de l'Essonne"), ("Hauts-de-Seine", "des Hauts-de-Seine"),
                  ("Seine-Saint-Denis", "de la Seine-Saint-Denis"), ("Val-de-Marne", "du Val-de-Marne"),
                  ("Val-d'Oise", "du Val-d'Oise")],
        "towns": ["Paris", "Saint-Denis", "Montreuil", "Créteil", "Évry", "Nanterre", "Cergy", "Argenteuil",
                  "Melun", "Mantes-la-Jolie", "Aubervilliers", "Sarcelles"],
        "agd": "DIRECCTE - Ile de France - Service de Fonds social européen", "rate": 0.50},
    "Languedoc-Roussillon": {
        "depts": [("Aude", "de l'Aude"), ("Gard", "du Gard"), ("Hérault", "de l'Hérault"), ("Lozère", "de la Lozère"),
                  ("Pyrénées-Orientales", "des Pyrénées-Orientales")],
        "towns": ["Montpellier", "Nîmes", "Perpignan", "Béziers", "Narbonne", "Carcassonne", "Alès", "Sète"],
        "agd": "DIRECCTE - Occitanie - Languedoc-Roussillon", "rate": 0.60},
    "Limousin": {
        "depts": [("Corrèze", "de la Corrèze"), ("Creuse", "de la Creuse"), ("Haute-Vienne", "de la Haute-Vienne")],
        "towns": ["Limoges", "Brive-la-Gaillarde", "Guéret", "Tulle", "Ussel", "Saint-Junien"],
        "agd": "DIRECCTE - Limousin - Service FSE", "rate": 0.60},
    "Lorraine": {
        "depts": [("Meurthe-et-Moselle", "de Meurthe-et-Moselle"), ("Meuse", "de la Meuse"), ("Moselle", "de la Moselle"),
                  ("Vosges", "des Vosges")],
        "towns": ["Nancy", "Metz", "Thionville", "Épinal", "Forbach", "Verdun", "Bar-le-Duc", "Lunéville"],
        "agd": "DIRECCTE - Lorraine - Service Europe", "rate": 0.60},
    "Midi-Pyrénées": {
        "depts": [("Ariège", "de l'Ariège"), ("Aveyron", "de l'Aveyron"), ("Haute-Garonne", "de la Haute-Garonne"),
                  ("Gers", "du Gers"), ("Lot", "du Lot"), ("Hautes-Pyrénées", "des Hautes-Pyrénées"), ("Tarn", "du Tarn"),
                  ("Tarn-et-Garonne", "de Tarn-et-Garonne")],
        "towns": ["Toulouse", "Tarbes", "Albi", "Montauban", "Rodez", "Castres", "Cahors", "Auch"],
        "agd": "DIRECCTE - Occitanie - Midi-Py", "rate": 0.50},
    "Nord-Pas-de-Calais": {
        "depts": [("Nord", "du Nord"), ("Pas-de-Calais", "du Pas-de-Calais")],
        "towns": ["Lille", "Roubaix", "Tourcoing", "Valenciennes", "Dunkerque", "Calais", "Lens", "Arras",
                  "Boulogne-sur-Mer", "Maubeuge", "Douai", "Béthune"],
        "agd": "DIRECCTE Hauts-de-France (site Nord)", "rate": 0.60},
    "Pays de la Loire": {
        "depts": [("Loire-Atlantique", "de Loire-Atlantique"), ("Maine-et-Loire", "de Maine-et-Loire"),
                  ("Mayenne", "de la Mayenne"), ("Sarthe", "de la Sarthe"), ("Vendée", "de la Vendée")],
        "towns": ["Nantes", "Angers", "Le Mans", "Saint-Nazaire", "La Roche-sur-Yon", "Laval", "Cholet", "Saumur"],
        "agd": "DIRECCTE - Pays de la Loire - Service FSE", "rate": 0.50},
    "Picardie": {
        "depts": [("Aisne", "de l'Aisne"), ("Oise", "de l'Oise"), ("Somme", "de la Somme")],
        "towns": ["Amiens", "Beauvais", "Saint-Quentin", "Compiègne", "Creil", "Soissons", "Abbeville", "Laon"],
        "agd": "DIRECCTE Hauts-de-France (site Picardie)", "rate": 0.60},
    "Poitou-Charentes": {
        "depts": [("Charente", "de la Charente"), ("Charente-Maritime", "de la Charente-Maritime"),
                  ("Deux-Sèvres", "des Deux-Sèvres"), ("Vienne", "de la Vienne")],
        "towns": ["Poitiers", "La Rochelle", "Niort", "Angoulême", "Châtellerault", "Rochefort", "Cognac"],
        "agd": "DIRECCTE - Poitou-Charentes - Service FSE", "rate": 0.60},
    "Provence-Alpes-Côte d'Azur": {
        "depts": [("Alpes-de-Haute-Provence", "des Alpes-de-Haute-Provence"), ("Hautes-Alpes", "des Hautes-Alpes"),
                  ("Alpes-Maritimes", "des Alpes-Maritimes"), ("Bouches-du-Rhône", "des Bouches-du-Rhône"),
                  ("Var", "du Var"), ("Vaucluse", "de Vaucluse")],
        "towns": ["Marseille", "Nice", "Toulon", "Avignon", "Aix-en-Provence", "Arles", "Gap", "Digne-les-Bains"],
        "agd": "DIRECCTE - PACA - Service FSE", "rate": 0.50},
    "Rhône-Alpes": {
        "depts": [("Ain", "de l'Ain"), ("Ardèche", "de l'Ardèche"), ("Drôme", "de la Drôme"), ("Isère", "de l'Isère"),
                  ("Loire", "de la Loire"), ("Rhône", "du Rhône"), ("Savoie", "de la Savoie"),
                  ("Haute-Savoie", "de la Haute-Savoie")],
        "towns": ["Lyon", "Grenoble", "Saint-Étienne", "Villeurbanne", "Valence", "Chambéry", "Annecy",
                  "Bourg-en-Bresse", "Roanne", "Vienne"],
        "agd": "DIRECCTE - Auvergne-Rhône-Alpes - Service FSE", "rate": 0.50},
}

OVERSEAS: dict[str, dict] = {
    "Guadeloupe": {"depts": [("Guadeloupe", "de la Guadeloupe")],
                   "towns": ["Pointe-à-Pitre", "Les Abymes", "Basse-Terre", "Baie-Mahault"], "agd": "DIECCTE Guadeloupe"},
    "Martinique": {"depts": [("Martinique", "de la Martinique")],
                   "towns": ["Fort-de-France", "Le Lamentin", "Sainte-Marie", "Le Robert"], "agd": "DIECCTE Martinique"},
    "Guyane": {"depts": [("Guyane", "de la Guyane")],
               "towns": ["Cayenne", "Kourou", "Saint-Laurent-du-Maroni", "Matoury"], "agd": "DIECCTE Guyane"},
    "La Réunion": {"depts": [("La Réunion", "de La Réunion")],
                   "towns": ["Saint-Denis", "Saint-Pierre", "Le Port", "Saint-Paul", "Saint-André"],
                   "agd": "DIECCTE La Réunion"},
    "Mayotte": {"depts": [("Mayotte", "de Mayotte")], "towns": ["Mamoudzou", "Koungou", "Dzaoudzi"],
                "agd": "DIECCTE Mayotte"},
}

# Share of the operations of each region (regional strand), before national operations are
# set apart. Chosen by us (roughly population and ESF programming); Picardie, Lorraine and
# Bretagne are kept modest so that their retained operations stand out (note, section 5.1).
REGION_WEIGHTS: dict[str, float] = {
    "Alsace": 3.2, "Aquitaine": 5.6, "Auvergne": 2.6, "Basse-Normandie": 2.6, "Bourgogne": 2.9,
    "Bretagne": 3.9, "Centre": 4.3, "Champagne-Ardenne": 2.5, "Corse": 0.6, "Franche-Comté": 2.1,
    "Haute-Normandie": 3.4, "Ile-de-France": 15.5, "Languedoc-Roussillon": 5.2, "Limousin": 1.3,
    "Lorraine": 2.9, "Midi-Pyrénées": 4.8, "Nord-Pas-de-Calais": 10.5, "Pays de la Loire": 5.0,
    "Picardie": 2.6, "Poitou-Charentes": 3.0, "Provence-Alpes-Côte d'Azur": 7.4, "Rhône-Alpes": 9.1,
}

# IEJ: eligible regions (and the overseas ones), weights chosen by us.
IEJ_REGION_WEIGHTS: dict[str, float] = {
    "Aquitaine": 7, "Auvergne": 4, "Centre": 6, "Champagne-Ardenne": 5, "Haute-Normandie": 6,
    "Languedoc-Roussillon": 9, "Nord-Pas-de-Calais": 14, "Picardie": 7, "Ile-de-France": 8,
    "Provence-Alpes-Côte d'Azur": 6, "Midi-Pyrénées": 5, "Guadeloupe": 5, "Martinique": 5,
    "Guyane": 4, "La Réunion": 8, "Mayotte": 2,
}
# IEJ departments eligible outside the eligible regions
IEJ_DEPT_ONLY = {"Ile-de-France": "Seine-Saint-Denis", "Provence-Alpes-Côte d'Azur": "Bouches-du-Rhône",
                 "Midi-Pyrénées": "Haute-Garonne"}

NATIONAL_SERVICES = ["MPN", "MPN", "MPN", "DGEFP - Sous-direction du FSE", "Association France Active"]

CD_SERVICE_STYLES = [
    "Conseil départemental {de}",
    "Conseil départemental {de}",
    "Conseil départemental {de} - Cellule FSE",
    "Département {de} - Service Europe",
    "CD {de} - Mission FSE",
]


def region_info(region: str) -> dict:
    return REGIONS.get(region) or OVERSEAS[region]


def de_town(town: str) -> str:
    """'Brest' -> 'de Brest', 'Amiens' -> "d'Amiens", 'Le Havre' -> 'du Havre'."""
    for art, rep in (("Le ", "du "), ("Les ", "des ")):
        if town.startswith(art):
            return rep + town[len(art):]
    if town.startswith("La "):
        return "de " + town
    if town[0] in "AEIOUYÉÈÂÎaeiouyé":
        return "d'" + town
    return "de " + town


def dept_bare(prep: str) -> str:
    """'du Nord' -> 'Nord', "de l'Oise" -> 'Oise' (for 'CD Nord'-like short names)."""
    for p in ("de la ", "de l'", "des ", "du ", "de ", "d'"):
        if prep.startswith(p):
            return prep[len(p):]
    return prep
