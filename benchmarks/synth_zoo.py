"""A synthetic model zoo at any scale: a fine-tuning `runs.csv` and a Hub `hf-models.jsonl`.

    python benchmarks/synth_zoo.py --models 100000 --runs 1000000 --datasets 1000 --out DIR --seed 7

runs.csv has the columns model, dataset, accuracy, run_id, lr, epochs (ingest it with
`tg ingest runs DIR/runs.csv --modality image --model-col model --dataset-col dataset
--accuracy-col accuracy --run-id-col run_id --hparam-col lr --hparam-col epochs`); hf-models.jsonl
has one Hub record per model (id, pipeline_tag, library_name, downloads, likes,
config{architectures, model_type}, safetensors{total}, card_data{datasets}).

The skew is Zipf-like, as on the Hub: run i picks its model and dataset by popularity rank from a
bounded power law (exponents --model-skew, --dataset-skew), so a few models and datasets get most
runs, and downloads follow the same ranks. Everything is a function of (seed, index) or of a
seeded stream consumed in fixed-size chunks: the files are byte-identical for a seed, and memory
stays constant (nothing is kept per model, dataset or run). --hostile F gives a fraction F of the
ids quotes, commas, backticks, braces, newlines and other characters that break naive CSV or Cypher.

The benchmarks and the tests (`tests/support.py`, SYNTH_ZOO) run this file as a command by its path.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

CHUNK = 100_000
MASK = np.uint64(0xFFFFFFFFFFFFFFFF)

IMAGE_FAMILIES = [
    ("vit", "ViTForImageClassification", "google"),
    ("convnext", "ConvNextForImageClassification", "facebook"),
    ("resnet", "ResNetForImageClassification", "microsoft"),
    ("swin", "SwinForImageClassification", "microsoft"),
    ("deit", "DeiTForImageClassification", "facebook"),
    ("beit", "BeitForImageClassification", "microsoft"),
    ("efficientnet", "EfficientNetForImageClassification", "google"),
    ("regnet", "RegNetForImageClassification", "facebook"),
]
TEXT_FAMILIES = [
    ("bert", "BertForSequenceClassification", "google-bert"),
    ("roberta", "RobertaForSequenceClassification", "FacebookAI"),
    ("distilbert", "DistilBertForSequenceClassification", "distilbert"),
    ("deberta-v3", "DebertaV2ForSequenceClassification", "microsoft"),
    ("electra", "ElectraForSequenceClassification", "google"),
    ("albert", "AlbertForSequenceClassification", "albert"),
    ("xlm-roberta", "XLMRobertaForSequenceClassification", "FacebookAI"),
    ("gpt2", "GPT2ForSequenceClassification", "openai-community"),
]
SIZES = [("tiny", 5_000_000), ("small", 22_000_000), ("base", 86_000_000), ("large", 304_000_000)]
IMAGE_PRETRAIN = ["imagenet-1k", "imagenet-21k", "laion/laion2B-en", "cifar10", "food101"]
TEXT_PRETRAIN = ["wikipedia", "bookcorpus", "c4", "glue", "imdb", "cc100"]
DATASET_STEMS = [
    "cifar",
    "flowers",
    "pets",
    "sst",
    "tweet_eval",
    "svhn",
    "dtd",
    "ag_news",
    "emotion",
    "eurosat",
]
LRS = [1e-5, 2e-5, 3e-5, 5e-5, 1e-4, 3e-4, 1e-3]
HOSTILE = [
    ' "quoted" ',
    "it's",
    "a,b",
    "`tick`) DETACH DELETE n //",
    "{braces: 1}",
    "multi\nline",
    "cr\r\nlf",
    "semi;colon",
    "ünïcödé/模型",
    " trailing ",
    "back\\slash",
    "$param",
    "tab\there",
    '""',
]


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a well-spread 64-bit hash of each element (uint64, wrapping)."""
    z = (x + np.uint64(0x9E3779B97F4A7C15)) & MASK
    z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & MASK
    z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & MASK
    return z ^ (z >> np.uint64(31))


def _hash(seed: int, salt: int, idx: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        key = idx.astype(np.uint64) * np.uint64(0x100000001B3) + np.uint64(
            (seed * 1_000_003 + salt) & 0xFFFFFFFF
        )
        return _mix(key)


def _unit(seed: int, salt: int, idx: np.ndarray) -> np.ndarray:
    """A uniform [0, 1) per index, the same for the same (seed, salt, index)."""
    return (_hash(seed, salt, idx) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _zipf_rank(u: np.ndarray, n: int, s: float) -> np.ndarray:
    """Rank 0..n-1 from a bounded power law P(k) ~ (k+1)^-s, by the inverse of its continuous CDF."""
    if abs(s - 1.0) < 1e-9:
        x = np.exp(u * math.log(n + 1))
    else:
        a = 1.0 - s
        x = (((n + 1) ** a - 1.0) * u + 1.0) ** (1.0 / a)
    return np.minimum(np.floor(x).astype(np.int64) - 1, n - 1)


class Zoo:
    """Ids and attributes, each a pure function of (seed, index): nothing is stored."""

    def __init__(
        self, models: int, datasets: int, seed: int, hostile: float, model_skew: float, dataset_skew: float
    ):
        self.models, self.datasets, self.seed, self.hostile = models, datasets, seed, hostile
        self.model_skew, self.dataset_skew = model_skew, dataset_skew
        # popularity rank -> index by an affine bijection, so popular models are spread over the ids
        self.mult = _coprime(models, 2_654_435_761)
        self.offset = (seed * 7919) % models
        self.inverse = pow(self.mult, -1, models) if models > 1 else 0

    def model_index(self, rank: np.ndarray) -> np.ndarray:
        return (rank * self.mult + self.offset) % self.models

    def model_rank(self, idx: np.ndarray) -> np.ndarray:
        return ((idx - self.offset) * self.inverse) % self.models

    def _hostile(self, salt: int, idx: np.ndarray) -> list[str | None]:
        pick = _hash(self.seed, salt + 1, idx) % np.uint64(len(HOSTILE))
        odd = _unit(self.seed, salt, idx) < self.hostile
        return [HOSTILE[p] if o else None for p, o in zip(pick.tolist(), odd.tolist(), strict=True)]

    def model_ids(self, idx: np.ndarray) -> list[str]:
        h = _hash(self.seed, 1, idx)
        fam = (h % np.uint64(8)).tolist()
        size = ((h >> np.uint64(8)) % np.uint64(len(SIZES))).tolist()
        image = (_unit(self.seed, 2, idx) < 0.6).tolist()
        owner = ((h >> np.uint64(16)) % np.uint64(max(1, self.models // 20))).tolist()
        odd = self._hostile(3, idx)
        ids = []
        for i, f, z, im, o, x in zip(idx.tolist(), fam, size, image, owner, odd, strict=True):
            family = (IMAGE_FAMILIES if im else TEXT_FAMILIES)[f]
            org = family[2] if o % 50 == 0 else f"user{o}"
            ids.append(f"{org}/{family[0]}-{SIZES[z][0]}-ft-{i}{x or ''}")
        return ids

    def dataset_ids(self, idx: np.ndarray) -> list[str]:
        stem = (_hash(self.seed, 4, idx) % np.uint64(len(DATASET_STEMS))).tolist()
        odd = self._hostile(5, idx)
        return [f"{DATASET_STEMS[s]}-{i}{x or ''}" for i, s, x in zip(idx.tolist(), stem, odd, strict=True)]


def _coprime(n: int, start: int) -> int:
    m = start % n if n > 1 else 1
    while n > 1 and math.gcd(m, n) != 1:
        m += 1
    return max(m, 1)


def _chunks(total: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, total, CHUNK):
        yield lo, min(total, lo + CHUNK)


def write_runs(zoo: Zoo, runs: int, path: Path) -> None:
    rng = np.random.default_rng(zoo.seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["model", "dataset", "accuracy", "run_id", "lr", "epochs"])
        for lo, hi in _chunks(runs):
            n = hi - lo
            u_model, u_data, noise = rng.random(n), rng.random(n), rng.normal(0.0, 0.05, n)
            lr_pick, epochs = rng.integers(0, len(LRS), n), rng.integers(1, 21, n)
            model = zoo.model_index(_zipf_rank(u_model, zoo.models, zoo.model_skew))
            dataset = _zipf_rank(u_data, zoo.datasets, zoo.dataset_skew)
            # accuracy: the model's quality and the dataset's ease, plus noise, in 0..1
            quality = 0.35 + 0.3 * _unit(zoo.seed, 6, model) + 0.3 * _unit(zoo.seed, 7, dataset) + noise
            acc = np.round(np.clip(quality, 0.0, 1.0), 4)
            run_idx = np.arange(lo, hi, dtype=np.int64)
            odd = zoo._hostile(8, run_idx)
            run_ids = [f"run-{zoo.seed}-{r:09d}{x or ''}" for r, x in zip(run_idx.tolist(), odd, strict=True)]
            lrs = [LRS[i] for i in lr_pick.tolist()]
            w.writerows(
                zip(
                    zoo.model_ids(model),
                    zoo.dataset_ids(dataset),
                    acc.tolist(),
                    run_ids,
                    lrs,
                    epochs.tolist(),
                    strict=True,
                )
            )


def write_models(zoo: Zoo, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for lo, hi in _chunks(zoo.models):
            idx = np.arange(lo, hi, dtype=np.int64)
            ids = zoo.model_ids(idx)
            rank = zoo.model_rank(idx)
            # downloads by popularity rank (the same power law as the runs), with noise
            downloads = (5e6 * (rank + 1.0) ** -zoo.model_skew * (0.5 + _unit(zoo.seed, 9, idx))).astype(
                np.int64
            )
            likes = (
                downloads // (200 + (_hash(zoo.seed, 10, idx) % np.uint64(800)).astype(np.int64))
            ).tolist()
            h = _hash(zoo.seed, 1, idx)
            fam = (h % np.uint64(8)).tolist()
            size = ((h >> np.uint64(8)) % np.uint64(len(SIZES))).tolist()
            image = (_unit(zoo.seed, 2, idx) < 0.6).tolist()
            n_pre = (_hash(zoo.seed, 11, idx) % np.uint64(3)).tolist()
            pre_pick = _hash(zoo.seed, 12, idx)
            # one model in ten was pre-trained on one of the zoo's own (popular) datasets
            own = _unit(zoo.seed, 13, idx) < 0.1
            own_ds = zoo.dataset_ids(_zipf_rank(_unit(zoo.seed, 14, idx), zoo.datasets, zoo.dataset_skew))
            lines = []
            for j in range(hi - lo):
                family = (IMAGE_FAMILIES if image[j] else TEXT_FAMILIES)[fam[j]]
                pool = IMAGE_PRETRAIN if image[j] else TEXT_PRETRAIN
                pick = int(pre_pick[j])
                pre = [pool[(pick >> (8 * k)) % len(pool)] for k in range(n_pre[j])]
                if own[j]:
                    pre.append(own_ds[j])
                record = {
                    "id": ids[j],
                    "pipeline_tag": "image-classification" if image[j] else "text-classification",
                    "library_name": ("timm" if fam[j] % 4 == 1 else "transformers")
                    if image[j]
                    else "transformers",
                    "downloads": int(downloads[j]),
                    "likes": int(likes[j]),
                    "config": {"architectures": [family[1]], "model_type": family[0].split("-")[0]},
                    "safetensors": {"total": SIZES[size[j]][1] + pick % 1000},
                    "card_data": {"datasets": list(dict.fromkeys(pre))},
                }
                lines.append(json.dumps(record))
            f.write("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--datasets", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hostile", type=float, default=0.0, help="Fraction of ids with hostile characters.")
    ap.add_argument("--model-skew", type=float, default=1.1, help="Power-law exponent of model popularity.")
    ap.add_argument(
        "--dataset-skew", type=float, default=1.0, help="Power-law exponent of dataset popularity."
    )
    args = ap.parse_args(argv)
    if args.models < 1 or args.datasets < 1 or args.runs < 0:
        ap.error("--models and --datasets must be at least 1, --runs at least 0")
    args.out.mkdir(parents=True, exist_ok=True)
    zoo = Zoo(args.models, args.datasets, args.seed, args.hostile, args.model_skew, args.dataset_skew)
    started = time.monotonic()
    write_runs(zoo, args.runs, args.out / "runs.csv")
    write_models(zoo, args.out / "hf-models.jsonl")
    print(
        f"{args.out / 'runs.csv'}: {args.runs} runs; {args.out / 'hf-models.jsonl'}: {args.models} models "
        f"({time.monotonic() - started:.1f}s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
