"""The paper's public zoo (TransferGraph/transfergraph, `resources/experiments/`), both modalities.

Every quirk of the published files (docs/method.md, "The paper's zoo") is handled here, once:
column-shifted and truncated rows are skipped and counted, known-wrong dataset features are
corrected with the reported value kept beside the fix, LoRA runs are kept and marked, repeated
LogME keys are averaged, and image source datasets are keyed by their label list as in the
similarity matrix.
"""

from __future__ import annotations

import ast
import io
import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pandas as pd

from transfergraph.errors import DownloadError, InvalidInput, Problem
from transfergraph.loaders.records import Records
from transfergraph.loaders.storable import float_problem
from transfergraph.loaders.tabular import decode_text

REPO_COMMIT = "0458aff3ae68"
DEFAULT_BASE_URL = (
    f"https://raw.githubusercontent.com/TransferGraph/transfergraph/{REPO_COMMIT}/resources/experiments"
)
FOLDERS = {"image": "image_classification", "text": "sequence_classification"}
SIMILARITY_FILES = {
    "image": ["corr_domain_similarity_google_vit_base_patch16_224_imagenet.csv"],
    "text": ["corr_domain_similarity_EleutherAI_gpt-neo-125m_gpt.csv", "corr_domain_similarity_gpt2_gpt.csv"],
}
TABLE_FILES = [
    "records.csv",
    "model_config_dataset.csv",
    "transferability_score_records.csv",
    "target_dataset_features.csv",
]
METRICS = {"TransferabilityMethod.LOG_ME": "LogME", "TransferabilityMethod.REG_H_SCORE": "Reg-H-Score"}
PEFT = {"lora": "lora", "lor": "lora"}  # 'lor' is a typo in one text row
# Known-wrong rows of target_dataset_features.csv (docs/method.md): name -> (num_samples, num_classes, why)
FEATURE_FIXES = {
    ("image", "flowers"): (1020, 102, "Flowers-102 has 102 classes"),
    ("text", "tweet_eval/offensive"): (
        14100,
        2,
        "row copied from smallnorb_label_azimuth; tweet_eval offensive",
    ),
}
DATASET_ALIASES = {"glut/qqp": "glue/qqp", "oxford_flowers102": "flowers", "oxford_iiit_pet": "pets",
                   "svhn_cropped": "svhn"}  # fmt: skip
_UNDERSCORED = re.compile(r"^(glue|tweet_eval)_(.+)$")  # rank-file spelling of glue/x, tweet_eval/x


def files(modality: str) -> list[str]:
    return TABLE_FILES + SIMILARITY_FILES[modality]


def fetch(cache_dir: Path, base_url: str = DEFAULT_BASE_URL) -> Path:
    """Download the bundle once into cache_dir (kept across runs); returns the folder to load."""
    root = cache_dir / f"paper-zoo-{REPO_COMMIT}"
    for modality, folder in FOLDERS.items():
        for name in files(modality):
            dest = root / folder / name
            if dest.exists():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            url = f"{base_url}/{folder}/{name}"
            tmp = dest.with_suffix(".part")
            try:
                with urllib.request.urlopen(url, timeout=60) as resp, open(tmp, "wb") as out:
                    shutil.copyfileobj(resp, out)
            except (urllib.error.URLError, OSError) as e:
                tmp.unlink(missing_ok=True)
                raise DownloadError(f"{url}: download failed ({e}); use --path DIR offline") from None
            tmp.rename(dest)
    return root


def canonical_dataset(name: str) -> str:
    name = DATASET_ALIASES.get(name, name)
    m = _UNDERSCORED.match(name)
    return f"{m.group(1)}/{m.group(2)}" if m else name


# Accuracy columns are read as text: one no 64-bit float holds (0.999... with 5,000 nines) is
# refused, as `tg ingest runs` refuses it, not stored rounded.
ACCURACY_COLUMNS = {"eval_accuracy": str, "accuracy": str}


def _frame(path: Path, problems: list[Problem], index_col: int | None = None) -> pd.DataFrame | None:
    """The CSV file as a DataFrame, or None and its one problem: not found, not UTF-8 (the encoding
    named when a byte-order mark tells it), not CSV."""
    if not path.exists():
        problems.append(Problem(str(path), None, None, "file not found"))
        return None
    try:
        text = decode_text(str(path), path.read_bytes())
    except InvalidInput as e:
        problems += e.problems
        return None
    except OSError as e:
        problems.append(Problem(str(path), None, None, f"cannot read: {e.strerror}"))
        return None
    try:
        return pd.read_csv(io.StringIO(text), index_col=index_col, dtype=ACCURACY_COLUMNS)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as e:
        reason = (str(e).splitlines() or [type(e).__name__])[0][:200]
        problems.append(Problem(str(path), None, None, f"not a readable CSV: {reason}"))
        return None


def _read(
    path: Path, problems: list[Problem], required: list[str], index_col: int | None = None
) -> pd.DataFrame:
    df = _frame(path, problems, index_col)
    if df is None:
        return pd.DataFrame(columns=required)
    for col in required:
        if col not in df.columns:
            problems.append(Problem(str(path), 1, col, "required column is missing"))
    df["_line"] = range(2, len(df) + 2)  # header is line 1; the published files have no quoted newlines
    return df if all(c in df.columns for c in required) else pd.DataFrame(columns=[*required, "_line"])


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in df.to_dict("records")]


def _num(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(f) else f


def _accuracy(row: dict[str, Any], col: str, path: Path, problems: list[Problem]) -> float | None:
    """The accuracy cell as a float; None (and a problem) when no float holds the written number."""
    value = _num(row[col])
    raw = row[col]
    if value is not None and isinstance(raw, str) and len(raw.strip()) > 15:
        problem = float_problem(raw, value)
        if problem:
            problems.append(Problem(str(path), row["_line"], col, f"{problem}; round it to 17 digits"))
            return None
    return value


def _int(value: Any) -> int | None:
    f = _num(value)
    return None if f is None else int(f)


def _architectures(value: Any) -> list[str] | None:
    if not isinstance(value, str):
        return None
    if value.startswith("["):
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return [value]
        return [str(a) for a in parsed]
    return [value]


def load(path: Path, modalities: tuple[str, ...] = ("image", "text")) -> Records:
    """Read and validate the bundle under `path`; raise InvalidInput listing every bad cell."""
    out = Records(source="paper-zoo")
    problems: list[Problem] = []
    for modality in modalities:
        out.extend(_load_modality(path / FOLDERS[modality], modality, problems))
    if problems:
        raise InvalidInput(problems)
    return out


def _load_modality(folder: Path, modality: str, problems: list[Problem]) -> Records:
    rec = Records(source="paper-zoo")
    _models(folder, modality, rec, problems)
    known_models = set(rec.models)
    _features(folder, modality, rec, problems)
    for name in SIMILARITY_FILES[modality]:
        _similarity(folder / name, modality, rec, problems)
    _runs(folder, modality, rec, known_models, problems)
    _scores(folder, modality, rec, problems)
    return rec


def _models(folder: Path, modality: str, rec: Records, problems: list[Problem]) -> None:
    path = folder / "model_config_dataset.csv"
    required = ["model", "architectures", "model_type", "number_of_parameters", "memory_consumption",
                "dataset", "labels", "accuracy"]  # fmt: skip
    df = _read(path, problems, required, index_col=0 if modality == "text" else None)
    for row in _records(df):
        model = row["model"]
        if not isinstance(model, str) or not model:
            problems.append(Problem(str(path), row["_line"], "model", "empty model id"))
            continue
        card_accuracy = _accuracy(row, "accuracy", path, problems)
        source = row["dataset"] if isinstance(row["dataset"], str) else None
        labels = row["labels"] if isinstance(row["labels"], str) else None
        rec.model(
            model,
            modality,
            architectures=_architectures(row["architectures"]),
            model_type=row["model_type"] if isinstance(row["model_type"], str) else None,
            num_parameters=_int(row["number_of_parameters"]),
            memory_bytes=_int(row["memory_consumption"]),
            input_size=_int(row.get("input_shape")),
            num_labels=_int(row.get("#labels", row.get("number_of_labels"))),
            source_dataset=source,
            labels=labels,
            source_accuracy=card_accuracy,
        )
        # Image source datasets are named by their label list in the similarity matrix (docs/method.md).
        target = (labels or source) if modality == "image" else source
        if target is None:
            rec.skipped[("pretrained_on", "model card names no source dataset")] += 1
            continue
        target = canonical_dataset(target)
        rec.dataset(target, modality)
        rec.pretrained_on.append({"model": model, "dataset": target, "props": {"accuracy": card_accuracy}})


def _features(folder: Path, modality: str, rec: Records, problems: list[Problem]) -> None:
    path = folder / "target_dataset_features.csv"
    df = _read(path, problems, ["finetune_dataset", "size", "number_of_classes"])
    for row in _records(df):
        raw_name = row["finetune_dataset"]
        size, classes = _int(row["size"]), _int(row["number_of_classes"])
        if size is None or classes is None:
            col = "size" if size is None else "number_of_classes"
            problems.append(Problem(str(path), row["_line"], col, f"expected an integer, got {row[col]!r}"))
            continue
        name = canonical_dataset(raw_name)
        props: dict[str, Any] = {"num_samples": size, "num_classes": classes}
        if name != raw_name:
            rec.notes.append(f"{path.name}:{row['_line']}: dataset {raw_name!r} read as {name!r}")
        fix = FEATURE_FIXES.get((modality, name))
        if fix is not None and (size, classes) != fix[:2]:
            props = {"num_samples": fix[0], "num_classes": fix[1], "reported_num_samples": size,
                     "reported_num_classes": classes, "quality_note": f"corrected: {fix[2]}"}  # fmt: skip
            rec.notes.append(f"{path.name}:{row['_line']}: {name} ({size}, {classes}) corrected to {fix[:2]}")
        rec.dataset(name, modality, **props)


def _similarity(path: Path, modality: str, rec: Records, problems: list[Problem]) -> None:
    probe = re.sub(r"^corr_domain_similarity_|_[^_]+\.csv$", "", path.name)
    df = _frame(path, problems, index_col=0)
    if df is None:
        return
    if list(df.index) != list(df.columns):
        problems.append(Problem(str(path), 1, None, "header and first column must name the same datasets"))
        return
    names = [canonical_dataset(n) for n in df.index]
    values = df.to_numpy()
    seen: set[tuple[str, str]] = set()
    for i, a in enumerate(names):
        rec.dataset(a, modality)
        for j in range(i + 1, len(names)):
            b, dist = names[j], _num(values[i, j])
            if dist is None or dist < 0:
                problems.append(
                    Problem(
                        str(path), i + 2, df.columns[j], f"expected a distance >= 0, got {values[i, j]!r}"
                    )
                )
            elif a == b:
                rec.skipped[("similarities", "alias of the same dataset")] += 1
            elif tuple(sorted((a, b))) in seen:  # glue_cola repeats glue/cola's row in the gpt2 matrix
                rec.skipped[("similarities", "pair repeated under an alias")] += 1
            else:
                lo, hi = sorted((a, b))
                seen.add((lo, hi))
                rec.similarities.append({"a": lo, "b": hi, "probe": probe, "props": {"distance": dist}})


def _runs(folder: Path, modality: str, rec: Records, known: set[str], problems: list[Problem]) -> None:
    path = folder / "records.csv"
    df = _read(path, problems, ["model", "finetuned_dataset", "eval_accuracy"], index_col=0)
    for row in _records(df):
        model, dataset = row["model"], row["finetuned_dataset"]
        if not isinstance(model, str) or model not in known:
            # The published text file has rows shifted by a stray comma: numbers where ids belong.
            rec.skipped[("runs", "column-shifted row (no such model)")] += 1
            continue
        before = len(problems)
        acc = _accuracy(row, "eval_accuracy", path, problems)
        if len(problems) > before:
            continue
        if acc is None:
            rec.skipped[("runs", "no eval_accuracy")] += 1
            continue
        if not 0.0 <= acc <= 1.0:
            problems.append(Problem(str(path), row["_line"], "eval_accuracy", f"expected 0..1, got {acc!r}"))
            continue
        peft_raw = row.get("peft_method")
        peft = PEFT.get(peft_raw, peft_raw) if isinstance(peft_raw, str) else "full"
        dataset = canonical_dataset(dataset)
        rec.dataset(dataset, modality)
        props = {
            "accuracy": acc,
            "peft": peft,
            "learning_rate": _num(row.get("learning_rate", row.get("lr"))),
            "epochs": _num(row.get("num_train_epochs", row.get("epochs"))),
            "batch_size": _int(row.get("batch_size")),
            "train_runtime": _num(row.get("train_runtime")),
            "source": "paper-zoo",
        }
        run_id = f"paper-zoo/{modality}/records.csv/{row['_line'] - 2}"
        rec.runs.append({"run_id": run_id, "model": model, "dataset": dataset, "props": props})


def _scores(folder: Path, modality: str, rec: Records, problems: list[Problem]) -> None:
    path = folder / "transferability_score_records.csv"
    df = _read(path, problems, ["model", "target_dataset", "metric", "score"], index_col=0)
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in _records(df):
        metric = METRICS.get(row["metric"])
        score = _num(row["score"])
        if metric is None or not isinstance(row["model"], str) or score is None:
            rec.skipped[("scores", "truncated row (no metric or score)")] += 1
            continue
        dataset = canonical_dataset(row["target_dataset"])
        groups.setdefault((row["model"], dataset, metric), []).append(row)
    for (model, dataset, metric), rows in groups.items():
        scores = [float(r["score"]) for r in rows]
        rec.model(model, modality)
        rec.dataset(dataset, modality)
        if len(rows) > 1:
            rec.skipped[("scores", "repeated (model, dataset, metric) key: averaged")] += len(rows) - 1
        props = {
            "score": sum(scores) / len(scores),
            "n_records": len(rows),
            "runtime": _num(rows[-1].get("runtime")),
        }
        rec.scores.append({"model": model, "dataset": dataset, "metric": metric, "props": props})
