"""Ground truth (identities, planted messes, leakage) and the generic export messes."""

from __future__ import annotations

import pathlib

import numpy as np
import pyarrow as pa

from revops.contract import Table

from .config import NULL, Ctx
from .writer import CsvStream, Frame, Landing, take, write_csv

OFFSETS = np.array([60, -300, 330, 120, -480, 540, 600, -180, 480])
_ID_SCHEMA = pa.schema(
    [
        (c, pa.string())
        for c in (
            "source_system",
            "source_table",
            "source_record_id",
            "true_person_id",
            "true_company_id",
        )
    ]
)


class Truth:
    """Collects _truth/*: identities stream straight to disk, messes and leakage at the end."""

    def __init__(self, landing: Landing):
        self.dir: pathlib.Path = landing.folder("_truth")
        self.identities = CsvStream(self.dir / "identities.csv", _ID_SCHEMA)
        self.messes: list[pa.Table] = []
        self.leakage: list[pa.Table] = []

    def identity(self, table: Table, ids, person: np.ndarray, company: np.ndarray) -> None:
        n = len(ids)
        self.identities.write(
            pa.table(
                {
                    "source_system": pa.array(np.full(n, table.system)),
                    "source_table": pa.array(np.full(n, table.name)),
                    "source_record_id": pa.array(ids).cast(pa.string()),
                    "true_person_id": pa.array(person, type=pa.string()),
                    "true_company_id": pa.array(company, type=pa.string()),
                }
            )
        )

    def mess(self, kind: str, table: Table, ids, detail) -> None:
        n = len(ids)
        if n == 0:
            return
        self.messes.append(
            pa.table(
                {
                    "mess_type": pa.array(np.full(n, kind)),
                    "source_system": pa.array(np.full(n, table.system)),
                    "source_table": pa.array(np.full(n, table.name)),
                    "source_record_id": pa.array(ids).cast(pa.string()),
                    "detail": pa.array(
                        np.broadcast_to(np.asarray(detail, dtype=object), (n,)), type=pa.string()
                    ),
                }
            )
        )

    def leak(self, kind: str, table: Table, ids) -> None:
        n = len(ids)
        if n == 0:
            return
        self.leakage.append(
            pa.table(
                {
                    "finding_type": pa.array(np.full(n, kind)),
                    "source_system": pa.array(np.full(n, table.system)),
                    "source_table": pa.array(np.full(n, table.name)),
                    "source_record_id": pa.array(ids).cast(pa.string()),
                }
            )
        )

    def close(self) -> dict[str, int]:
        self.identities.close()
        counts = {"identities": self.identities.rows}
        for name, parts, cols in (
            (
                "messes",
                self.messes,
                ("mess_type", "source_system", "source_table", "source_record_id", "detail"),
            ),
            (
                "leakage",
                self.leakage,
                ("finding_type", "source_system", "source_table", "source_record_id"),
            ),
        ):
            tbl = (
                pa.concat_tables(parts)
                if parts
                else pa.table({c: pa.array([], pa.string()) for c in cols})
            )
            write_csv(tbl, self.dir / f"{name}.csv")
            counts[name] = tbl.num_rows
        return counts


def email_variant(
    rng: np.random.Generator,
    email: np.ndarray,
    kind: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    person: np.ndarray,
) -> np.ndarray:
    """0 as is, 1 case, 2 whitespace, 3 plus-addressing, 4 mail. subdomain, 5 personal.

    Variants are built for the changed rows only: millions of fixed-width strings are costly.
    """
    idx = np.flatnonzero(kind != 0)
    if len(idx) == 0:
        return email
    e, k = email[idx], kind[idx]
    at = np.strings.find(e, "@")
    local, domain = np.strings.slice(e, 0, at), np.strings.slice(e, at + 1, None)
    coin = rng.random(len(idx)) < 0.5
    cased = np.where(
        coin,
        np.strings.upper(e),
        np.strings.add(np.strings.upper(np.strings.slice(e, 0, 1)), np.strings.slice(e, 1, None)),
    )
    spaced = np.strings.add(np.strings.add(" ", e), np.where(coin, " ", ""))
    plus = np.strings.add(np.strings.add(local, "+crm@"), domain)
    sub = np.strings.add(np.strings.add(local, "@mail."), domain)
    personal = np.strings.add(
        np.strings.add(
            np.strings.add(
                np.strings.add(np.strings.lower(first[idx]), "."), np.strings.lower(last[idx])
            ),
            ".",
        ),
        np.strings.add(person[idx].astype(str), "@gmail.com"),
    )
    changed = np.select(
        [k == 1, k == 2, k == 3, k == 4, k == 5], [cased, spaced, plus, sub, personal], e
    )
    out = email.astype(np.result_type(email, changed))
    out[idx] = changed
    return out


def plant_offsets(
    ctx: Ctx, truth: Truth, table: Table, frame: Frame, ids, local_offset: np.ndarray | None = None
) -> None:
    """Write a share of rows in another UTC offset (same instant)."""
    rng = ctx.rng(f"offsets/{table.qualified}")
    n = len(ids)
    pick = rng.random(n) < ctx.rate("timestamp_offset")
    off = OFFSETS[rng.integers(0, len(OFFSETS), n)]
    if local_offset is not None:  # systems often write the customer's local time
        off = np.where((rng.random(n) < 0.5) & (local_offset != 0), local_offset, off)
    frame["_offset"] = np.where(pick, off, 0)
    idx = np.flatnonzero(pick)
    truth.mess(
        "timestamp_offset",
        table,
        pa.array(ids).take(pa.array(idx)),
        np.array([f"written with UTC offset {m:+d} min" for m in off[idx]], dtype=object)
        if len(idx)
        else [],
    )


def write_with_later(
    ctx: Ctx,
    landing: Landing,
    truth: Truth,
    table: Table,
    frame: Frame,
    ids,
    eligible: np.ndarray,
    older: Frame,
    detail: str,
) -> None:
    """part-00000 holds an older version of some keys, part-00001 their current version.

    `older` gives, for every row, the values the earlier extract saw (only the eligible
    rows chosen are used); their updated_at must be before the current one.
    """
    rng = ctx.rng(f"later/{table.qualified}")
    pick = eligible & (rng.random(len(eligible)) < ctx.rate("later_extract"))
    idx = np.flatnonzero(pick)
    first = dict(frame)
    for col, old in older.items():
        cur = frame[col]
        if isinstance(cur, pa.Array | pa.ChunkedArray):
            first[col] = pa.array(
                np.where(
                    pick, np.asarray(old, dtype=object), np.asarray(cur.to_pylist(), dtype=object)
                )
            )
        else:
            first[col] = np.where(pick, old, cur)
    landing.write(table, first, part=0)
    if len(idx):
        landing.write(table, take(frame, idx), part=1)
        truth.mess("later_extract", table, pa.array(ids).take(pa.array(idx)), detail)


def null_if(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.asarray(values, dtype=object).copy()
    out[mask] = None
    return out


def ts_or_null(ok: np.ndarray, ts: np.ndarray) -> np.ndarray:
    return np.where(ok, ts, NULL)
