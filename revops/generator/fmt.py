"""Turn the generator's internal arrays into typed Arrow columns.

Internally every module uses plain numpy: timestamps are int64 UTC seconds, dates int
days since 1970-01-01, money int64 cents (decimal(9,4) columns hundredths), NULL is
the int64 minimum, doubles use NaN, text is any array pyarrow accepts (None = null).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .config import NULL


def idstr(prefix: str, ints: np.ndarray, width: int) -> pa.Array:
    """Zero-padded ids like ACC-000123; negative ints become null."""
    ints = np.asarray(ints, dtype=np.int64)
    mask = ints < 0
    digits = pc.utf8_lpad(pa.array(np.where(mask, 0, ints)).cast(pa.string()), width, "0")
    out = pc.binary_join_element_wise(pa.scalar(prefix), digits, "")
    return pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), out) if mask.any() else out


def iso_ts(ts: np.ndarray, offset_min: np.ndarray | None = None) -> pa.Array:
    """ISO-8601 text with a UTC offset; the instant is the same whatever the offset."""
    ts = np.asarray(ts, dtype=np.int64)
    mask = ts == NULL
    off = np.zeros(len(ts), np.int64) if offset_min is None else np.asarray(offset_min, np.int64)
    local = np.where(mask, 0, ts + off * 60).astype("datetime64[s]")
    body = np.datetime_as_string(local, unit="s")
    uniq, inv = np.unique(off, return_inverse=True)
    suffixes = np.array([_offset_text(int(m)) for m in uniq])
    text = np.strings.add(body, suffixes[inv])
    return pa.array(text, type=pa.string(), mask=mask)


def _offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h:02d}:{m:02d}"


def ts_utc(ts: np.ndarray) -> pa.Array:
    """timestamp[us, tz=UTC] for Parquet files."""
    ts = np.asarray(ts, dtype=np.int64)
    mask = ts == NULL
    return pa.array(np.where(mask, 0, ts) * 1_000_000, type=pa.timestamp("us", tz="UTC"), mask=mask)


def dates(days: np.ndarray) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    mask = days == NULL
    return pa.array(np.where(mask, 0, days).astype(np.int32), type=pa.int32(), mask=mask).cast(
        pa.date32()
    )


def decimal(hundredths: np.ndarray, precision: int = 18) -> pa.Array:
    """Exact 2-place decimals built from integer hundredths (no float rounding)."""
    v = np.asarray(hundredths, dtype=np.int64)
    mask = v == NULL
    v = np.where(mask, 0, v)
    buf = np.empty(len(v) * 2, dtype=np.int64)
    buf[0::2] = v
    buf[1::2] = np.where(v < 0, -1, 0)  # two's complement high word of the int128
    validity = pa.array(~mask).buffers()[1] if mask.any() else None
    return pa.Array.from_buffers(
        pa.decimal128(precision, 2), len(v), [validity, pa.py_buffer(buf.tobytes())], null_count=-1
    )


def ints(values: np.ndarray) -> pa.Array:
    v = np.asarray(values, dtype=np.int64)
    mask = v == NULL
    return pa.array(np.where(mask, 0, v), type=pa.int64(), mask=mask)


def doubles(values: np.ndarray) -> pa.Array:
    v = np.asarray(values, dtype=np.float64)
    return pa.array(v, type=pa.float64(), mask=np.isnan(v))


def text(values) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values.cast(pa.string())
    return pa.array(values, type=pa.string())


def to_cents(amount: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(amount, dtype=np.float64) * 100).astype(np.int64)
