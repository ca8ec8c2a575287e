"""Every word the pages say, in Latvian and English."""

# the page behind an emailed response link
TEXT = {
    "lv": {
        "title": "Lūgums palīdzēt",
        "intro": "Tilts lūdz jūsu palīdzību šādai vajadzībai:",
        "need": "Vajadzība",
        "domain": "Joma",
        "region": "Reģions",
        "quantity": "Daudzums",
        "urgency": "Steidzamība",
        "needed_by": "Vajadzīgs līdz",
        "respond_by": "Atbildēt līdz",
        "offer": "Jūsu piedāvājums",
        "accept": "Pieņemt",
        "decline": "Atteikt",
        "accepted": "Paldies! Jūs pieņēmāt lūgumu. Koordinators ar jums sazināsies.",
        "declined": "Paldies par atbildi. Lūgums nodots nākamajam palīdzētājam.",
        # what a used link says, by the match's status now
        "now_accepted": "Jūs šo lūgumu jau pieņēmāt. Koordinators ar jums sazināsies.",
        "now_declined": "Jūs šo lūgumu jau atteicāt. Paldies par atbildi!",
        "now_expired": "Atbildes termiņš beidzās, tāpēc lūgums, iespējams, jau nodots citam"
        " palīdzētājam. Jums nekas nav jādara.",
        "now_cancelled": "Šis lūgums vairs nav aktuāls: tas ir atsaukts. Jums nekas nav jādara.",
        "now_fulfilled": "Šis lūgums jau ir izpildīts. Paldies par palīdzību!",
        "already": "Uz šo lūgumu vairs nevar atbildēt.",
        "expired": "Šīs saites derīguma termiņš ir beidzies. Lūgums, iespējams, jau nodots citam.",
        "invalid": "Šī saite nav derīga. Pārbaudiet, vai nokopējāt to pilnībā.",
        "bad_action": "Izvēlieties “Pieņemt” vai “Atteikt”.",
        "other_lang": "English",
    },
    "en": {
        "title": "Request for help",
        "intro": "Tilts asks for your help with this need:",
        "need": "Need",
        "domain": "Domain",
        "region": "Region",
        "quantity": "Quantity",
        "urgency": "Urgency",
        "needed_by": "Needed by",
        "respond_by": "Answer by",
        "offer": "Your offer",
        "accept": "Accept",
        "decline": "Decline",
        "accepted": "Thank you! You accepted the request. A coordinator will contact you.",
        "declined": "Thank you for answering. The request goes to the next helper.",
        "now_accepted": "You have already accepted this request. A coordinator will contact you.",
        "now_declined": "You have already declined this request. Thank you for answering.",
        "now_expired": "The time to answer has passed, so the request may have gone to another"
        " helper. There is nothing you need to do.",
        "now_cancelled": "This request is no longer current: it was withdrawn. There is nothing"
        " you need to do.",
        "now_fulfilled": "This request has already been fulfilled. Thank you for your help!",
        "already": "This request can no longer be answered.",
        "expired": "This link has expired. The request may have gone to someone else.",
        "invalid": "This link is not valid. Check that you copied all of it.",
        "bad_action": "Choose “Accept” or “Decline”.",
        "other_lang": "Latviešu",
    },
}


# what a browser gets instead of the API's JSON error: what happened, what to do
TROUBLE = {
    "lv": {
        "unavailable_title": "Lapa šobrīd nav pieejama",
        "unavailable": "Tilts šobrīd nevar parādīt šo lapu: kāda tā daļa neatbild.",
        "try_later": "Lūdzu, mēģiniet vēlreiz pēc dažām minūtēm.",
        "link_works": "Jūsu saite joprojām ir derīga: atveriet to vēlreiz vēlāk.",
        "again": "Mēģināt vēlreiz",
        "kept": "Jūsu ierakstītais nav zudis: nosūtiet to vēlreiz, kad Tilts atkal atbild.",
        "send_kept": "Sūtīt vēlreiz",
        "invalid_title": "Adresē ir kļūda",
        "invalid": "Tilts nepazīst šo adreses daļu: {fields}.",
        "fix": "Pārbaudiet adresi vai atveriet lapu bez tās.",
        "start": "Atvērt lapu",
        "unreadable_title": "Veidlapa nepienāca kā teksts",
        "unreadable": "Šie lauki nebija UTF-8 teksts: {fields}. Nekas netika saglabāts.",
        "send_again": "Atveriet lapu un nosūtiet veidlapu vēlreiz no tās.",
        "other_title": "Lapu neizdevās parādīt",
        "other": "Tilts nevarēja parādīt šo lapu.",
    },
    "en": {
        "unavailable_title": "This page is not available right now",
        "unavailable": "Tilts cannot show this page right now: part of it is not answering.",
        "try_later": "Please try again in a few minutes.",
        "link_works": "Your link still works: open it again later.",
        "again": "Try again",
        "kept": "What you typed is not lost: send it again once Tilts answers.",
        "send_kept": "Send again",
        "invalid_title": "Something in the address is wrong",
        "invalid": "Tilts does not know this part of the address: {fields}.",
        "fix": "Check the address, or open the page without it.",
        "start": "Open the page",
        "unreadable_title": "The form did not arrive as text",
        "unreadable": "These fields were not UTF-8 text: {fields}. Nothing was kept.",
        "send_again": "Open the page and send the form again from it.",
        "other_title": "The page could not be shown",
        "other": "Tilts could not show this page.",
    },
}


# the frame every page shares (base.html), and the pointers to /register
CHROME = {
    "lv": {
        "nav_wall": "Resursu siena",
        "nav_commitments": "Apņemšanās",
        "nav_dashboard": "Pārskats",
        "stale": (
            "Šie dati ir {age} veci: daļa Tilts šobrīd neatbild, tāpēc rādām pēdējo saņemto kopiju."
        ),
        "can_help": "Jūsu organizācija var palīdzēt?",
        "register_it": "Reģistrējiet to Tiltā",
        "not_registered": "Organizācija vēl nav reģistrēta?",
        "register_org": "Reģistrēt organizāciju",
    },
    "en": {
        "nav_wall": "Resource wall",
        "nav_commitments": "Commitments",
        "nav_dashboard": "Dashboard",
        "stale": (
            "These figures are {age} old: part of Tilts is not answering right now, so "
            "this is the last copy we had."
        ),
        "can_help": "Can your organisation help?",
        "register_it": "Register it with Tilts",
        "not_registered": "Organisation not registered yet?",
        "register_org": "Register your organisation",
    },
}


# the public documents: wall, dashboard, commitment document (and its downloads)
WORDS = {
    "lv": {
        "wall": "Resursu siena",
        "dashboard": "Rezultātu pārskats",
        "commitments": "Apņemšanās dokuments",
        "wall_intro": "Ko organizācijas ir gatavas dot bēgļu uzņemšanai.",
        "dash_intro": (
            "Vajadzības un brīvā kapacitāte pa jomām un reģioniem. Iekrāsotās šūnas rāda "
            "iztrūkumu: vajadzības, kuras vēl nesedz neviens piedāvājums."
        ),
        "commit_intro": (
            "Kas ko ir apņēmies, pa darba grupām. Dokuments veidots no aktuālajiem datiem."
        ),
        "region": "Reģions",
        "all_regions": "Visi reģioni",
        "show": "Rādīt",
        "organisation": "Organizācija",
        "offer": "Piedāvājums",
        "capacity": "Kapacitāte",
        "remaining": "Brīvā kapacitāte",
        "languages": "Valodas",
        "regions": "Reģioni",
        "accepted": "Pieņemts",
        "fulfilled": "Izpildīts",
        "unit": "Vienība",
        "renews": "Atjaunojas",
        "website": "Tīmekļa vietne",
        "none": "Pagaidām nekā.",
        "open": "atvērtas",
        "matched": "saskaņotas",
        "unmatched": "bez piedāvājuma",
        "gap": "trūkst",
        "needed": "vajadzīgs",
        "covered": "nodrošināts",
        "covered_note": "nodrošināts: lūgums nosūtīts organizācijai vai pieņemts",
        "no_needs": "vajadzību nav",
        "free_capacity": "brīvā kapacitāte",
        "of": "no",
        "grid_caption": "Vajadzības un brīvā kapacitāte pa jomām un reģioniem",
        "nothing_here": "nav ne vajadzību, ne brīvas kapacitātes",
        "generated": "Sagatavots",
        "anonymous": "anonīma organizācija",
        "domain": "Joma",
        "downloads": "Lejupielādēt",
        "chart": "Vajadzību nodrošinājums pa jomām",
        "other_lang": "English",
        "other_code": "en",
    },
    "en": {
        "wall": "Resource wall",
        "dashboard": "Dashboard",
        "commitments": "Commitment document",
        "wall_intro": "What organisations are ready to give for refugee reception.",
        "dash_intro": (
            "Needs and free capacity by domain and region. Shaded cells show the gaps: "
            "needs that no offer covers yet."
        ),
        "commit_intro": "Who committed to what, by working group, generated from live data.",
        "region": "Region",
        "all_regions": "All regions",
        "show": "Show",
        "organisation": "Organisation",
        "offer": "Offer",
        "capacity": "Capacity",
        "remaining": "Free capacity",
        "languages": "Languages",
        "regions": "Regions",
        "accepted": "Accepted",
        "fulfilled": "Fulfilled",
        "unit": "Unit",
        "renews": "Renews",
        "website": "Website",
        "none": "Nothing yet.",
        "open": "open",
        "matched": "matched",
        "unmatched": "unmatched",
        "gap": "gap",
        "needed": "needed",
        "covered": "covered",
        "covered_note": "covered: requested from an organisation, or accepted",
        "no_needs": "no needs",
        "free_capacity": "free capacity",
        "of": "of",
        "grid_caption": "Needs and free capacity by domain and region",
        "nothing_here": "no needs and no free capacity",
        "generated": "Generated",
        "anonymous": "anonymous organisation",
        "domain": "Domain",
        "downloads": "Download",
        "chart": "Needs covered, by domain",
        "other_lang": "Latviešu",
        "other_code": "lv",
    },
}


# the digest's List-Unsubscribe link
DIGEST_OFF = {
    "lv": {
        "ask": "Saņemt katru lūgumu vai ziņojumu atsevišķā vēstulē, nevis dienas apkopojumā?",
        "button": "Jā, sūtīt atsevišķi",
        "done": "Turpmāk katru lūgumu un ziņojumu sūtīsim atsevišķā vēstulē.",
        "bad": "Šī saite nav derīga vai ir novecojusi.",
    },
    "en": {
        "ask": "Get every request or alert as its own email instead of the daily digest?",
        "button": "Yes, send them one by one",
        "done": "From now on each request and alert comes as its own email.",
        "bad": "This link is not valid or has expired.",
    },
}
