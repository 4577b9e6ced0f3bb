"""A Hugging Face dataset as a user's data (`hf:REPO[:CONFIG][:SPLIT]`), offline: folders laid out as
Hub repositories (a dataset card and parquet shards), read through the `datasets` library."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("datasets")

import datasets
from PIL import Image

from transfergraph.errors import DownloadError, InvalidInput, TGError
from transfergraph.userdata import data, hub

from support import hub_layout, png, write_csv

TEXTS = [f"review number {i} {'good' if i % 3 else 'bad'}" for i in range(30)]
LABELS = [int(i % 3 != 0) for i in range(30)]


@pytest.fixture(autouse=True)
def offline_cache(tmp_path: Path) -> Iterator[None]:
    """Offline, with the `datasets` cache in the test's folder (the library read its settings at import)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(datasets.config, "HF_HUB_OFFLINE", True)
        mp.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
        mp.setenv("HF_DATASETS_OFFLINE", "1")
        yield


@pytest.fixture
def reviews(tmp_path: Path) -> Path:
    return hub_layout(
        tmp_path / "reviews",
        {"train": {"sentence": TEXTS, "idx": list(range(30)), "label": LABELS},
         "test": {"sentence": TEXTS[:4], "idx": list(range(4)), "label": [-1] * 4}},
        class_names=["neg", "pos"],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hf:owner/name", hub.HubRef("owner/name")),
        ("hf:nyu-mll/glue:cola", hub.HubRef("nyu-mll/glue", "cola")),
        ("hf:beans::test", hub.HubRef("beans", None, "test")),
        ("hf:cardiffnlp/tweet_eval:irony:train", hub.HubRef("cardiffnlp/tweet_eval", "irony", "train")),
    ],
)
def test_references_parse_and_print_back(text: str, expected: hub.HubRef) -> None:
    assert hub.parse(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize("text", ["hf:", "hf::cola", "hf:a:b:c:d", "owner/name"])
def test_bad_references_are_one_line(text: str) -> None:
    with pytest.raises(TGError, match="hf:REPO") as e:
        hub.parse(text)
    assert "\n" not in str(e.value)


def test_a_hub_layout_folder_reads_like_the_same_table(reviews: Path, tmp_path: Path) -> None:
    """Columns found from the features (the text is `sentence`, the classes the ClassLabel's names),
    and the same seeded sample as the same rows read from a CSV file."""
    got = data.read(f"hf:{reviews}", "text", sample=10, seed=3)
    table = write_csv(tmp_path / "same.csv", ["sentence", "label"],
                      [[t, ["neg", "pos"][y]] for t, y in zip(TEXTS, LABELS, strict=True)])  # fmt: skip
    same = data.read(table, "text", text_col="sentence", sample=10, seed=3)
    assert got.items == same.items and got.labels.tolist() == same.labels.tolist()
    assert (got.classes, got.num_samples, got.text_col, got.label_col) == (
        ["neg", "pos"],
        30,
        "sentence",
        "label",
    )
    assert got.source == f"hf:{reviews}"


def test_string_labels_and_given_columns(tmp_path: Path) -> None:
    folder = hub_layout(
        tmp_path / "s", {"train": {"body": TEXTS, "title": TEXTS, "stars": [str(y) for y in LABELS]}}
    )
    got = data.read(f"hf:{folder}:default:train", "text", label_col="stars", text_col="title")
    assert got.classes == ["0", "1"] and got.items == TEXTS and got.text_col == "title"
    with pytest.raises(TGError, match=r"^label_col: none given and none found"):
        data.read(f"hf:{folder}", "text")


def test_images_are_decoded_from_the_parquet_bytes(tmp_path: Path) -> None:
    images = [png(40 if i % 2 else 210, i) for i in range(8)]
    folder = hub_layout(tmp_path / "img", {"train": {"img": images, "label": [i % 2 for i in range(8)]}},
                        class_names=["light", "dark"], image_col="img")  # fmt: skip
    got = data.read(f"hf:{folder}", "image", sample=6, seed=0)
    assert len(got.items) == 6 and all(isinstance(i, Image.Image) and i.mode == "RGB" for i in got.items)
    assert got.classes == ["light", "dark"] and got.text_col is None


def test_a_corrupt_image_names_its_row_and_column(tmp_path: Path) -> None:
    images = [png(100, i) for i in range(4)] + [b"not a png"]
    folder = hub_layout(tmp_path / "img", {"train": {"img": images, "label": [0, 1, 0, 1, 0]}},
                        class_names=["a", "b"], image_col="img", shards=1)  # fmt: skip
    with pytest.raises(InvalidInput) as e:
        data.read(f"hf:{folder}", "image")
    assert str(e.value).startswith(f"hf:{folder}:5: column 'img': not a readable image")


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [
        ("::test", ":1: column 'label': label -1 is not a class (an unlabelled split?"),
        ("::validation", 'Unknown split "validation"'),
        (":nope", "'nope' not found"),
    ],
)
def test_bad_splits_and_configs_are_one_line(reviews: Path, suffix: str, expected: str) -> None:
    with pytest.raises((TGError, InvalidInput)) as e:
        data.read(f"hf:{reviews}{suffix}", "text")
    assert expected in str(e.value) and "\n" not in str(e.value)


def test_an_uncached_hub_dataset_offline_says_how_to_give_a_folder() -> None:
    with pytest.raises(DownloadError) as e:
        data.read("hf:nobody/no-such-dataset", "text")
    text = str(e.value)
    assert "\n" not in text and "offline" in text and "--from DIR" in text


def test_an_image_dataset_without_images_is_refused(reviews: Path) -> None:
    with pytest.raises(TGError, match="no image column found"):
        data.read(f"hf:{reviews}", "image")
