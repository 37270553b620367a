"""Real-export variations of identifying values, planted after the landing is written.

CRM, marketing, billing and help-desk exports carry e-mails, websites and company names in
forms the generator's clean values never take: display names around addresses, junk in
the website field, free-mail addresses, company names typed differently. Each family below
rewrites some records' identifying columns and leaves the ids (so the truth) unchanged:
the records still belong to the same person and company.

Every company is given one of the selected families (by a hash of its true id), and that
family varies a share of its records, so one data set scores each family on its own
companies and all of them together. Each variant is drawn from a random stream seeded by
the record (or, for a personal address, the address), so the same arguments give the same
files and a record repeated in a later extract gets the same variant.

The variants are built from parts (random edits, lists of forms), not taken from a fixed
list of values, so a resolver cannot pass by knowing the list.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import pathlib
import random
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow.csv as pacsv

# (system, table) -> (id column, {role: column}); roles: email, website, company, first, last
IDENTITY_COLUMNS: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    ("marketing", "leads"): (
        "lead_id",
        {
            "email": "email",
            "website": "company_domain",
            "company": "company_name",
            "first": "first_name",
            "last": "last_name",
        },
    ),
    ("sales", "accounts"): ("account_id", {"website": "website", "company": "account_name"}),
    ("sales", "contacts"): (
        "contact_id",
        {"email": "email", "first": "first_name", "last": "last_name"},
    ),
    ("finance", "customers"): ("customer_id", {"email": "email", "company": "name"}),
    ("success", "tickets"): ("ticket_id", {"email": "requester_email"}),
    ("success", "nps_responses"): ("response_id", {"email": "email"}),
}

Row = dict[str, str | None]

# ------------------------------------------------------------------------ building blocks

_SPACES = ["\u00a0", "\u2007", "\u202f", "\u2009", "\u3000", "\t", "  ", "\u200b"]
_BIG_PROVIDERS = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "icloud.com"]
# free-mail providers as a user meets them: global, regional and ISP mailboxes
_PROVIDERS = [
    *_BIG_PROVIDERS,
    *("googlemail.com", "live.com", "msn.com", "me.com", "proton.me", "protonmail.com"),
    *("yahoo.co.uk", "yahoo.de", "yahoo.fr", "yahoo.es", "yahoo.co.jp", "yahoo.com.br"),
    *("yahoo.co.in", "hotmail.de", "hotmail.es", "hotmail.it", "outlook.de", "live.co.uk"),
    *("comcast.net", "att.net", "verizon.net", "sbcglobal.net", "cox.net", "charter.net"),
    *("btinternet.com", "sky.com", "virginmedia.com", "talktalk.net", "ntlworld.com"),
    *("gmx.de", "gmx.at", "web.de", "t-online.de", "freenet.de", "orange.fr", "wanadoo.fr"),
    *("free.fr", "sfr.fr", "laposte.net", "libero.it", "virgilio.it", "tiscali.it"),
    *("terra.com.br", "uol.com.br", "bol.com.br", "bigpond.com", "optusnet.com.au"),
    *("shaw.ca", "rogers.com", "sympatico.ca", "seznam.cz", "wp.pl", "o2.pl", "onet.pl"),
    *("mail.ru", "yandex.ru", "rambler.ru", "qq.com", "163.com", "126.com", "sina.com"),
    *("naver.com", "hanmail.net", "rediffmail.com", "zoho.com", "mail.com", "gmx.com"),
    *("fastmail.com", "hey.com", "tutanota.com", "pm.me", "ziggo.nl", "telenet.be"),
]
_SOCIAL = [
    "linkedin.com/company/{slug}",
    "www.linkedin.com/company/{slug}/about/",
    "uk.linkedin.com/company/{slug}",
    "twitter.com/{slug}",
    "x.com/{slug}",
    "facebook.com/{slug}",
    "m.facebook.com/pages/{slug}",
    "instagram.com/{slug}",
    "youtube.com/@{slug}",
    "bit.ly/{token}",
    "lnkd.in/{token}",
    "goo.gl/{token}",
    "linktr.ee/{slug}",
    "tinyurl.com/{token}",
    "crunchbase.com/organization/{slug}",
    "medium.com/@{slug}",
    "github.com/{slug}",
]
_PLACEHOLDERS = [
    *("n/a", "N/A", "N.A.", "na", "none", "None", "-", "--", ".", "?", "tbd", "TBD"),
    *("unknown", "www.", "http://", "https://", "www", "null", "NULL", "no website"),
    *("example.com", "www.example.com", "test.com", "website.com", "none.com"),
    *("company.com", "domain.com", "noemail.com", "nowebsite.com", "abc.com", "xxx.com"),
]
_LEGAL_FORMS = [
    *("Inc.", "Inc", "LLC", "Ltd", "Ltd.", "Limited", "Corp.", "Corporation", "GmbH"),
    *("AG", "S.A.", "SA", "S.A.S.", "SARL", "B.V.", "BV", "N.V.", "S.L.", "S.r.l."),
    *("S.p.A.", "AB", "AS", "A/S", "Oy", "Pty Ltd", "Pty. Ltd.", "Pvt. Ltd.", "PLC"),
    *("K.K.", "Ltda.", "S.A. de C.V.", "KG", "GmbH & Co. KG", "sp. z o.o.", "ApS", "Co."),
]
_ACCENTS = {"a": "áàâä", "e": "éèêë", "i": "íïî", "o": "óöô", "u": "úüû", "n": "ñ", "c": "ç"}
_NICKNAMES = {
    "Katherine": "Kathy",
    "Kathleen": "Kathy",
    "Elizabeth": "Liz",
    "William": "Bill",
    "Robert": "Bob",
    "James": "Jim",
    "Michael": "Mike",
    "Daniel": "Dan",
    "Jennifer": "Jen",
    "Christopher": "Chris",
    "Alexander": "Alex",
    "Matthew": "Matt",
    "Benjamin": "Ben",
    "Samantha": "Sam",
    "Thomas": "Tom",
    "Joseph": "Joe",
    "Jessica": "Jess",
    "Nicholas": "Nick",
    "Anthony": "Tony",
    "Margaret": "Maggie",
}
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _typo(rng: random.Random, word: str) -> str:
    """One random edit: a letter dropped, doubled, swapped with the next, or replaced."""
    if len(word) < 3:
        return word + rng.choice(_LETTERS)
    i = rng.randrange(1, len(word) - 1)
    edit = rng.randrange(4)
    if edit == 0:
        return word[:i] + word[i + 1 :]
    if edit == 1:
        return word[:i] + word[i] + word[i:]
    if edit == 2:
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    return word[:i] + rng.choice(_LETTERS) + word[i + 1 :]


def _typo_provider(rng: random.Random) -> str:
    """A big provider's domain typed with one or two slips (gmial.com, hotmal.com)."""
    name, _, tld = rng.choice(_BIG_PROVIDERS).partition(".")
    for _ in range(rng.choice((1, 1, 2))):
        name = _typo(rng, name)
    return f"{name}.{tld}"


def _personal_address(rng: random.Random, first: str, last: str) -> str:
    f, la = first.lower() or "user", last.lower() or "mail"
    local = rng.choice(
        [f"{f}.{la}", f"{f}{la}", f"{f[0]}{la}", f"{f}_{la}", f"{la}.{f}", f"{f}{la[0]}"]
    )
    if rng.random() < 0.5:
        local += str(rng.randrange(1, 2000))
    provider = _typo_provider(rng) if rng.random() < 0.2 else rng.choice(_PROVIDERS)
    return f"{local}@{provider}"


def _slug(value: str | None) -> str:
    return "".join(ch for ch in (value or "company").lower() if ch.isalnum()) or "company"


def _split_email(email: str) -> tuple[str, str]:
    local, _, domain = email.rpartition("@")
    return local, domain


def _names_from(row: Row, email: str) -> tuple[str, str]:
    """A person's first and last name, from the record or else the address."""
    first, last = row.get("first") or "", row.get("last") or ""
    if not first:
        local = _split_email(email)[0]
        parts = local.replace("_", ".").split(".")
        first = parts[0].capitalize()
        last = last or (parts[1].capitalize() if len(parts) > 1 else "")
    return first, last


def _accented(rng: random.Random, text: str) -> str:
    spots = [i for i, ch in enumerate(text) if ch.lower() in _ACCENTS]
    if not spots:
        return text
    i = rng.choice(spots)
    ch = rng.choice(_ACCENTS[text[i].lower()])
    return text[:i] + (ch.upper() if text[i].isupper() else ch) + text[i + 1 :]


def _company_variant(rng: random.Random, name: str) -> str:
    """The same company typed differently: "The ...", accents, a typo, '&'/'and', a
    legal form added or replaced, another case, stray punctuation."""
    words = name.split()
    core = [w for w in words if w.strip(".,").lower() not in {x.lower() for x in _LEGAL_FORMS}]
    core = core or words
    steps = rng.sample(range(6), rng.choice((1, 2)))
    for step in steps:
        if step == 0:
            core = ["The", *core] if rng.random() < 0.7 else [*core, "(The)"]
        elif step == 1:
            i = rng.randrange(len(core))
            core[i] = _accented(rng, core[i])
        elif step == 2:
            i = max(range(len(core)), key=lambda k: len(core[k]))
            core[i] = _typo(rng, core[i]) if len(core[i]) >= 6 else core[i]
        elif step == 3:
            core = [*core, rng.choice(["& Co.", "and Company", "+ Co", "& Co"])]
        elif step == 4:
            core = [w.upper() if rng.random() < 0.5 else w.lower() for w in core]
        else:
            core = [*core[:-1], core[-1] + rng.choice([",", ".", " -"])]
    suffix = rng.choice(_LEGAL_FORMS) if rng.random() < 0.6 else ""
    return " ".join([*core, suffix]).strip()


# ------------------------------------------------------------------------ the families


def _email_formats(rng: random.Random, row: Row) -> Row:
    email = row.get("email")
    if not email:
        return {}
    first, last = _names_from(row, email)
    form = rng.randrange(8)
    if form == 0:
        out = f'"{last}, {first}" <{email}>'
    elif form == 1:
        out = f"{first} {last} <{email}>"
    elif form == 2:
        out = f"<{email}>"
    elif form == 3:
        out = rng.choice(["mailto:", "MAILTO:", "mailto: "]) + email
    elif form == 4:
        out = email + rng.choice([".", ";", ",", ".;", " ;"])
    elif form == 5:
        out = rng.choice(_SPACES) + email + rng.choice(_SPACES)
    elif form == 6:
        out = f"{first} {last} [{email}]"
    else:
        out = f"{email.upper()};"
    return {"email": out}


def _website_formats(rng: random.Random, row: Row) -> Row:
    site = row.get("website")
    if not site:
        return {}
    host = site.lower().removeprefix("https://").removeprefix("http://").removeprefix("www.")
    host = host.split("/")[0]
    form = rng.randrange(8)
    if form == 0:
        out = site.upper()
    elif form == 1:
        out = host + "."
    elif form == 2:
        path = rng.choice(["about", "en-us/contact", "products/", "index.html", "?utm=crm"])
        out = f"{rng.choice(['https://', 'http://', ''])}www.{host}/{path}"
    elif form == 3:
        out = f"{rng.choice(['de', 'uk', 'fr', 'shop', 'app', 'eu'])}.{host}"
    elif form == 4:
        out = f"https://{host}:443/{rng.choice(['de', 'en-gb', 'fr-fr'])}/"
    elif form == 5:
        out = f" WWW.{host.upper()}. "
    elif form == 6:
        out = f"http://www.{host}/#home"
    else:
        out = f"{host}/,"
    return {"website": out}


def _website_junk(rng: random.Random, row: Row) -> Row:
    if "website" not in row:
        return {}
    kind = rng.randrange(3)
    if kind == 0:
        template = rng.choice(_SOCIAL)
        token = "".join(rng.choice(_LETTERS + "0123456789") for _ in range(7))
        out = template.format(slug=_slug(row.get("company")), token=token)
        out = rng.choice(["https://", "http://", ""]) + out
    elif kind == 1:
        out = rng.choice(_PLACEHOLDERS)
    else:
        domain = _typo_provider(rng) if rng.random() < 0.3 else rng.choice(_PROVIDERS)
        out = rng.choice(["", "www.", "https://www."]) + domain
    return {"website": out}


def _free_mail(rng: random.Random, row: Row) -> Row:
    email = row.get("email")
    if not email:
        return {}
    # a person's personal address is the same wherever it appears: seeded by the address
    person = random.Random(f"free_mail|{email.lower()}")
    return {"email": _personal_address(person, *_names_from(row, email))}


def _name_only(rng: random.Random, row: Row) -> Row:
    """A lead known by its company's name only, typed another way."""
    if not row.get("company") or "first" not in row:
        return {}
    out: Row = {"company": _company_variant(rng, row["company"] or "")}
    if "email" in row:
        out["email"] = None
    if "website" in row:
        out["website"] = None
    return out


def _name_only_free_mail(rng: random.Random, row: Row) -> Row:
    if not row.get("company") or "first" not in row:
        return {}
    out = _name_only(rng, row)
    if row.get("email"):
        out["email"] = _free_mail(rng, row)["email"]
    return out


def _address_variants(rng: random.Random, row: Row) -> Row:
    email = row.get("email")
    if not email:
        return {}
    local, domain = _split_email(email)
    first, last = _names_from(row, email)
    kind = rng.randrange(4)
    if kind == 0:  # an alias of the same mailbox
        f, la = first.lower() or local, last.lower() or local
        local = rng.choice([f"{f[0]}.{la}", f"{f}", f"{la}.{f}", f"{f}{la}", f"{f[0]}{la}"])
    elif kind == 1:
        domain = f"{rng.choice(['eu', 'us', 'corp', 'mail', 'sales', 'emea'])}.{domain}"
    elif kind == 2:
        label, _, suffix = domain.partition(".")
        domain = f"{_typo(rng, label)}.{suffix}"
    else:
        label, _, suffix = domain.partition(".")
        domain = f"{label}.{rng.choice([s for s in ('com', 'io', 'net', 'co') if s != suffix])}"
    return {"email": f"{local}@{domain}"}


def _trailing_dot(rng: random.Random, row: Row) -> Row:
    email = row.get("email")
    return {"email": email + "."} if email else {}


def _blank_email_and_name_variants(rng: random.Random, row: Row) -> Row:
    out: Row = {}
    if row.get("email") and ("first" in row) and rng.random() < 0.7:
        out["email"] = rng.choice([None, "", " "])
    first, last = row.get("first"), row.get("last")
    if first and last:
        kind = rng.randrange(4)
        if kind == 0 and first in _NICKNAMES:
            out["first"] = _NICKNAMES[first]
        elif kind == 1:
            out["first"] = f"{first} {rng.choice(_LETTERS).upper()}."
        elif kind == 2:
            out["first"], out["last"] = first.upper(), last.upper()
        else:
            out["first"] = _accented(rng, first)
    return out


@dataclass(frozen=True)
class Family:
    rate: float  # share of a family's companies' records it varies
    vary: Callable[[random.Random, Row], Row]
    example: str


FAMILIES: dict[str, Family] = {
    "email_formats": Family(0.15, _email_formats, '"Carter, Ava" <ava@x.com>, mailto:, x.com;'),
    "website_formats": Family(0.15, _website_formats, "ACME.IO, acme.io., paths, de.acme.io"),
    "website_junk": Family(0.15, _website_junk, "LinkedIn/X URLs, n/a, gmail.com as website"),
    "free_mail": Family(0.15, _free_mail, "ava.carter12@btinternet.com, gmial.com"),
    "name_only": Family(0.15, _name_only, "leads with no e-mail or website; The Acme & Co GmbH"),
    "name_only_free_mail": Family(0.15, _name_only_free_mail, "the same leads with free-mail"),
    "address_variants": Family(0.15, _address_variants, "alias, eu.acme.io, acme.cm, acme.io"),
    "trailing_dot": Family(0.01, _trailing_dot, "ava@acme.io."),
    "blank_email_and_name_variants": Family(
        0.2, _blank_email_and_name_variants, "blank e-mail, Kathy, middle initial"
    ),
}


def parse_families(spec: str | None) -> list[str]:
    """'all', 'none' (or empty) or a comma-separated list of family names."""
    spec = (spec or "none").strip()
    if spec == "none" or not spec:
        return []
    if spec == "all":
        return list(FAMILIES)
    names = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = sorted(set(names) - set(FAMILIES))
    if unknown:
        raise ValueError(
            f"unknown identity variation families {unknown}: use all, none or some of "
            f"{', '.join(FAMILIES)}"
        )
    return names


def _bucket(*parts: object) -> float:
    """A number in [0, 1) fixed by parts."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def company_family(families: list[str], seed: int, company: str) -> str:
    return families[int(_bucket(seed, "family", company) * len(families))]


# ------------------------------------------------------------------------ files


def _vary_csv(path: pathlib.Path, id_column: str, roles: dict[str, str], choose) -> int:
    """Rewrite the identifying columns of the rows `choose` varies; the rest byte for byte."""
    text = path.read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    position = {name: i for i, name in enumerate(header)}
    lines = [line + "\n" for line in text.split("\n")[:-1]]
    out = [lines[0]]
    varied = 0
    for line, fields in zip(lines[1:], reader, strict=True):
        raw = {role: fields[position[col]] for role, col in roles.items()}
        row: Row = {role: (value if value != "" else None) for role, value in raw.items()}
        changes = choose(fields[position[id_column]], row)
        if not changes:
            out.append(line)
            continue
        varied += 1
        quoted = _quoted_flags(line)
        for role, value in changes.items():
            i = position[roles[role]]
            fields[i], quoted[i] = value, True
        # as the writer quotes: text quoted (so '' stays ""), a null and a number bare
        cells = [
            "" if value is None else '"' + value.replace('"', '""') + '"' if q else value
            for value, q in zip(fields, quoted, strict=True)
        ]
        out.append(",".join(cells) + "\n")
    path.write_text("".join(out), encoding="utf-8")
    return varied


def _quoted_flags(line: str) -> list[bool]:
    flags, in_quotes, start = [], False, True
    for ch in line.rstrip("\r\n"):
        if start:
            flags.append(ch == '"')
            start = False
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == "," and not in_quotes:
            start = True
    if start:
        flags.append(False)
    return flags


def plant(stage: pathlib.Path, families: list[str], seed: int) -> dict[str, int]:
    """Vary the identity tables written under `stage` (a landing folder with _truth) and
    write _truth/identity_variations.csv (record -> family). Returns records per family."""
    if not families:
        return {}
    truth = pacsv.read_csv(stage / "_truth" / "identities.csv").to_pylist()
    company_of = {
        (r["source_system"], r["source_table"], str(r["source_record_id"])): r["true_company_id"]
        for r in truth
    }
    planted: list[tuple[str, str, str, str]] = []
    counts = dict.fromkeys(families, 0)
    for (system, table), (id_column, roles) in IDENTITY_COLUMNS.items():
        folder = stage / system / table
        seen: set[str] = set()

        def choose(record_id: str, row: Row, system=system, table=table, seen=seen) -> Row:
            company = company_of.get((system, table, record_id))
            if not company or company == "internal":
                return {}
            family = company_family(families, seed, company)
            spec = FAMILIES[family]
            if _bucket(seed, family, system, table, record_id) >= spec.rate:
                return {}
            changes = spec.vary(random.Random(f"{seed}|{family}|{table}|{record_id}"), row)
            if changes and record_id not in seen:
                seen.add(record_id)
                planted.append((system, table, record_id, family))
                counts[family] += 1
            return changes

        for path in sorted(folder.glob("part-*")):
            if path.suffix == ".jsonl":
                _vary_jsonl(path, id_column, roles, choose)
            else:
                _vary_csv(path, id_column, roles, choose)
    with open(stage / "_truth" / "identity_variations.csv", "w", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(["source_system", "source_table", "source_record_id", "family"])
        writer.writerows(sorted(planted))
    return counts


def _vary_jsonl(path: pathlib.Path, id_column: str, roles: dict[str, str], choose) -> int:
    lines = [line + "\n" for line in path.read_text(encoding="utf-8").split("\n")[:-1]]
    varied = 0
    for n, line in enumerate(lines):
        record = json.loads(line)
        row: Row = {role: record.get(col) for role, col in roles.items()}
        changes = choose(str(record[id_column]), row)
        if changes:
            varied += 1
            for role, value in changes.items():
                record[roles[role]] = value
            lines[n] = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return varied
