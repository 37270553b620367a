"""Deterministic synthetic exports of a B2B SaaS company's four systems, with ground truth.

from revops.generator import generate
summary = generate(pathlib.Path("data/landing"), scale="s", seed=42)
"""

from .config import DEFAULT_MESS_RATES, LEAKAGE_KINDS, SCALES
from .run import generate

__all__ = ["DEFAULT_MESS_RATES", "LEAKAGE_KINDS", "SCALES", "generate"]
