"""Names: companies, people, emails, titles. Vectorised over numpy string arrays."""

from __future__ import annotations

import numpy as np


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_A = _words(
    "Nor Blu Vel Ast Cor Zen Lum Kin Tar Hal Mer Pax Qui Riv Sol Tri Ver Wyn Xan Yor Bri Cal "
    "Dar Ely Fen Gal Hel Ira Jun Kel Lin Mar Nov Ori Pel Ral Sen Tor Ulm Val Wes Bel Cen Dor "
    "Est Fal Gor Har Isl Jar Kal Lor Mon Nex Opt Pri Rho Sky Tal Zor"
)
_B = _words(
    "wind peak ora ix ara ent ova ion ex ia ano era ium ley ton gate field stone bridge ridge "
    "brook wood line path point port crest forge mark way light spire vale haven core byte "
    "loop grid sync flow scale base well mont dale ford helm rock star shore view lake nest "
    "side land wave beam cast mere tide"
)
_C = _words("_ a o is us ly io en ar ia on ex um el ix or ai yn et al")
SECTORS = _words(
    "Analytics Logistics Systems Labs Software Health Energy Capital Foods Robotics Security "
    "Media Networks Partners Solutions Technologies Retail Dynamics Industries Consulting Bio "
    "Cloud Data Digital Finance Freight Games Insights Learning Manufacturing Marine Motors "
    "Pharma Power Realty Studios Telecom Travel Ventures Works Apparel Aerospace Agritech "
    "Brands Chemicals Devices Education Legal Logic Materials"
)
INDUSTRIES = (
    "software",
    "fintech",
    "healthcare",
    "manufacturing",
    "retail",
    "education",
    "media",
    "logistics",
    "professional_services",
    "energy",
)
_SECTOR_INDUSTRY = {
    "Analytics": 0,
    "Logistics": 7,
    "Systems": 0,
    "Labs": 0,
    "Software": 0,
    "Health": 2,
    "Energy": 9,
    "Capital": 1,
    "Foods": 4,
    "Robotics": 3,
    "Security": 0,
    "Media": 6,
    "Networks": 0,
    "Partners": 8,
    "Solutions": 8,
    "Technologies": 0,
    "Retail": 4,
    "Dynamics": 3,
    "Industries": 3,
    "Consulting": 8,
    "Bio": 2,
    "Cloud": 0,
    "Data": 0,
    "Digital": 6,
    "Finance": 1,
    "Freight": 7,
    "Games": 6,
    "Insights": 8,
    "Learning": 5,
    "Manufacturing": 3,
    "Marine": 7,
    "Motors": 3,
    "Pharma": 2,
    "Power": 9,
    "Realty": 1,
    "Studios": 6,
    "Telecom": 0,
    "Travel": 4,
    "Ventures": 1,
    "Works": 3,
    "Apparel": 4,
    "Aerospace": 3,
    "Agritech": 9,
    "Brands": 4,
    "Chemicals": 3,
    "Devices": 2,
    "Education": 5,
    "Legal": 8,
    "Logic": 0,
    "Materials": 3,
}
FIRST = _words(
    "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa "
    "Anthony Betty Mark Sandra Paul Ashley Steven Emily Andrew Donna Joshua Michelle Kevin "
    "Carol Brian Amanda George Melissa Timothy Deborah Ryan Laura Jacob Rebecca Gary Sharon "
    "Nicholas Cynthia Eric Kathleen Jonathan Amy Stephen Angela Larry Anna Justin Ruth Scott "
    "Brenda Frank Pamela Raymond Nicole Gregory Katherine Samuel Samantha Lukas Sophie Jonas "
    "Lea Felix Emma Louis Chloe Hugo Camille Arjun Priya Rahul Ananya Vikram Kavya Hiroshi "
    "Yuki Kenji Aiko Liam Olivia Noah Ava Oliver Isla Mateo Sofia Lucas Valentina Erik Astrid "
    "Lars Ingrid Pablo Lucia Diego Carmen Wei Mei Chen Lin Aarav Diya Tom Grace Jack Freya "
    "Harry Ella Finn Maya Leon Nora"
)
LAST = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "Roberts Mueller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann "
    "Dubois Durand Lefebvre Moreau Laurent Simon Michel Garnier Sharma Patel Gupta Singh "
    "Kumar Reddy Iyer Nair Tanaka Suzuki Takahashi Watanabe Ito Yamamoto Nakamura Kobayashi "
    "Murphy Kelly OBrien Walsh Byrne Ryan Jansen DeVries Bakker Visser Smit Andersson "
    "Johansson Karlsson Nilsson Eriksson Larsson Silva Santos Oliveira Souza Costa Pereira "
    "Rossi Russo Ferrari Esposito Bianchi Romano Evans Hughes Edwards Collins Stewart Morris "
    "Murray Cooper Reed Cook Morgan Bell Bailey Parker Howard Ward Cox Richardson Wood Watson "
    "Brooks Bennett Gray James Price Kim Park Choi Zhang Wang Liu Chen Yang Huang Zhao Wu "
    "Zhou Xu Sun Ma"
)
TITLES = np.array(
    [
        "CEO",
        "CTO",
        "CFO",
        "COO",
        "VP Sales",
        "VP Marketing",
        "VP Engineering",
        "Head of Operations",
        "Head of Data",
        "Director of IT",
        "Engineering Manager",
        "Product Manager",
        "Operations Manager",
        "Data Analyst",
        "Software Engineer",
        "Marketing Manager",
        "Sales Manager",
        "Finance Manager",
        "IT Administrator",
        "Customer Success Manager",
        "Procurement Specialist",
        "RevOps Analyst",
    ]
)


def company_names(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """n companies with unique (stem, sector): 'Velora Analytics' and domain veloraanalytics.com.

    Distinct companies may share a stem ('Velora Logistics'): look-alikes a resolver must
    keep apart, as in real data.
    """
    a, b, c, s = len(_A), len(_B), len(_C), len(SECTORS)
    capacity = a * b * c * s
    if n > capacity:
        raise ValueError(f"at most {capacity:,} companies")
    codes = rng.choice(capacity, size=min(capacity, int(n * 1.15) + 16), replace=False)
    # Different syllable splits can spell the same word: keep the first of each spelling.
    stem_code, sector = np.divmod(codes, s)
    ia, rest = np.divmod(stem_code, b * c)
    ib, ic = np.divmod(rest, c)
    tail = np.strings.replace(np.array(_C)[ic], "_", "")
    stems_all = np.strings.add(np.strings.add(np.array(_A)[ia], np.array(_B)[ib]), tail)
    key = np.strings.add(np.strings.add(stems_all, "|"), np.array(SECTORS)[sector])
    _, first = np.unique(key, return_index=True)
    keep = np.sort(first)[:n]
    if len(keep) < n:
        raise ValueError("not enough distinct company names")
    stem, sector = stems_all[keep], sector[keep]
    sector_name = np.array(SECTORS)[sector]
    return {
        "stem": stem,
        "sector": sector_name,
        "name": np.strings.add(np.strings.add(stem, " "), sector_name),
        "industry": np.array(INDUSTRIES)[np.array([_SECTOR_INDUSTRY[x] for x in SECTORS])[sector]],
    }


def domains(
    rng: np.random.Generator, stem: np.ndarray, sector: np.ndarray, tld: np.ndarray
) -> np.ndarray:
    """Unique per (stem, sector); the style varies (joined, hyphenated, country TLD)."""
    st, se = np.strings.lower(stem), np.strings.lower(sector)
    style = rng.integers(0, 4, len(stem))
    joined = np.strings.add(st, se)
    hyphen = np.strings.add(np.strings.add(st, "-"), se)
    base = np.where(style % 2 == 0, joined, hyphen)
    suffix = np.where(
        style == 0, ".com", np.where(style == 1, ".co", np.where(style == 2, ".io", tld))
    )
    return np.strings.add(base, suffix)


def person_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.array(FIRST)[rng.integers(0, len(FIRST), n)],
        np.array(LAST)[rng.integers(0, len(LAST), n)],
    )


def work_emails(
    rng: np.random.Generator, first: np.ndarray, last: np.ndarray, domain: np.ndarray
) -> np.ndarray:
    """first.last@domain (or flast@ / first@), made unique with a digit where needed."""
    f, la = np.strings.lower(first), np.strings.lower(last)
    style = rng.choice(3, size=len(first), p=[0.7, 0.2, 0.1])
    local = np.where(
        style == 0,
        np.strings.add(np.strings.add(f, "."), la),
        np.where(style == 1, np.strings.add(np.strings.slice(f, 0, 1), la), f),
    )
    email = np.strings.add(np.strings.add(local, "@"), domain)
    # the n-th holder of an address (n >= 2) gets local part + n; generated local parts
    # never end in a digit, so the numbered ones cannot collide with anybody
    order = np.argsort(email, kind="stable")
    sorted_email = email[order]
    new_group = np.r_[True, sorted_email[1:] != sorted_email[:-1]]
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(len(order)), 0))
    nth = np.empty(len(order), np.int64)
    nth[order] = np.arange(len(order)) - group_start
    fix = nth > 0
    if fix.any():
        numbered = np.strings.add(np.strings.add(local[fix], (nth[fix] + 1).astype(str)), "@")
        email = email.astype(np.dtypes.StringDType())
        email[fix] = np.strings.add(numbered, domain[fix])
    return email


def titles(rng: np.random.Generator, n: int) -> np.ndarray:
    return TITLES[rng.integers(0, len(TITLES), n)]
