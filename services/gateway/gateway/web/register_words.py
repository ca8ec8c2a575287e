"""What the /register page says, in Latvian and English, and how it tells the registry's
refusals beside their fields: in the reader's words, never the validator's English."""

from tilts_contracts import privacy

REGISTER = {
    "lv": {
        "title": "Reģistrēt organizāciju",
        "intro": "Pastāstiet, kas jūs esat un kādu palīdzību varat sniegt bēgļiem."
        " Koordinators pārbauda katru pieteikumu; pēc tam jūsu piedāvājumi parādās resursu"
        " sienā, un lūgumi pēc palīdzības jums pienāk pa e-pastu.",
        "signed_up": "Jau reģistrējāties?",
        "signin": "Pierakstīties",
        "required_note": "Ar * atzīmētie lauki ir obligāti.",
        "fix_below": "Dažas atbildes jāizlabo: skatiet paziņojumus pie laukiem zemāk."
        " Viss ierakstītais ir saglabāts.",
        "organisation": "Organizācija",
        "name": "Nosaukums *",
        "kind": "Veids",
        "email": "E-pasta adrese *",
        "email_hint": "uz to sūtīsim ziņas un pierakstīšanās saites",
        "phone": "Tālrunis",
        "website": "Tīmekļa vietne",
        "website_hint": "piemēram, https://example.lv",
        "description": "Ar ko nodarbojas organizācija",
        "description_hint": "bez palīdzēto cilvēku personas datiem",
        "domains": "Darba grupas, kurās varat palīdzēt",
        "regions": "Reģioni, kuros strādājat",
        "languages": "Valodas, kurās runājat",
        "preferred_language": "Kurā valodā rakstīt jums vēstules",
        "offers": "Ko varat piedāvāt",
        "offers_intro": "Katrs piedāvājums ir viens palīdzības veids (piemēram, juridiskas"
        " konsultācijas). Piedāvājumus varat pievienot arī vēlāk, kad esat pierakstījies.",
        "offer": "Piedāvājums {n}",
        "domain": "Darba grupa *",
        "choose": "— izvēlieties —",
        "offer_title": "Nosaukums *",
        "offer_description": "Apraksts",
        "offer_description_hint": "kas, kur, kādos laikos; bez cilvēku vārdiem un kontaktiem",
        "capacity": "Cik daudz *",
        "capacity_hint": "vesels skaitlis, piemēram, 3",
        "unit": "Mērvienība",
        "unit_hint": "piemēram, “konsultācijas” vai “vietas kursos”",
        "renews": "Vai apjoms atjaunojas?",
        "renews_none": "nē, vienreizējs",
        "renews_weekly": "katru nedēļu (pirmdienā)",
        "renews_monthly": "katru mēnesi (1. datumā)",
        "offer_regions": "Reģioni *",
        "offer_languages": "Valodas",
        "available_from": "Pieejams no",
        "available_until": "Pieejams līdz",
        "trap": "Atstājiet šo lauku tukšu",
        "send": "Nosūtīt pieteikumu",
        "more": "Pievienot vēl vienu piedāvājumu",
        "most_offers": "Šeit var norādīt līdz {n} piedāvājumiem; pārējos pievienojiet pēc"
        " pierakstīšanās.",
        "other_lang": "English",
        # after sending
        "received_title": "Paldies! Pieteikums saņemts",
        "received": "Saņēmām organizācijas “{name}” pieteikumu.",
        "next": "Kas notiks tālāk",
        "next_mail": "Uz adresi {email} nosūtījām apstiprinājumu. Ja tas nepienāk, pārbaudiet"
        " surogātpasta mapi.",
        "next_review": "Koordinators pārbaudīs jūsu datus un piedāvājumus.",
        "next_verified": "Kad tie būs apstiprināti, saņemsiet e-pastu; jūsu piedāvājumi"
        " parādīsies resursu sienā, un lūgumi pēc palīdzības jums pienāks pa e-pastu.",
        "next_signin": "Savus piedāvājumus un iestatījumus varat mainīt, pierakstoties ar šo"
        " e-pasta adresi.",
        "wall_link": "Uz resursu sienu",
        # already registered
        "exists_title": "Šī organizācija jau ir reģistrēta",
        "exists": "Tiltā jau ir reģistrēta organizācija ar šādu nosaukumu vai e-pasta adresi,"
        " tāpēc jauns ieraksts netika izveidots.",
        "exists_yours": "Ja tā ir jūsu organizācija, varam nosūtīt pierakstīšanās saiti uz tās"
        " reģistrēto e-pasta adresi (šeit to neparādām).",
        "exists_send": "Sūtīt pierakstīšanās saiti",
        "exists_other": "Ja reģistrējat citu organizāciju, izlabojiet nosaukumu vai adresi zemāk"
        " un nosūtiet vēlreiz.",
        "link_sent_title": "Pārbaudiet organizācijas e-pastu",
        "link_sent": "Ja organizācijas reģistrētā adrese var saņemt vēstules, uz to tikko"
        " nosūtīta pierakstīšanās saite. Tā derīga 30 minūtes un vienu reizi.",
        "link_sent_none": "Ja nezināt, kura adrese ir reģistrēta, rakstiet koordinatoram.",
        # refused for a while
        "limited": "No jūsu tīkla šajā stundā nosūtīts pārāk daudz pieteikumu. Lūdzu, mēģiniet"
        " vēlreiz vēlāk; ierakstītais ir saglabāts šajā lapā.",
        "unavailable": "Tilts šobrīd nevar pieņemt pieteikumus: kāda tā daļa neatbild. Lūdzu,"
        " nosūtiet vēlreiz pēc dažām minūtēm; ierakstītais ir saglabāts.",
        # beside a field
        "required": "Šis lauks ir obligāts.",
        "invisible": "Tekstā ir neredzamas vai vadības rakstzīmes; ierakstiet to vēlreiz.",
        "check": "Pārbaudiet šo lauku.",
        "privacy": {
            "email": "Tas izskatās pēc e-pasta adreses.",
            "profile": "Tas izskatās pēc saites uz personas profilu.",
            "personal_code": "Tas izskatās pēc personas koda.",
            "birth_date": "Tas izskatās pēc dzimšanas datuma.",
            "document": "Tas izskatās pēc pases vai ID kartes numura.",
            "phone": "Tas izskatās pēc tālruņa numura.",
            "address": "Tas izskatās pēc ielas adreses.",
        },
        "advice_org": "Aprakstiet organizācijas darbu; tās kontakti pieder laukos “E-pasta"
        " adrese”, “Tālrunis” un “Tīmekļa vietne”.",
        "advice_offer": "Aprakstiet palīdzību, ne cilvēkus; jūsu kontakti pieder organizācijas"
        " laukos augšā.",
        "hints": {
            "name": "No 2 līdz 200 rakstzīmēm, ar burtiem vai cipariem.",
            "email": "Ierakstiet e-pasta adresi, piemēram, info@biedriba.lv.",
            "phone": "Ne vairāk kā 40 rakstzīmes.",
            "website": "Pilna adrese, piemēram, https://biedriba.lv.",
            "description": "Ne vairāk kā 5000 rakstzīmes.",
            "offer:domain": "Izvēlieties darba grupu.",
            "offer:title": "No 2 līdz 200 rakstzīmēm.",
            "offer:description": "Ne vairāk kā 5000 rakstzīmes.",
            "offer:capacity": "Vesels skaitlis no 1 līdz 1 000 000.",
            "offer:unit": "Ne vairāk kā 60 rakstzīmes.",
            "offer:regions": "Izvēlieties vismaz vienu reģionu.",
            "offer:available_from": "Datums formā GGGG-MM-DD.",
            "offer:available_until": "Datums formā GGGG-MM-DD, ne agrāk kā “Pieejams no”.",
        },
    },
    "en": {
        "title": "Register your organisation",
        "intro": "Tell us who you are and what help you can give refugees. A coordinator"
        " checks every registration; then your offers appear on the resource wall, and"
        " requests for help reach you by email.",
        "signed_up": "Registered already?",
        "signin": "Sign in",
        "required_note": "Fields marked * are required.",
        "fix_below": "Some answers need fixing: see the notes beside the fields below."
        " Everything you typed is kept.",
        "organisation": "Organisation",
        "name": "Name *",
        "kind": "Kind",
        "email": "Email address *",
        "email_hint": "we send news and sign-in links here",
        "phone": "Phone",
        "website": "Website",
        "website_hint": "such as https://example.lv",
        "description": "What the organisation does",
        "description_hint": "no personal data of the people you help",
        "domains": "Working groups you can help in",
        "regions": "Regions you work in",
        "languages": "Languages you speak",
        "preferred_language": "Language of our emails to you",
        "offers": "What you can offer",
        "offers_intro": "Each offer is one kind of help (legal consultations, say). You can"
        " add offers later too, once you have signed in.",
        "offer": "Offer {n}",
        "domain": "Working group *",
        "choose": "— choose —",
        "offer_title": "Title *",
        "offer_description": "Description",
        "offer_description_hint": "what, where, when; no names or contacts of people",
        "capacity": "How many *",
        "capacity_hint": "a whole number, such as 3",
        "unit": "Unit",
        "unit_hint": "such as “consultations” or “places in a course”",
        "renews": "Does it renew?",
        "renews_none": "no, once",
        "renews_weekly": "every week (on Monday)",
        "renews_monthly": "every month (on the 1st)",
        "offer_regions": "Regions *",
        "offer_languages": "Languages",
        "available_from": "Available from",
        "available_until": "Available until",
        "trap": "Leave this field empty",
        "send": "Send the registration",
        "more": "Add another offer",
        "most_offers": "Up to {n} offers here; add more once you have signed in.",
        "other_lang": "Latviešu",
        "received_title": "Thank you: your registration is in",
        "received": "We received the registration of “{name}”.",
        "next": "What happens next",
        "next_mail": "We sent a confirmation to {email}. If it does not come, look in your"
        " spam folder.",
        "next_review": "A coordinator will check your details and offers.",
        "next_verified": "Once they are verified you will get an email; your offers appear on"
        " the resource wall, and requests for help reach you by email.",
        "next_signin": "You can change your offers and settings by signing in with this"
        " email address.",
        "wall_link": "To the resource wall",
        "exists_title": "This organisation is registered already",
        "exists": "An organisation with this name or email address is registered with Tilts"
        " already, so no new entry was made.",
        "exists_yours": "If it is yours, we can send a sign-in link to its registered email"
        " address (we do not show it here).",
        "exists_send": "Send a sign-in link",
        "exists_other": "If you are registering another organisation, change the name or the"
        " address below and send again.",
        "link_sent_title": "Check the organisation's email",
        "link_sent": "If the organisation's registered address can receive mail, a sign-in"
        " link is on its way to it. It works once, for 30 minutes.",
        "link_sent_none": "If you do not know which address is registered, write to a coordinator.",
        "limited": "Too many registrations came from your network this hour. Please try"
        " again later; what you typed is kept on this page.",
        "unavailable": "Tilts cannot take registrations right now: part of it is not"
        " answering. Please send again in a few minutes; what you typed is kept.",
        "required": "This field is required.",
        "invisible": "The text holds invisible or control characters; type it again.",
        "check": "Check this field.",
        "privacy": {
            "email": "This looks like an email address.",
            "profile": "This looks like a link to a personal profile.",
            "personal_code": "This looks like a personal identity code.",
            "birth_date": "This looks like a date of birth.",
            "document": "This looks like a passport or ID card number.",
            "phone": "This looks like a phone number.",
            "address": "This looks like a street address.",
        },
        "advice_org": "Describe the organisation's work; its contacts belong in “Email"
        " address”, “Phone” and “Website”.",
        "advice_offer": "Describe the help, not people; your contacts belong in the"
        " organisation's fields above.",
        "hints": {
            "name": "From 2 to 200 characters, with letters or digits.",
            "email": "Type an email address, such as info@example.lv.",
            "phone": "At most 40 characters.",
            "website": "A full address, such as https://example.lv.",
            "description": "At most 5000 characters.",
            "offer:domain": "Choose a working group.",
            "offer:title": "From 2 to 200 characters.",
            "offer:description": "At most 5000 characters.",
            "offer:capacity": "A whole number from 1 to 1 000 000.",
            "offer:unit": "At most 60 characters.",
            "offer:regions": "Choose at least one region.",
            "offer:available_from": "A date, YYYY-MM-DD.",
            "offer:available_until": "A date, YYYY-MM-DD, not before “Available from”.",
        },
    },
}


def _line(what: str, message: str, w: dict) -> str:
    """One of the registry's messages about field `what` as the reader is told it."""
    kind = next((k for k, said in privacy.KINDS.items() if message.startswith(said)), None)
    if kind is not None:
        advice = w["advice_org"] if what == "description" else w["advice_offer"]
        return f"{w['privacy'][kind]} {advice}"
    if message.startswith("Missing data"):
        return w["required"]
    if "invisible characters" in message:
        return w["invisible"]
    return w["hints"].get(what, w["check"])


def explain(what: str, messages: list[str], lang: str) -> list[str]:
    """What to say beside field `what` (`name`, `offer:capacity`), each thing once."""
    said: list[str] = []
    for message in messages:
        line = _line(what, message, REGISTER[lang])
        if line not in said:
            said.append(line)
    return said
