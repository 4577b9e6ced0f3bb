"""A Hugging Face dataset as a user's data, offline: `hf:REPO[:CONFIG][:SPLIT]` read from a copy in
the hub cache, or a folder holding a local copy of a Hub repository (a dataset card and parquet
shards), both read through the `datasets` library; and `source.parse_source`, the one place that
knows `hf:`, refusing every reference whose REPO is not a Hub id."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transfergraph.errors import ParameterError
from transfergraph.userdata.source import HubRef, is_hub_copy, is_repo_id, parse_source, source_text

TEXTS = [f"review number {i} {'good' if i % 3 else 'bad'}" for i in range(30)]
LABELS = [int(i % 3 != 0) for i in range(30)]
REVIEWS = {"train": {"sentence": TEXTS, "idx": list(range(30)), "label": LABELS},
           "test": {"sentence": TEXTS[:4], "idx": list(range(4)), "label": [-1] * 4}}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hf:owner/name", HubRef("owner/name")),
        ("hf:beans", HubRef("beans")),
        ("hf:nyu-mll/glue:cola", HubRef("nyu-mll/glue", "cola")),
        ("hf:beans::test", HubRef("beans", None, "test")),
        ("hf:cardiffnlp/tweet_eval:irony:train", HubRef("cardiffnlp/tweet_eval", "irony", "train")),
        ("hf:_x.y-z_/a1.b_c", HubRef("_x.y-z_/a1.b_c")),
        ("hf:" + "a" * 96 + "/" + "b" * 96, HubRef("a" * 96 + "/" + "b" * 96)),
    ],
)
def test_hub_ids_parse_and_print_back(text: str, expected: HubRef) -> None:
    assert parse_source(text) == expected
    assert str(expected) == text == source_text(expected)


@pytest.mark.parametrize(
    "text",
    [
        "hf:", "hf::cola", "hf:a:b:c:d",
        # paths are no Hub ids, whether they exist or not
        "hf:../../etc/passwd", "hf:/abs/path", "hf:./x", "hf:.", "hf:..", "hf:~/x", "hf:a/b/c", "hf:a\\b",
        "hf:C:\\data", "hf:/", "hf:owner/",
        # the Hub's naming rules
        "hf:-a", "hf:a-", "hf:.a", "hf:a.", "hf:a--b", "hf:a..b", "hf:a.git", "hf:" + "a" * 97,
        "hf:own er/name", "hf:owner/näme", "hf:owner/name:con fig", "hf:owner/name:cola:tr/ain",
    ],
)  # fmt: skip
def test_what_is_no_hub_id_is_refused_in_one_line(text: str) -> None:
    with pytest.raises(ParameterError, match="no Hugging Face Hub id") as e:
        parse_source(text)
    assert e.value.parameter == "source" and "\n" not in str(e.value)
    assert "hf:REPO[:CONFIG][:SPLIT]" in str(e.value) and "without hf:" in str(e.value)


def test_an_existing_folder_named_after_hf_is_still_a_hub_id_or_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old reader turned an `hf:` REPO that is a folder into that folder; now it never does."""
    (tmp_path / "owner" / "name").mkdir(parents=True)
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert parse_source("hf:owner/name") == HubRef("owner/name")
    with pytest.raises(ParameterError):
        parse_source("hf:../owner/name")
    with pytest.raises(ParameterError):
        parse_source(f"hf:{tmp_path / 'owner'}")


def test_anything_else_is_a_path_and_a_path_passes_through(tmp_path: Path) -> None:
    assert parse_source("owner/name") == Path("owner/name")
    assert parse_source("HF:owner/name") == Path("HF:owner/name")
    assert parse_source(tmp_path) is tmp_path
    ref = HubRef("beans")
    assert parse_source(ref) is ref
    assert source_text(Path("rel")) == str(Path("rel").resolve())


SOURCE_CHARS = st.sampled_from([*"ab-_.:/\\~ \n\t\x00Zé9", "..", "--", "hf:", ".git"])
# Near misses: repo ids, paths and the two separators (about one in six examples parses as a HubRef).
ID_LIKE = st.from_regex(r"[a-z0-9_.~/-]{1,12}(:[a-z. /]{0,4}){0,3}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), ID_LIKE, st.lists(SOURCE_CHARS, max_size=12).map("".join)), st.booleans())
def test_parse_source_refuses_in_one_line_or_never_returns_a_path_as_a_repo(tail: str, hub: bool) -> None:
    text = ("hf:" if hub else "") + tail
    try:
        got = parse_source(text)
    except ParameterError as e:
        assert text.startswith("hf:") and e.parameter == "source" and "\n" not in str(e)
        return
    if not text.startswith("hf:"):
        assert got == Path(text)
        return
    assert isinstance(got, HubRef) and is_repo_id(got.repo)
    assert got.repo.count("/") <= 1 and not Path(got.repo).is_absolute() and "\\" not in got.repo
    assert all(part not in ("", ".", "..", "~") for part in got.repo.split("/"))
    assert not got.repo.startswith((".", "-", "~")) and parse_source(str(got)) == got


def test_only_source_py_knows_the_hf_prefix() -> None:
    """No other module of the package compares or builds the `hf:` prefix: a string constant "hf:"
    appears in `userdata/source.py` only (help texts and docstrings may show the syntax)."""
    import transfergraph

    root = Path(transfergraph.__file__).parent
    texts = {f: f.read_text(encoding="utf-8") for f in root.rglob("*.py")}
    holders = {
        str(f.relative_to(root))
        for f, text in texts.items()
        if "hf:" in text
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Constant) and node.value == "hf:"
    }
    assert holders == {"userdata/source.py"}


def test_data_to_hub_is_the_only_edge_between_the_readers() -> None:
    """data.py reads Hub datasets through hub.py; hub.py, and what both share (sample.py, source.py),
    import neither back, so there is no circle."""
    import transfergraph.userdata as package

    def imported(name: str) -> set[str]:
        tree = ast.parse((Path(package.__file__).parent / f"{name}.py").read_text(encoding="utf-8"))
        found = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        found |= {
            f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names
        }
        return {m.rsplit(".", 1)[-1] for m in found if m.startswith("transfergraph.userdata.")}

    readers = {"data", "hub", "sample", "source"}
    edges = {name: imported(name) & readers for name in readers}
    assert edges == {"data": {"hub", "sample", "source"}, "hub": {"sample", "source"}, "sample": set(),
                     "source": set()}  # fmt: skip


def test_a_hub_copy_is_told_apart_by_its_dataset_card(tmp_path: Path) -> None:
    card = tmp_path / "card"
    card.mkdir()
    assert not is_hub_copy(card) and not is_hub_copy(tmp_path / "missing")
    for text, expected in [
        ("---\nconfigs:\n- config_name: default\n---\n", True),
        ("\ufeff---\r\ndataset_info:\r\n  features: []\r\n---\r\n", True),
        ("---\nlicense: mit\n---\nconfigs: not in the front matter\n", False),
        ("---\nlicense: mit\nextra:\n  configs: nested\n---\n", False),
        ("# A README\n---\nconfigs:\n---\n", False),
        ("", False),
    ]:
        (card / "README.md").write_text(text, encoding="utf-8")
        assert is_hub_copy(card) is expected, text


# --- reading, through the `datasets` library --------------------------------------------------------

datasets = pytest.importorskip("datasets")

from PIL import Image  # noqa: E402  (the [hf] extra, as datasets)

from transfergraph.errors import DownloadError, InvalidInput, TGError  # noqa: E402
from transfergraph.userdata import data  # noqa: E402

from support import hub_layout, hub_snapshot, png, write_csv  # noqa: E402


@pytest.fixture(autouse=True)
def offline_cache(tmp_path: Path) -> Iterator[None]:
    """Offline, with the `datasets` cache and the hub cache in the test's folder (both libraries read
    their settings at import)."""
    import huggingface_hub.constants

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(datasets.config, "HF_HUB_OFFLINE", True)
        mp.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
        mp.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
        mp.setenv("HF_DATASETS_OFFLINE", "1")
        yield


@pytest.fixture
def reviews(tmp_path: Path) -> Path:
    """A local copy of a Hub dataset repository (as `hf download --local-dir` leaves it)."""
    return hub_layout(tmp_path / "reviews", REVIEWS, class_names=["neg", "pos"])


@pytest.fixture
def cached(tmp_path: Path) -> str:
    """`owner/reviews` in the hub cache, as a download left it."""
    hub_snapshot(tmp_path / "hub", "owner/reviews", REVIEWS, class_names=["neg", "pos"])
    return "hf:owner/reviews"


def test_a_hub_copy_folder_reads_like_the_same_table(reviews: Path, tmp_path: Path) -> None:
    """Given as the plain folder (a Path or its text): columns found from the features (the text is
    `sentence`, the classes the ClassLabel's names), and the same seeded sample as the same rows read
    from a CSV file."""
    got = data.read(reviews, "text", sample=10, seed=3)
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
    assert got.source == str(reviews)
    again = data.read(str(reviews), "text", sample=10, seed=3)
    assert again.items == got.items and again.source == str(reviews)


def test_a_hub_id_reads_from_the_hub_cache_like_the_copy(reviews: Path, cached: str) -> None:
    got = data.read(cached, "text", sample=10, seed=3)
    copy = data.read(reviews, "text", sample=10, seed=3)
    assert got.items == copy.items and got.labels.tolist() == copy.labels.tolist()
    assert got.source == "hf:owner/reviews"


def test_string_labels_and_given_columns(tmp_path: Path) -> None:
    folder = hub_layout(
        tmp_path / "s", {"train": {"body": TEXTS, "title": TEXTS, "stars": [str(y) for y in LABELS]}}
    )
    got = data.read(folder, "text", label_col="stars", text_col="title")
    assert got.classes == ["0", "1"] and got.items == TEXTS and got.text_col == "title"
    with pytest.raises(TGError, match=r"^label_col: none given and none found"):
        data.read(folder, "text")


def test_images_are_decoded_from_the_parquet_bytes(tmp_path: Path) -> None:
    images = [png(40 if i % 2 else 210, i) for i in range(8)]
    folder = hub_layout(tmp_path / "img", {"train": {"img": images, "label": [i % 2 for i in range(8)]}},
                        class_names=["light", "dark"], image_col="img")  # fmt: skip
    got = data.read(folder, "image", sample=6, seed=0)
    assert len(got.items) == 6 and all(isinstance(i, Image.Image) and i.mode == "RGB" for i in got.items)
    assert got.classes == ["light", "dark"] and got.text_col is None


def test_an_image_folder_with_a_plain_readme_is_still_an_image_folder(tmp_path: Path) -> None:
    for i, cls in enumerate(["a", "a", "b", "b"]):
        (tmp_path / "imgs" / cls).mkdir(parents=True, exist_ok=True)
        (tmp_path / "imgs" / cls / f"{i}.png").write_bytes(png(50 + 50 * i, i))
    (tmp_path / "imgs" / "README.md").write_text("---\nlicense: mit\n---\n# my photos\n", encoding="utf-8")
    got = data.read(tmp_path / "imgs", "image")
    assert got.classes == ["a", "b"] and all(isinstance(p, Path) for p in got.items)


def test_a_corrupt_image_names_its_row_and_column(tmp_path: Path) -> None:
    images = [png(100, i) for i in range(4)] + [b"not a png"]
    folder = hub_layout(tmp_path / "img", {"train": {"img": images, "label": [0, 1, 0, 1, 0]}},
                        class_names=["a", "b"], image_col="img", shards=1)  # fmt: skip
    with pytest.raises(InvalidInput) as e:
        data.read(folder, "image")
    assert str(e.value).startswith(f"{folder}:5: column 'img': not a readable image")


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [
        ("::test", ":1: column 'label': label -1 is not a class (an unlabelled split?"),
        ("::validation", 'Unknown split "validation"'),
        (":nope", "'nope' not found"),
    ],
)
def test_bad_splits_and_configs_are_one_line(cached: str, suffix: str, expected: str) -> None:
    with pytest.raises((TGError, InvalidInput)) as e:
        data.read(f"{cached}{suffix}", "text")
    assert expected in str(e.value) and "\n" not in str(e.value)


def test_an_uncached_hub_dataset_offline_says_how_to_give_a_folder() -> None:
    with pytest.raises(DownloadError) as e:
        data.read("hf:nobody/no-such-dataset", "text")
    text = str(e.value)
    assert "\n" not in text and "offline" in text and "--from DIR" in text and "hf:DIR" not in text


def test_a_path_as_a_hub_reference_is_refused_before_reading(reviews: Path) -> None:
    with pytest.raises(ParameterError, match="no Hugging Face Hub id"):
        data.read(f"hf:{reviews}", "text")
    with pytest.raises(ParameterError, match="no Hugging Face Hub id"):
        data.read("hf:../../etc/passwd", "text")


def test_an_image_dataset_without_images_is_refused(reviews: Path) -> None:
    with pytest.raises(TGError, match="no image column found"):
        data.read(reviews, "image")
