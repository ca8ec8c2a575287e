"""The shared vocabularies: working groups (domains), regions, languages, kinds.

These are data, not scattered constants: every service, page and export reads them
from here. Names come in Latvian and English; domains carry their 2015 leads.
"""

DOMAINS: dict[str, dict] = {
    "policy": {
        "lv": "Politikas iniciatīvas",
        "en": "Policy initiatives",
        "leads": ["PROVIDUS"],
    },
    "social": {
        "lv": "Sociālā palīdzība: pakalpojumu un vajadzību grozs",
        "en": "Social assistance: the basket of services and needs",
        "leads": ["Drošā māja", "Latvijas Samariešu apvienība"],
    },
    "legal": {
        "lv": "Juridiskais atbalsts statusa iegūšanas laikā",
        "en": "Legal support while obtaining status",
        "leads": ["Latvijas Cilvēktiesību centrs"],
    },
    "employment": {
        "lv": "Nodarbinātība un pieaugušo izglītība",
        "en": "Employment and adult education",
        "leads": ["Izglītības attīstības centrs", "Nodarbinātības valsts aģentūra"],
    },
    "awareness": {
        "lv": "Sabiedrības izpratne un integrācija no apakšas",
        "en": "Public understanding and grass-roots integration",
        "leads": ["Fonds atvērtai sabiedrībai DOTS"],
    },
    "health": {
        "lv": "Veselība",
        "en": "Health",
        "leads": ["Dzīvības koks"],
    },
    "children": {
        "lv": "Bērni",
        "en": "Children",
        "leads": ["SOS Bērnu ciemati Latvija"],
    },
}

REGIONS: dict[str, dict] = {
    "riga": {"lv": "Rīga", "en": "Riga"},
    "vidzeme": {"lv": "Vidzeme", "en": "Vidzeme"},
    "kurzeme": {"lv": "Kurzeme", "en": "Kurzeme"},
    "zemgale": {"lv": "Zemgale", "en": "Zemgale"},
    "latgale": {"lv": "Latgale", "en": "Latgale"},
}
NATIONWIDE = "nationwide"
# offers may cover the whole country; a need is always somewhere in particular
OFFER_REGIONS: dict[str, dict] = {
    **REGIONS,
    NATIONWIDE: {"lv": "Visa Latvija", "en": "Nationwide"},
}

# Names for the languages refugees and helpers most often speak here.
LANGUAGE_NAMES: dict[str, dict] = {
    "lv": {"lv": "latviešu", "en": "Latvian"},
    "en": {"lv": "angļu", "en": "English"},
    "ru": {"lv": "krievu", "en": "Russian"},
    "uk": {"lv": "ukraiņu", "en": "Ukrainian"},
    "ar": {"lv": "arābu", "en": "Arabic"},
    "fa": {"lv": "persiešu", "en": "Persian"},
    "ps": {"lv": "puštu", "en": "Pashto"},
    "ku": {"lv": "kurdu", "en": "Kurdish"},
    "ti": {"lv": "tigrinja", "en": "Tigrinya"},
    "so": {"lv": "somāļu", "en": "Somali"},
    "fr": {"lv": "franču", "en": "French"},
    "de": {"lv": "vācu", "en": "German"},
    "tr": {"lv": "turku", "en": "Turkish"},
    "ur": {"lv": "urdu", "en": "Urdu"},
    "be": {"lv": "baltkrievu", "en": "Belarusian"},
    "ka": {"lv": "gruzīnu", "en": "Georgian"},
}

# Every ISO 639-1 code: any of these is a valid language.
LANGUAGES: frozenset[str] = frozenset(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr
    cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn
    gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki
    kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml
    mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt
    qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te
    tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh
    zu
    """.split()
)

# Languages Tilts writes its own emails and pages in.
UI_LANGUAGES = ("lv", "en")

ORGANISATION_KINDS: dict[str, dict] = {
    "ngo": {"lv": "biedrība vai nodibinājums", "en": "NGO"},
    "state": {"lv": "valsts iestāde", "en": "State institution"},
    "municipality": {"lv": "pašvaldība", "en": "Municipality"},
    "business": {"lv": "uzņēmums", "en": "Business"},
    "individual": {"lv": "privātpersona", "en": "Individual"},
    "international": {"lv": "starptautiska organizācija", "en": "International"},
}

# a private person helping in their own name: never named on public pages or in the
# HSDS and HXL exports, never given a contact there (DESIGN, "Privacy rules")
INDIVIDUAL = "individual"
PRIVATE_PERSON = {"lv": "privātpersona", "en": "a private person"}

URGENCIES: dict[str, dict] = {
    "critical": {"lv": "kritiska", "en": "critical", "respond_hours": 4},
    "high": {"lv": "augsta", "en": "high", "respond_hours": 24},
    "normal": {"lv": "parasta", "en": "normal", "respond_hours": 72},
    "low": {"lv": "zema", "en": "low", "respond_hours": 7 * 24},
}

# How often an offer's capacity comes back (`renews`): at the start of each period in
# Riga time, Monday 00:00 or the 1st of the month 00:00. The labels read after a number
# and a unit: "3 consultations a week".
RENEWALS: dict[str, dict] = {
    "weekly": {"lv": "nedēļā", "en": "a week"},
    "monthly": {"lv": "mēnesī", "en": "a month"},
}


def name(table: dict[str, dict], code: str, lang: str) -> str:
    """The display name of `code` in `lang`, falling back to the code itself."""
    entry = table.get(code)
    if entry is None:
        return code
    return entry.get(lang) or entry.get("en") or code
