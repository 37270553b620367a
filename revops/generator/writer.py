"""Write frames as landing files into a staging folder, then move them into place."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from revops.contract import BOOL, DATE, INT, TS, Table

from . import fmt

Frame = dict[str, object]
_EXT = {"csv": "csv", "parquet": "parquet", "jsonl": "jsonl"}
# Fixed Parquet options so the same data gives the same bytes.
_PARQUET = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_size": 1 << 20,
}


def arrow_table(table: Table, frame: Frame, parquet: bool = False) -> pa.Table:
    """The contract columns (plus optional ones present in frame), typed per the contract."""
    cols = table.all_columns(present=set(frame))
    offsets = frame.get("_offset")
    arrays = []
    for name, typ in cols.items():
        v = frame[name]
        if typ == TS:
            arr = fmt.ts_utc(v) if parquet else fmt.iso_ts(v, offsets)
        elif typ == DATE:
            arr = fmt.dates(v)
        elif typ.startswith("decimal"):
            arr = fmt.decimal(v, int(typ[8:].split(",")[0]))
        elif typ == INT:
            arr = fmt.ints(v)
        elif typ == BOOL:
            arr = pa.array(np.asarray(v, dtype=bool))
        elif typ == "double":
            arr = fmt.doubles(v)
        else:
            arr = fmt.text(v)
        arrays.append(arr)
    return pa.table(arrays, names=list(cols))


def take(frame: Frame, idx: np.ndarray) -> Frame:
    """Rows idx of every column (numpy or Arrow)."""
    out: Frame = {}
    for k, v in frame.items():
        if isinstance(v, pa.Array | pa.ChunkedArray):
            out[k] = v.take(pa.array(idx, type=pa.int64()))
        else:
            out[k] = np.asarray(v)[idx]
    return out


class Landing:
    """Stages every file under <out>.staging and publishes folder by folder on commit."""

    def __init__(self, out_dir: pathlib.Path, progress: Callable[[str], None]):
        self.out = pathlib.Path(out_dir)
        self.stage = self.out.parent / f".{self.out.name}.staging"
        if self.stage.exists():
            shutil.rmtree(self.stage)
        self.stage.mkdir(parents=True)
        self.progress = progress
        self.stats: dict[str, dict[str, int]] = {}
        self.folders: list[str] = []

    def folder(self, rel: str) -> pathlib.Path:
        path = self.stage / rel
        if rel not in self.folders:
            path.mkdir(parents=True, exist_ok=True)
            self.folders.append(rel)
        return path

    def write(self, table: Table, frame: Frame, part: int = 0) -> None:
        ext = _EXT[table.fmt]
        path = self.folder(f"{table.system}/{table.name}") / f"part-{part:05d}.{ext}"
        tbl = arrow_table(table, frame, parquet=table.fmt == "parquet")
        if table.fmt == "csv":
            write_csv(tbl, path)
        elif table.fmt == "jsonl":
            with open(path, "w", encoding="utf-8", newline="\n") as fh:
                for row in tbl.to_pylist():
                    fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            pq.write_table(tbl, path, row_group_size=1_000_000, **_PARQUET)
        self._count(table.qualified, tbl.num_rows, path)

    def parquet_stream(self, table: Table) -> ParquetStream:
        path = self.folder(f"{table.system}/{table.name}") / "part-00000.parquet"
        return ParquetStream(self, table, path)

    def _count(self, name: str, rows: int, path: pathlib.Path) -> None:
        s = self.stats.setdefault(name, {"rows": 0, "files": 0, "bytes": 0})
        s["rows"] += rows
        s["files"] += 1
        s["bytes"] += path.stat().st_size
        self.progress(f"wrote {name} {path.name}: {rows:,} rows")

    def commit(self) -> None:
        """Replace each written folder of out_dir by its staged version."""
        self.out.mkdir(parents=True, exist_ok=True)
        for rel in sorted(self.folders):
            target = self.out / rel
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.stage / rel, target)
        shutil.rmtree(self.stage)

    def abort(self) -> None:
        shutil.rmtree(self.stage, ignore_errors=True)


class ParquetStream:
    """Append frames of one big table as row groups, holding one chunk in memory."""

    def __init__(self, landing: Landing, table: Table, path: pathlib.Path):
        self.landing, self.table, self.path = landing, table, path
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0

    def write(self, frame: Frame) -> None:
        tbl = arrow_table(self.table, frame, parquet=True)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, tbl.schema, **_PARQUET)
        self.writer.write_table(tbl, row_group_size=tbl.num_rows or 1)
        self.rows += tbl.num_rows
        self.landing.progress(f"{self.table.qualified}: {self.rows:,} rows so far")

    def __enter__(self) -> ParquetStream:
        return self

    def __exit__(self, *exc) -> None:
        if self.writer is None:  # no rows at all: still write a file with the schema
            empty = {c: np.zeros(0, np.int64) for c in self.table.columns}
            for c, typ in self.table.columns.items():
                if typ not in (TS, DATE, INT, BOOL, "double") and not typ.startswith("decimal"):
                    empty[c] = np.array([], dtype=object)
            self.writer = pq.ParquetWriter(
                self.path, arrow_table(self.table, empty, True).schema, **_PARQUET
            )
        self.writer.close()
        if exc[0] is None:
            self.landing._count(self.table.qualified, self.rows, self.path)


def write_csv(tbl: pa.Table, path: pathlib.Path) -> None:
    pacsv.write_csv(tbl, path, pacsv.WriteOptions(quoting_style="needed", batch_size=65_536))


class CsvStream:
    """A CSV file written batch by batch (the identities truth can be tens of millions of rows)."""

    def __init__(self, path: pathlib.Path, schema: pa.Schema):
        self.writer = pacsv.CSVWriter(
            path,
            schema,
            write_options=pacsv.WriteOptions(quoting_style="needed", batch_size=65_536),
        )
        self.schema = schema
        self.rows = 0

    def write(self, tbl: pa.Table) -> None:
        self.writer.write_table(tbl.cast(self.schema))
        self.rows += tbl.num_rows

    def close(self) -> None:
        self.writer.close()
