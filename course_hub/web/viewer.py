"""The dataset viewer: a page of rows of one config and split, read from the repo's Parquet files with pyarrow
(the file's metadata for counts, then only the row groups the page needs; never a whole file).

Columns are named by their `datasets` feature (the parquet schema's `huggingface` metadata, as `datasets` writes
it, else the card's `dataset_info`): `Image` cells become thumbnails and `Audio` cells players, whose bytes `media`
reads for the website's media route, served only when their magic bytes are an allowed image or audio format."""

from __future__ import annotations

import fnmatch
import io
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from ..card_meta import as_list
from ..errors import BadRequest, NotFound
from ..lfs import Pointer

PAGE = 20
MAX_CELL = 300  # characters of a long text shown in a cell
MAX_MEDIA = 20 * 1024 * 1024  # bytes of one image or audio cell served
IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
AUDIO_MAGIC = ((b"fLaC", "audio/flac"), (b"OggS", "audio/ogg"), (b"ID3", "audio/mpeg"), (b"\xff\xfb", "audio/mpeg"))
MEDIA = {"Image": "image", "Audio": "audio"}
_groups: OrderedDict[tuple, object] = OrderedDict()
_lock = threading.Lock()


@dataclass
class Split:
    config: str
    name: str
    files: list[str]


def splits(card: dict, files: list[str]) -> list[Split]:
    """Configs and splits: the card's `configs` (data_files patterns), else `data/{split}-*.parquet` names."""
    parquet = sorted(f for f in files if f.endswith(".parquet"))
    out: list[Split] = []
    configs = card.get("configs") if isinstance(card.get("configs"), list) else []
    for cfg in configs:
        if not isinstance(cfg, dict):
            continue
        name = str(cfg.get("config_name") or "default")
        data_files = cfg.get("data_files")
        if isinstance(data_files, (str, list)) and not (
            isinstance(data_files, list) and data_files and isinstance(data_files[0], dict)
        ):
            data_files = [{"split": "train", "path": data_files}]
        for df in data_files or []:
            if not isinstance(df, dict):
                continue
            patterns = as_list(df.get("path"))
            matched = [f for f in parquet if any(fnmatch.fnmatch(f, p) for p in patterns)]
            if matched:
                out.append(Split(name, str(df.get("split") or "train"), matched))
    if out:
        return out
    by_split: dict[str, list[str]] = {}
    for f in parquet:
        base = f.rsplit("/", 1)[-1]
        split = base.split("-", 1)[0] if "-" in base else base[: -len(".parquet")]
        by_split.setdefault(split, []).append(f)
    return [Split("default", s, fs) for s, fs in by_split.items()]


@dataclass
class ParquetMeta:
    key: str  # the git blob's sha (of the file, or of its LFS pointer): the content never changes under it
    path: str
    rows: int
    groups: list[int]  # rows per row group
    schema: object


_metas: OrderedDict[str, ParquetMeta] = OrderedDict()


def _source(hub, git, files: dict, path: str):
    """(content key, what pyarrow opens: a file path or the bytes of a small file kept in git)."""
    raw = git.blob(files[path].blob)
    pointer = Pointer.parse(raw)
    if pointer is not None:
        return pointer.oid, str(hub.lfs.path(pointer.oid))
    return files[path].blob, raw


def _open(source):
    import pyarrow.parquet as pq

    return pq.ParquetFile(io.BytesIO(source) if isinstance(source, bytes) else source)


def _meta(hub, git, files: dict, path: str) -> ParquetMeta:
    """A Parquet file's footer only (row counts, row groups, schema), cached by content: the git blob's sha names
    the file's bytes, or the LFS pointer that names them (nothing is read on a hit)."""
    key = files[path].blob
    with _lock:
        if key in _metas:
            return _metas[key]
    md = _open(_source(hub, git, files, path)[1]).metadata
    meta = ParquetMeta(
        key,
        path,
        md.num_rows,
        [md.row_group(i).num_rows for i in range(md.num_row_groups)],
        md.schema.to_arrow_schema(),
    )
    with _lock:
        _metas[key] = meta
        while len(_metas) > 256:
            _metas.popitem(last=False)
    return meta


def _group(hub, git, files: dict, meta: ParquetMeta, index: int):
    """One row group's table (the only part of a file ever read), cached."""
    with _lock:
        if (meta.key, index) in _groups:
            _groups.move_to_end((meta.key, index))
            return _groups[meta.key, index]
    table = _open(_source(hub, git, files, meta.path)[1]).read_row_group(index)
    with _lock:
        _groups[meta.key, index] = table
        while len(_groups) > 16:
            _groups.popitem(last=False)
    return table


def count(hub, git, sha: str, split: Split) -> int:
    files = git.files(sha)
    return sum(_meta(hub, git, files, f).rows for f in split.files)


def _features(schema) -> dict:
    try:
        return json.loads(schema.metadata[b"huggingface"])["info"]["features"]
    except (TypeError, KeyError, ValueError, AttributeError):
        return {}


def _card_features(card: dict) -> dict:
    info = card.get("dataset_info")
    out = {}
    for f in (info.get("features") if isinstance(info, dict) else None) or []:
        if isinstance(f, dict) and isinstance(f.get("dtype"), dict) and "class_label" in f["dtype"]:
            names = f["dtype"]["class_label"].get("names") or {}
            out[f.get("name")] = {
                "_type": "ClassLabel",
                "names": [names[k] for k in sorted(names, key=lambda k: int(k))]
                if isinstance(names, dict)
                else list(names),
            }
    return out


def type_name(feature, arrow_type) -> str:
    """A column's type as `datasets` names its feature: Value(string), ClassLabel(a, b), List(Value(int64)),
    Image, Audio(16000 Hz), {k: Value(int32)}; the Arrow type where no feature is known."""
    if isinstance(feature, list) and len(feature) == 1:  # `datasets`' old spelling of a list
        return f"List({type_name(feature[0], None)})"
    if not isinstance(feature, dict) or not feature:
        return str(arrow_type) if arrow_type is not None else "?"
    kind = feature.get("_type")
    if kind is None:  # a struct: its fields
        return "{" + ", ".join(f"{k}: {type_name(v, None)}" for k, v in feature.items()) + "}"
    if kind == "Value":
        return f"Value({feature.get('dtype')})"
    if kind == "ClassLabel":
        return "ClassLabel(" + ", ".join(map(str, feature.get("names") or [])) + ")"
    if kind in ("List", "Sequence", "LargeList"):
        return f"{kind}({type_name(feature.get('feature'), None)})"
    if kind == "Audio" and feature.get("sampling_rate"):
        return f"Audio({feature['sampling_rate']} Hz)"
    return str(kind)


def _plain(value):
    """A cell's value for text: bytes as their size (never their content)."""
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _cell(value, feature: dict | None) -> dict:
    """{"text": …}, or {"media": "image"|"audio"} for a cell the media route serves."""
    kind = feature.get("_type") if isinstance(feature, dict) else None
    if kind in MEDIA and isinstance(value, dict) and value.get("bytes"):
        return {"media": MEDIA[kind]}
    if kind == "ClassLabel" and isinstance(value, int):
        names = feature.get("names") or []
        return {"text": f"{value} ({names[value]})" if 0 <= value < len(names) else str(value)}
    if kind in MEDIA and isinstance(value, dict):
        value = value.get("path")  # no bytes: only a path, shown as text
    text = "null" if value is None else str(_plain(value))
    return {"text": text if len(text) <= MAX_CELL else text[:MAX_CELL] + "…"}


def sniff(data: bytes, kind: str) -> str | None:
    """The content type of an image (PNG, JPEG, GIF, WebP) or audio (WAV, FLAC, Ogg, MP3) by its magic bytes."""
    if data[:4] == b"RIFF" and data[8:12] == (b"WEBP" if kind == "image" else b"WAVE"):
        return "image/webp" if kind == "image" else "audio/wav"
    for magic, ctype in IMAGE_MAGIC if kind == "image" else AUDIO_MAGIC:
        if data.startswith(magic):
            return ctype
    return None


def media(hub, git, sha: str, card: dict, split: Split, row: int, column: str) -> tuple[bytes, str]:
    """The bytes and content type of row `row`'s `Image` or `Audio` cell in `column`; 404 for anything else, 415
    for bytes that are not an allowed format."""
    files = git.files(sha)
    offset = 0
    for path in split.files:
        meta = _meta(hub, git, files, path)
        if row < offset + meta.rows:
            feature = _features_of(meta.schema, card).get(column)
            kind = MEDIA.get(feature.get("_type")) if isinstance(feature, dict) else None
            if kind is None or column not in meta.schema.names:
                raise NotFound(f"Column {column!r} of {split.config}/{split.name} is not an Image or Audio column")
            local = row - offset
            for gi, g_rows in enumerate(meta.groups):
                if local < g_rows:
                    value = _group(hub, git, files, meta, gi).column(column)[local].as_py()
                    break
                local -= g_rows
            data = value.get("bytes") if isinstance(value, dict) else None
            if not data:
                raise NotFound(f"Row {row} has no {kind} bytes in {column!r}")
            ctype = sniff(data, kind)
            if ctype is None or len(data) > MAX_MEDIA:
                raise BadRequest(
                    f"Row {row}'s {column!r} is not a PNG, JPEG, GIF or WebP image, or WAV, FLAC, Ogg "
                    "or MP3 audio (or is too large): not served",
                    status=415,
                )
            return data, ctype
        offset += meta.rows
    raise NotFound(f"{split.config}/{split.name} has no row {row}")


def _features_of(schema, card: dict) -> dict:
    return {**_card_features(card), **_features(schema)}


def page(hub, git, sha: str, card: dict, split: Split, page_no: int) -> dict:
    """Rows `page_no*PAGE…` of a split: {"columns": [(name, type)], "rows": [[cell]], "total", "pages"} (cells as
    `_cell` makes them)."""
    files = git.files(sha)
    metas = [_meta(hub, git, files, f) for f in split.files]
    total = sum(m.rows for m in metas)
    pages = max(1, -(-total // PAGE))
    page_no = min(max(0, page_no), pages - 1)
    start, stop = page_no * PAGE, min(total, (page_no + 1) * PAGE)
    schema = metas[0].schema if metas else None
    features = _features_of(schema, card)
    columns = [(field.name, type_name(features.get(field.name), field.type)) for field in schema or []]
    rows: list[list[dict]] = []
    offset = 0
    for meta in metas:
        for gi, g_rows in enumerate(meta.groups):
            lo, hi = max(start, offset), min(stop, offset + g_rows)
            if lo < hi:
                table = _group(hub, git, files, meta, gi).slice(lo - offset, hi - lo)
                for row in table.to_pylist():
                    rows.append([_cell(row.get(name), features.get(name)) for name, _ in columns])
            offset += g_rows
    return {"columns": columns, "rows": rows, "total": total, "pages": pages, "page": page_no, "start": start}
