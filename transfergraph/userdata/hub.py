"""A Hugging Face dataset as a user's data: `hf:REPO[:CONFIG][:SPLIT]`, read with the `datasets` library.

REPO is a Hub id (`uoft-cs/cifar100`) or a local folder laid out as a Hub dataset repository (a
`git clone` or `hf download --repo-type dataset --local-dir DIR`: a dataset card and data files).
Downloads go to the Hugging Face caches (`HF_HOME`), so a dataset is fetched once. Offline
(`HF_HUB_OFFLINE=1` / `HF_DATASETS_OFFLINE=1`) a Hub id is read from those caches: a dataset
`datasets` loaded before, or a snapshot of the repository in the hub cache. The sample is drawn as
for a file (`data.sample_rows`); only the sampled rows are decoded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transfergraph.errors import DownloadError, MissingExtra, ParameterError, Problem, TGError
from transfergraph.userdata.data import HUB_PREFIX, UserData, _class_order, _label_text, _one, sample_rows

DEFAULT_SPLIT = "train"
# When the text column is not given: the first of these the dataset has, else its first text column.
TEXT_NAMES = ("text", "sentence", "content", "review", "tweet", "document", "question", "premise",
              "sentence1", "query")  # fmt: skip
OFFLINE_VALUES = ("1", "true", "yes", "on")
FOLDER_HINT = (
    "give the data as a folder instead: --from DIR (an image folder, one sub-folder per class, or a "
    "table), or hf:DIR for a copy of the repository (hf download REPO --repo-type dataset --local-dir DIR)"
)


@dataclass(frozen=True)
class HubRef:
    repo: str  # a Hub id or a local folder
    config: str | None = None
    split: str | None = None

    def __str__(self) -> str:
        parts = [self.repo, self.config or "", self.split or ""]
        while parts[-1] == "":
            parts.pop()
        return HUB_PREFIX + ":".join(parts)


def parse(text: str) -> HubRef:
    """`hf:REPO[:CONFIG][:SPLIT]` (an empty CONFIG is the default one: `hf:beans::test`); a REPO that is
    a local folder is made absolute, so the reference stored on the Dataset node reads it again."""
    if not text.startswith(HUB_PREFIX):
        raise TGError(f"{text!r}: not a Hugging Face dataset reference (hf:REPO[:CONFIG][:SPLIT])")
    parts = text[len(HUB_PREFIX) :].split(":")
    if len(parts) > 3 or not parts[0].strip():
        raise TGError(f"{text!r}: expected hf:REPO[:CONFIG][:SPLIT], e.g. hf:nyu-mll/glue:cola:train")
    repo = parts[0].strip()
    if Path(repo).expanduser().is_dir():
        repo = str(Path(repo).expanduser().resolve())
    config = parts[1].strip() or None if len(parts) > 1 else None
    split = parts[2].strip() or None if len(parts) > 2 else None
    return HubRef(repo, config, split)


def _offline(datasets: Any) -> bool:
    env = any(
        os.environ.get(v, "").strip().lower() in OFFLINE_VALUES
        for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )
    return env or bool(getattr(datasets.config, "HF_HUB_OFFLINE", False))


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:300]


def _snapshot(repo: str) -> str | None:
    """The folder of a copy of `repo` in the hub cache (what an earlier download left), if any."""
    try:
        from huggingface_hub import snapshot_download

        return str(snapshot_download(repo, repo_type="dataset", local_files_only=True))
    except Exception:  # not cached, or not a valid repo id
        return None


def load(ref: HubRef) -> Any:
    """The split as a `datasets.Dataset` (downloaded once into the cache when online)."""
    try:
        import datasets
    except ImportError:
        raise MissingExtra("datasets", "hf", "reading a Hugging Face dataset") from None
    split = ref.split or DEFAULT_SPLIT
    local = Path(ref.repo).is_dir()
    offline = _offline(datasets)
    datasets.disable_progress_bars()  # the caller shows its own progress
    try:
        return datasets.load_dataset(ref.repo, ref.config, split=split)
    except (ValueError, KeyError) as e:  # an unknown split or config: the message lists the known ones
        raise TGError(f"{ref}: {_first_line(e)}") from None
    except Exception as e:
        if local:
            raise TGError(f"{ref}: cannot read the folder as a Hugging Face dataset: {_first_line(e)}") from e
        if not offline:
            raise DownloadError(f"{ref}: cannot load from the Hub ({_first_line(e)}); {FOLDER_HINT}") from e
        folder = _snapshot(ref.repo)
        if folder is None:
            raise DownloadError(
                f"{ref}: not in the Hugging Face cache and offline (HF_HUB_OFFLINE / HF_DATASETS_OFFLINE "
                f"is set); {FOLDER_HINT}"
            ) from e
    try:  # offline: the copy of the repository an earlier download left in the hub cache
        return datasets.load_dataset(folder, ref.config, split=split)
    except (ValueError, KeyError) as e:
        raise TGError(f"{ref}: {_first_line(e)}") from None
    except Exception as e:
        raise TGError(f"{ref}: cannot read the cached copy in {folder}: {_first_line(e)}") from e


def _kind(feature: Any) -> str:
    """'image', 'text', 'label' (a ClassLabel) or '' for the features this reader tells apart."""
    name = type(feature).__name__
    if name == "Image":
        return "image"
    if name == "ClassLabel":
        return "label"
    if name == "Value" and getattr(feature, "dtype", None) in ("string", "large_string"):
        return "text"
    return ""


def columns(features: dict[str, Any], modality: str, label_col: str | None, text_col: str | None
            ) -> tuple[str, str]:  # fmt: skip
    """(label column, item column): the given ones, else found from the features: "label" or the
    first class label; the first image column, or "text" (TEXT_NAMES) or the first text column."""
    kinds = {name: _kind(f) for name, f in features.items()}
    present = ", ".join(f"{n!r}" for n in features) or "none"
    if label_col is None:
        labels = [n for n, k in kinds.items() if k == "label"]
        label_col = "label" if "label" in kinds else (labels[0] if labels else None)
        if label_col is None:
            raise ParameterError("label_col", f"none given and none found (columns: {present})")
    want = "image" if modality == "image" else "text"
    item_col = text_col if modality == "text" else None
    if item_col is None:
        found = [n for n, k in kinds.items() if k == want and n != label_col]
        if want == "text":
            found = [n for n in TEXT_NAMES if n in found] + found
        if not found:
            option = " give --text-col" if want == "text" else ""
            raise TGError(f"no {want} column found (columns: {present});{option or ' not an image dataset?'}")
        item_col = found[0]
    for col in (label_col, item_col):
        if col not in features:
            raise TGError(f"no column {col!r} (columns: {present})")
    if modality == "image" and kinds[item_col] != "image":
        raise TGError(f"column {item_col!r} holds no images")
    return label_col, item_col


def _image(value: Any) -> Any:
    """An undecoded `datasets` image ({bytes, path}) as an RGB PIL image."""
    import io

    from PIL import Image

    if not isinstance(value, dict) or not (value.get("bytes") or value.get("path")):
        raise ValueError("no image")
    with Image.open(io.BytesIO(value["bytes"]) if value.get("bytes") else value["path"]) as image:
        return image.convert("RGB")


def read(
    text: str,
    modality: str,
    *,
    label_col: str | None = None,
    text_col: str | None = None,
    sample: int = 1000,
    seed: int = 0,
) -> UserData:
    """A seeded sample of a Hugging Face dataset split, checked as a file would be: every label, and
    the sampled texts or images (decoded once), with the 1-based row and the column of a bad one."""
    import numpy as np

    ref = parse(text)
    name = str(ref)
    ds = load(ref)
    label_col, item_col = columns(dict(ds.features), modality, label_col, text_col)
    feature = ds.features[label_col]
    raw = ds[label_col]
    problems: list[Problem] = []
    if _kind(feature) == "label":
        classes = [str(c) for c in feature.names]
        labels = np.asarray(raw, dtype=np.int64)
        bad = np.flatnonzero((labels < 0) | (labels >= len(classes)))
        problems += [
            Problem(name, int(i) + 1, label_col,
                    f"label {int(labels[i])} is not a class (an unlabelled split? the test splits of "
                    "many datasets are: use the train split)")
            for i in bad
        ]  # fmt: skip
    else:
        names: list[str] = []
        for i, value in enumerate(raw):
            try:
                label = _label_text(value)
            except TypeError as e:
                problems.append(Problem(name, i + 1, label_col, f"expected a class name or number, got {e}"))
                continue
            if label is None:
                problems.append(Problem(name, i + 1, label_col, "empty label"))
            names.append(label or "")
        classes = _class_order(set(names))
        ids = {c: i for i, c in enumerate(classes)}
        labels = np.asarray([ids[n] for n in names], dtype=np.int64)
    if problems:
        raise _one(problems)
    if len(classes) < 2:
        raise _one([Problem(name, None, label_col, f"only one class in {len(labels)} rows: a score needs 2")])
    keep = sample_rows(name, labels, classes, sample, seed)
    rows = ds.select(keep.tolist())
    if modality == "image":  # decoded here, one by one, so a bad image is named
        import datasets

        rows = rows.cast_column(item_col, datasets.Image(decode=False))
    items: list[Any] = []
    for i, value in zip(keep, rows[item_col], strict=True):
        where = (name, int(i) + 1, item_col)
        if modality == "text":
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(*where, f"expected text, got {value!r:.40}"))
            items.append(value)
            continue
        try:
            items.append(_image(value))
        except Exception as e:  # PIL raises OSError, SyntaxError, ValueError, DecompressionBombError
            problems.append(Problem(*where, f"not a readable image: {_first_line(e)}"))
    if problems:
        raise _one(problems)
    return UserData(
        source=name,
        modality=modality,
        items=items,
        labels=labels[keep],
        classes=classes,
        num_samples=len(labels),
        sample_seed=seed,
        label_col=label_col,
        text_col=item_col if modality == "text" else None,
    )
