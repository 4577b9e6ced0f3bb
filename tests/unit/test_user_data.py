"""Reading a user's dataset: tables of texts, folders of images, and one clear line for each bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from transfergraph.errors import InvalidInput, TGError
from transfergraph.userdata.data import UserData, read


def write_csv(path: Path, rows: list[list[object]], header: tuple[str, ...] = ("text", "label")) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def image_folder(root: Path, per_class: dict[str, int], suffix: str = ".png") -> Path:
    for c, (name, count) in enumerate(per_class.items()):
        (root / name).mkdir(parents=True)
        for i in range(count):
            Image.new("RGB", (8, 6), (40 * c, 10 * i, 0)).save(root / name / f"img{i}{suffix}")
    return root


def one_line(e: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(e.value)
    assert text and "\n" not in text, text
    return text


# ---- text tables


def test_csv_reads_texts_labels_and_classes(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.csv", [["good film", "pos"], ["bad film", "neg"], ["fine, I guess", "pos"]]
    )
    data = read(path, "text")
    assert isinstance(data, UserData)
    assert data.items == ["good film", "bad film", "fine, I guess"]
    assert data.classes == ["neg", "pos"]
    assert data.labels.tolist() == [1, 0, 1] and data.labels.dtype == np.int64
    assert (data.source, data.modality, data.num_samples, data.sample_seed) == (str(path), "text", 3, 0)


def test_integer_labels_keep_their_ids(tmp_path: Path) -> None:
    rows = [[f"t{i}", i % 11] for i in range(22)]
    data = read(write_csv(tmp_path / "d.csv", rows), "text")
    assert data.classes == [str(i) for i in range(11)]  # numeric order: "10" after "9"
    assert data.labels.tolist() == [i % 11 for i in range(22)]


def test_parquet_and_jsonl_with_other_column_names(tmp_path: Path) -> None:
    frame = pd.DataFrame({"sentence": ["a b", "c d", "e f", "g h"], "y": [1, 0, 1, 1], "extra": [0.1] * 4})
    frame.to_parquet(tmp_path / "d.parquet")
    data = read(tmp_path / "d.parquet", "text", label_col="y", text_col="sentence")
    assert data.items == ["a b", "c d", "e f", "g h"] and data.classes == ["0", "1"]
    assert data.labels.tolist() == [1, 0, 1, 1]
    lines = [
        json.dumps({"sentence": s, "y": y})
        for s, y in zip(frame["sentence"], ["x", "y", "x", "z"], strict=True)
    ]
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = read(tmp_path / "d.jsonl", "text", label_col="y", text_col="sentence")
    assert data.classes == ["x", "y", "z"] and data.labels.tolist() == [0, 1, 0, 2]


def test_sample_is_seeded_and_in_source_order(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [[f"text {i}", i % 3] for i in range(100)])
    a = read(path, "text", sample=10, seed=7)
    b = read(path, "text", sample=10, seed=7)
    c = read(path, "text", sample=10, seed=8)
    assert a.items == b.items and a.labels.tolist() == b.labels.tolist()
    assert a.items != c.items
    assert a.num_samples == 100 and len(a.items) == 10 and a.sample_seed == 7
    picked = [int(t.split()[1]) for t in a.items]
    assert picked == sorted(picked)
    expected = np.sort(np.random.default_rng(7).choice(100, size=10, replace=False)).tolist()
    assert picked == expected
    assert [p % 3 for p in picked] == a.labels.tolist()
    assert a.classes == ["0", "1", "2"]  # the whole source's classes


@pytest.mark.parametrize(
    ("rows", "kwargs", "expected"),
    [
        ([["a", "x"], ["b", ""]], {}, r"d\.csv:3: column 'label': empty label"),
        ([["a", "x"], ["   ", "y"]], {}, r"d\.csv:3: column 'text': empty text \(only whitespace\)"),
        (
            [["a", "x"], ["", "y"], ["", "z"]],
            {},
            r"d\.csv:3: column 'text': empty text \(and 1 more like it\)",
        ),
        ([["a", "x"], ["b", "x"]], {}, r"d\.csv: column 'label': only one class \('x'\) in 2 rows"),
        (
            [["a", "x"]],
            {"label_col": "class"},
            r"d\.csv:1: column 'class': no label column \(columns: 'text', 'label'\)",
        ),
        (
            [["a", "x"]],
            {"text_col": "body"},
            r"d\.csv:1: column 'body': no text column \(columns: 'text', 'label'\)",
        ),
    ],
    ids=["empty-label", "blank-text", "several", "one-class", "no-label-column", "no-text-column"],
)
def test_bad_csv_is_one_line_with_row_and_column(
    tmp_path: Path, rows: list[list[object]], kwargs: dict[str, str], expected: str
) -> None:
    with pytest.raises(InvalidInput, match=expected) as e:
        read(write_csv(tmp_path / "d.csv", rows), "text", **kwargs)  # type: ignore[arg-type]
    assert one_line(e).startswith(str(tmp_path / "d.csv"))


def test_bad_parquet_cells_name_the_data_row(tmp_path: Path) -> None:
    pd.DataFrame({"text": ["a", "b", "c"], "label": [1.0, None, 2.0]}).to_parquet(tmp_path / "d.parquet")
    with pytest.raises(InvalidInput, match=r"d\.parquet:2: column 'label': empty label") as e:
        read(tmp_path / "d.parquet", "text")
    one_line(e)
    (tmp_path / "n.jsonl").write_text(
        '{"text": "a", "label": 1}\n{"text": 5, "label": 2}\n', encoding="utf-8"
    )
    with pytest.raises(InvalidInput, match=r"n\.jsonl:2: column 'text': expected text, got int 5") as e:
        read(tmp_path / "n.jsonl", "text")
    (tmp_path / "l.jsonl").write_text(
        '{"text": "a", "label": [1]}\n{"text": "b", "label": 2}\n', encoding="utf-8"
    )
    with pytest.raises(
        InvalidInput, match=r"l\.jsonl:1: column 'label': expected a class name or number, got list"
    ):
        read(tmp_path / "l.jsonl", "text")


def test_empty_and_missing_tables(tmp_path: Path) -> None:
    header_only = write_csv(tmp_path / "h.csv", [])
    with pytest.raises(InvalidInput, match=r"h\.csv: file has a header but no rows") as e:
        read(header_only, "text")
    one_line(e)
    with pytest.raises(InvalidInput, match=r"nope\.csv: (file )?not found") as e:
        read(tmp_path / "nope.csv", "text")
    one_line(e)
    with pytest.raises(InvalidInput, match="is a directory") as e:
        read(tmp_path, "text")
    one_line(e)
    pd.DataFrame({"text": pd.Series([], dtype=str), "label": pd.Series([], dtype=int)}).to_parquet(
        tmp_path / "e.parquet"
    )
    with pytest.raises(InvalidInput, match=r"e\.parquet: file has no rows"):
        read(tmp_path / "e.parquet", "text")


def test_a_sample_with_one_class_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [[f"t{i}", "a" if i < 39 else "b"] for i in range(40)])
    with pytest.raises(
        InvalidInput, match=r"d\.csv: the sample of 2 of 40 items \(seed 0\) holds only class 'a'"
    ):
        read(path, "text", sample=2, seed=0)


def test_bad_arguments(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [["a", "x"], ["b", "y"]])
    with pytest.raises(TGError, match="unknown modality 'audio': expected one of image, text"):
        read(path, "audio")
    for bad in (1, 0, -5):
        with pytest.raises(TGError, match=f"sample size {bad}: must be an integer of at least 2"):
            read(path, "text", sample=bad)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.text(
                alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1
            )
            .map(lambda s: s.replace("\r", " "))
            .filter(lambda s: s.strip() != ""),
            st.sampled_from(["cat", "dog", "3", "bird"]),
        ),
        min_size=2,
        max_size=30,
    ).filter(lambda rows: len({label for _, label in rows}) >= 2),
    sample=st.integers(min_value=2, max_value=40),
    seed=st.integers(min_value=0, max_value=2**31),
)
def test_csv_round_trip(tmp_path: Path, rows: list[tuple[str, str]], sample: int, seed: int) -> None:
    """Any texts (quotes, commas, newlines, unicode) come back as written; labels index the classes."""
    path = write_csv(tmp_path / "p.csv", [list(r) for r in rows])
    keep = np.arange(len(rows))
    if len(rows) > sample:
        keep = np.sort(np.random.default_rng(seed).choice(len(rows), size=sample, replace=False))
    if len({rows[i][1] for i in keep}) < 2:
        with pytest.raises(InvalidInput, match="holds only class"):
            read(path, "text", sample=sample, seed=seed)
        return
    data = read(path, "text", sample=sample, seed=seed)
    assert data.num_samples == len(rows)
    assert data.items == [rows[i][0] for i in keep]
    assert [data.classes[k] for k in data.labels] == [rows[i][1] for i in keep]
    assert data.classes == sorted({label for _, label in rows})


# ---- image folders


def test_image_folder(tmp_path: Path) -> None:
    root = image_folder(tmp_path / "imgs", {"cat": 3, "dog": 2})
    (root / "dog" / "nested").mkdir()
    Image.new("L", (5, 5)).save(root / "dog" / "nested" / "x.JPG", format="JPEG")
    (root / "dog" / "notes.txt").write_text("not an image")
    (root / "dog" / ".hidden.png").write_bytes(b"junk")
    (root / ".thumbs").mkdir()
    (root / "README.md").write_text("ignored")
    data = read(root, "image")
    assert data.classes == ["cat", "dog"] and data.modality == "image"
    assert [p.relative_to(root).as_posix() for p in data.items] == [
        "cat/img0.png", "cat/img1.png", "cat/img2.png", "dog/img0.png", "dog/img1.png", "dog/nested/x.JPG",
    ]  # fmt: skip
    assert data.labels.tolist() == [0, 0, 0, 1, 1, 1] and data.num_samples == 6
    sampled = read(root, "image", sample=3, seed=1)
    assert len(sampled.items) == 3 and sampled.num_samples == 6


def test_corrupt_image_is_named(tmp_path: Path) -> None:
    root = image_folder(tmp_path / "imgs", {"a": 2, "b": 2})
    (root / "b" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(InvalidInput, match=r"b/broken\.png: not a readable image") as e:
        read(root, "image")
    one_line(e)
    truncated = root / "a" / "cut.jpg"
    Image.new("RGB", (64, 64), (200, 10, 10)).save(truncated, format="JPEG")
    truncated.write_bytes(truncated.read_bytes()[:200])
    (root / "b" / "broken.png").unlink()
    with pytest.raises(InvalidInput, match=r"a/cut\.jpg: not a readable image") as e:
        read(root, "image")
    one_line(e)


def test_corrupt_image_outside_the_sample_is_not_decoded(tmp_path: Path) -> None:
    root = image_folder(tmp_path / "imgs", {"a": 20, "b": 20})
    (root / "b" / "zz.png").write_bytes(b"junk")
    data = read(root, "image", sample=6, seed=0)  # zz.png is item 40 of 41; seed 0 picks 1 ... 30
    assert len(data.items) == 6 and all(p.name != "zz.png" for p in data.items)
    with pytest.raises(InvalidInput, match=r"zz\.png: not a readable image"):
        read(root, "image")


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("file", r"x\.png: is a file, not a folder of class folders"),
        ("flat", r"imgs/i\.png: image is not inside a class folder"),
        ("no-folders", r"imgs: is not a folder of class folders: no sub-folders"),
        ("all-empty", r"imgs: no images in any class folder"),
        ("one-empty", r"imgs/b: class folder has no images"),
        ("one-class", r"imgs: only one class folder \('a'\)"),
        ("missing", r"nope: not found"),
    ],
)
def test_bad_image_folders_are_one_line(tmp_path: Path, layout: str, expected: str) -> None:
    root = tmp_path / "imgs"
    if layout == "file":
        root = tmp_path / "x.png"
        Image.new("RGB", (4, 4)).save(root)
    elif layout == "flat":
        root.mkdir()
        Image.new("RGB", (4, 4)).save(root / "i.png")
        (root / "a").mkdir()
    elif layout == "no-folders":
        root.mkdir()
        (root / "notes.txt").write_text("x")
    elif layout == "all-empty":
        (root / "a").mkdir(parents=True)
        (root / "b").mkdir()
    elif layout == "one-empty":
        image_folder(root, {"a": 2})
        (root / "b").mkdir()
    elif layout == "one-class":
        image_folder(root, {"a": 2})
    else:
        root = tmp_path / "nope"
    with pytest.raises(InvalidInput, match=expected) as e:
        read(root, "image")
    one_line(e)
