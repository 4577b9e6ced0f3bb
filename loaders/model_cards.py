"""Fine-tuning runs from Hugging Face model cards (docs/model-cards.md: the rules, with the counts on
a real crawl).

A fine-tuned model's card names its base model (`base_model`, or in older cards only the text's
"fine-tuned version of [X](...)") and, in its `model-index`, the results it reached. Each result
with a chosen metric is a FINETUNED_ON run from the base model to the result's dataset; the
fine-tuned model gets a FINETUNED_FROM edge to its base.

Two kinds of bad input, told apart (issue 27):
- a machine-made file that is not what it claims (a JSONL line that is not JSON, a record without
  a model id, `card_data` that is not an object) is refused whole: InvalidInput, one line per
  problem naming the file, line and field, nothing written;
- a card a person wrote that cannot become a run (front matter that does not parse, a result on
  `imagefolder`, a metric value that is no number) is skipped and counted by reason; the rest loads.

Cards are read one at a time (`outcomes`): what is kept is the runs and nodes, never the cards.
`huggingface_hub` (the `hf` extra) parses the cards and is imported only by the functions here.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from transfergraph.errors import InvalidInput, MissingExtra, Problem
from transfergraph.loaders.guarded_json import parse_json
from transfergraph.loaders.paper_zoo import canonical_dataset
from transfergraph.loaders.records import MODALITIES, Records
from transfergraph.loaders.storable import key_problem, value_problem

SOURCE = "model-cards"
# The result's task type -> modality (lower-cased, spaces and underscores read as hyphens)
TASK_MODALITY = {"image-classification": "image", "text-classification": "text"}
# Dataset types that name a builder or a local folder, not a dataset: no run can join them
NO_IDENTITY = frozenset(
    {"", "none", "null", "imagefolder", "image_folder", "audiofolder", "audio_folder", "videofolder",
     "generator", "csv", "json", "parquet", "text", "arrow", "pandas", "webdataset"}
)  # fmt: skip
# Collections whose type alone says nothing of which task: a result needs their config
NEEDS_CONFIG = frozenset({"glue", "super_glue", "tweet_eval", "xglue", "xtreme", "clue", "indonlu"})
# Configs that name the dataset's only (default) configuration: not part of its id
DEFAULT_CONFIGS = frozenset({"", "default", "plain_text"})
# "fine-tuned version of [X](LINK)", the sentence the Trainer's card template writes
FINETUNED_VERSION = re.compile(r"fine-tuned version of \[([^\]\n]*)\]\(([^)\s]*)\)", re.IGNORECASE)
HUB_LINK = re.compile(r"^https?://(?:www\.)?huggingface\.co/([^?#]+?)/?(?:[?#].*)?$")
MODEL_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")
PLUS_MINUS = re.compile(r"\s*(?:±|\+/-|\+-)\s*")
DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")


@dataclass(frozen=True)
class Rules:
    """What becomes a run: `metrics` (lower-case metric types), one `modality` or both, and cards
    last modified at or after `since` (cards with no date are always read)."""

    metrics: tuple[str, ...] = ("accuracy",)
    modality: str | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class Run:
    run_id: str
    base: str
    dataset: str
    modality: str
    props: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What one card gave: its runs, or why none (`skip`); why each other result was skipped; the
    normalisations applied (one per run they made)."""

    model: str
    where: str
    last_modified: str | None
    runs: tuple[Run, ...] = ()
    base: str | None = None
    base_from: str | None = None  # "base_model" or "text"
    skip: str | None = None
    results: int = 0  # eval results read (a malformed model-index result counts one)
    skipped: tuple[tuple[str, str], ...] = ()  # (reason, detail) per result not made a run
    normalised: tuple[str, ...] = ()


@dataclass
class Tally:
    """The loader's account: every card read is in `with_runs` or `cards_skipped`; every result in
    `runs` or `results_skipped`. `report` lists each skipped card and result (`--report FILE`)."""

    cards: int = 0
    with_runs: int = 0
    cards_skipped: Counter[str] = field(default_factory=Counter)
    results: int = 0
    runs: int = 0
    results_skipped: Counter[str] = field(default_factory=Counter)
    normalised: Counter[str] = field(default_factory=Counter)
    base_from: Counter[str] = field(default_factory=Counter)
    last_modified: str | None = None  # the latest of the cards read (a later `since`)
    # `--report`: where each skipped card and result is written as it is read (None: not kept)
    report: IO[str] | None = None

    def add(self, o: Outcome) -> None:
        self.cards += 1
        if o.last_modified is not None and (
            self.last_modified is None or o.last_modified > self.last_modified
        ):
            self.last_modified = o.last_modified
        self.results += o.results
        self.runs += len(o.runs)
        for reason, detail in o.skipped:
            self.results_skipped[reason] += 1
            self._report(o, "result", reason, detail)
        self.normalised.update(o.normalised)
        if o.skip is not None:
            self.cards_skipped[o.skip] += 1
            self._report(o, "card", o.skip, o.base or "")
        else:
            self.with_runs += 1
            self.base_from[o.base_from or ""] += 1

    def balanced(self) -> bool:
        return self.cards == self.with_runs + sum(self.cards_skipped.values()) and self.results == (
            self.runs + sum(self.results_skipped.values())
        )

    def _report(self, o: Outcome, level: str, reason: str, detail: str) -> None:
        """One TSV line per skipped card or result: where, model, card|result, reason, detail."""
        if self.report is not None:
            self.report.write("\t".join(_cell(c) for c in (o.where, o.model, level, reason, detail)) + "\n")


def _cell(text: str) -> str:
    return re.sub(r"[\t\r\n]+", " ", text)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- one card ---------------------------------------------------------------------------------------


def _hub() -> Any:
    try:
        from huggingface_hub import repocard_data
    except ImportError:
        raise MissingExtra("huggingface_hub", "hf", "reading model cards") from None
    return repocard_data


def _card_data(data: dict[str, Any]) -> Any:
    """The front matter as huggingface_hub's ModelCardData (its model-index is read per result by
    `_results`, so that one malformed result does not lose the card's others)."""
    rest = {k: v for k, v in data.items() if isinstance(k, str) and k != "model-index"}
    for reserved in ("self", "ignore_metadata_errors", "eval_results", "model_name"):
        rest.pop(reserved, None)
    return _hub().ModelCardData(ignore_metadata_errors=True, **rest)


def _results(model: str, model_index: Any) -> Iterator[Any]:
    """Each result of a model-index as huggingface_hub's EvalResults (one per metric), or a string:
    why that result could not be read."""
    to_results = _hub().model_index_to_eval_results
    if not isinstance(model_index, list):
        yield f"model-index is {type(model_index).__name__}, not a list"
        return
    for entry in model_index:
        if isinstance(entry, dict) and isinstance(entry.get("results"), list):
            name = entry.get("name") if isinstance(entry.get("name"), str) else model
            pieces = [[{"name": name, "results": [r]}] for r in entry["results"]]
        else:
            pieces = [[entry]]
        for piece in pieces:
            try:
                _, found = to_results(piece)
            except KeyError as e:
                yield f"model-index result has no {e.args[0]!r}"
                continue
            except (TypeError, ValueError, AttributeError) as e:
                yield f"model-index result is malformed ({type(e).__name__})"
                continue
            yield from found


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) else None


def _task_modality(task: Any) -> str | None:
    name = _text(task)
    return TASK_MODALITY.get(re.sub(r"[\s_]+", "-", name.lower())) if name else None


def _dataset_id(result: Any) -> tuple[str | None, str | None, list[str]]:
    """(dataset id, why none, normalisations): `TYPE`, or `TYPE/CONFIG` for a config that is not
    the default one; a missing config is read from `dataset.args` when that is one name (older
    Trainer cards wrote `args: sst2`)."""
    kind = result.dataset_type
    if not isinstance(kind, str) or kind.strip().lower() in NO_IDENTITY:
        return None, "dataset type names no dataset", []
    kind = kind.strip()
    notes = []
    config = _text(result.dataset_config)
    args = result.dataset_args
    if not config and isinstance(args, str) and args.strip() and " " not in args.strip():
        config = args.strip()
        notes.append("config read from dataset.args")
    name = kind.rsplit("/", 1)[-1]
    if config is not None and config.lower() in DEFAULT_CONFIGS | {
        name.lower(),
        kind.replace("/", "--").lower(),
    }:
        config = None
    if config is None and kind.lower() in NEEDS_CONFIG:
        return None, "dataset needs a config (a collection of tasks)", notes
    dataset = canonical_dataset(f"{kind}/{config}" if config else kind)
    problem = key_problem(dataset, "dataset id")
    return (None, "dataset id cannot be stored", notes) if problem else (dataset, None, notes)


def metric_value(value: Any) -> tuple[float | None, str | None, list[str]]:
    """(value in 0..1, why none, normalisations). Numbers as written in 0..1; text read as a number
    once a trailing '%', an uncertainty ('± 0.01') or a decimal comma is dropped (each counted);
    a value in (1, 100] is a percentage, divided by 100 (counted); NaN, negatives and values over
    100 are skipped."""
    notes: list[str] = []
    percent = False
    if isinstance(value, bool) or value is None or not isinstance(value, int | float | str):
        return None, "metric value is not a number", notes
    if isinstance(value, str):
        text = value.strip()
        parts = PLUS_MINUS.split(text)
        if len(parts) == 2:
            text = parts[0]
            notes.append("uncertainty dropped (± ...)")
        if text.endswith("%"):
            text, percent = text[:-1].strip(), True
            notes.append("percentage divided by 100")
        if DECIMAL_COMMA.match(text):
            text = text.replace(",", ".")
            notes.append("decimal comma read as a point")
        try:
            number = float(text)
        except ValueError:
            return None, "metric value is not a number", notes
    else:
        try:
            number = float(value)
        except OverflowError:
            return None, "metric value is out of range (over 100)", notes
    if math.isnan(number):
        return None, "metric value is NaN", notes
    if number < 0:
        return None, "metric value is negative", notes
    if not math.isfinite(number) or number > 100 or (percent and number > 100):
        return None, "metric value is out of range (over 100)", notes
    if percent:
        return number / 100, None, notes
    if number > 1:
        notes.append("percentage divided by 100")
        return number / 100, None, notes
    return number, None, notes


def base_from_text(text: str | None) -> tuple[str | None, str | None]:
    """(base model id, why none) from the card text's first "fine-tuned version of [X](LINK)": the
    link's path when it points into huggingface.co, else X; it must read as a model id."""
    if not text:
        return None, None
    m = FINETUNED_VERSION.search(text)
    if m is None:
        return None, None
    label, link = m.group(1).strip(), m.group(2).strip()
    hub = HUB_LINK.match(link)
    if hub and MODEL_ID.match(hub.group(1)) and hub.group(1).lower() not in ("none", "null"):
        return hub.group(1), None
    if MODEL_ID.match(label) and label.lower() not in ("none", "null"):
        return label, None
    return None, "the text's fine-tuned version of names no model id"


def _base(model: str, data: Any, text: Callable[[], str | None]) -> tuple[str | None, str, str | None]:
    """(base model, where from, why none): the front matter's `base_model` (one), else the text."""
    declared = getattr(data, "base_model", None)
    if isinstance(declared, list) and len(declared) == 1:
        declared = declared[0]
    if isinstance(declared, list) and declared:
        return None, "base_model", "several base models (a merge)"
    if isinstance(declared, str) and declared.strip():
        return declared.strip(), "base_model", None
    if declared not in (None, "", []):
        return None, "base_model", f"base_model is {type(declared).__name__}, not a model id"
    found, why = base_from_text(text())
    return found, "text", why or (None if found else "no base model (front matter or text)")


def run_id(model: str, kind: Any, config: Any, split: Any, metric: str) -> str:
    """The run's key: the fine-tuned model and the result's dataset type, config, split and metric
    as written (so a re-run never duplicates it, and two results of a card never share one)."""
    key = json.dumps([model, kind, config, split, metric], default=str)
    return "hf-card:" + hashlib.sha1(key.encode()).hexdigest()[:24]


def parse(
    model: str,
    data: dict[str, Any] | None,
    text: Callable[[], str | None],
    rules: Rules,
    *,
    where: str,
    last_modified: str | None,
    source: str = SOURCE,
    parse_error: str | None = None,
) -> Outcome:
    """One card -> its runs or why none. Never raises on what a person wrote (`data`, `text`)."""
    out = partial_outcome(model, where, last_modified)
    if rules.since is not None and last_modified is not None and _date(last_modified) < rules.since:
        return out(skip="not modified since the cutoff")  # first: an old card is not read again
    if parse_error is not None:
        return out(skip=parse_error)
    if data is None:
        return out(skip="no front matter")
    if data.get("model-index") in (None, [], {}):
        return out(skip="no model-index results")
    try:
        card = _card_data(data)
    except Exception as e:  # a key ModelCardData cannot take (`__class__: 1`)
        return out(skip=f"front matter is not model card data ({type(e).__name__})")
    kept: list[tuple[Any, str, str, float, list[str]]] = []
    skipped: list[tuple[str, str]] = []
    results = 0
    seen: set[str] = set()
    for result in _results(model, data["model-index"]):
        results += 1
        if isinstance(result, str):
            skipped.append(("model-index result is malformed", result))
            continue
        reason, detail, row = _usable(model, result, rules, seen)
        if reason is not None:
            skipped.append((reason, detail))
        else:
            assert row is not None
            kept.append((result, *row))
    if not kept:
        return out(skip="no usable result", results=results, skipped=tuple(skipped))
    base, base_from, why = _base(model, card, text)
    if base is None or why is not None:
        why = why or "no base model (front matter or text)"
    elif base == model:
        why = "base model is the model itself"
    elif key_problem(base, "base model id"):
        why = "base model id cannot be stored"
    if why is not None:
        lost = [(f"card skipped: {why}", _short(r.dataset_type)) for r, *_ in kept]
        return out(skip=why, results=results, skipped=(*skipped, *lost), base=base)
    runs, normalised = [], []
    for result, rid, dataset, value, notes in kept:
        modality = _task_modality(result.task_type)
        assert modality is not None
        props = {
            "accuracy": value,
            "metric": result.metric_type.strip().lower(),
            "split": _text(result.dataset_split) or None,
            "task": result.task_type.strip(),
            "card": model,
            "card_modified": last_modified,
            "peft": "full",
            "source": source,
        }
        if notes:
            props["reported"] = str(result.metric_value)
        runs.append(Run(rid, str(base), dataset, modality, props))
        normalised += notes
    return out(
        runs=tuple(runs), base=base, base_from=base_from, results=results, skipped=tuple(skipped),
        normalised=tuple(normalised),
    )  # fmt: skip


def partial_outcome(model: str, where: str, last_modified: str | None) -> Callable[..., Outcome]:
    def make(**kw: Any) -> Outcome:
        return Outcome(model=model, where=where, last_modified=last_modified, **kw)

    return make


def _usable(
    model: str, result: Any, rules: Rules, seen: set[str]
) -> tuple[str | None, str, tuple[str, str, float, list[str]] | None]:
    """(why not, detail, None) or (None, '', (run id, dataset, value, normalisations))."""
    metric = _text(result.metric_type)
    if not metric or metric.lower() not in rules.metrics:
        return f"metric is not {' or '.join(rules.metrics)}", _short(result.metric_type), None
    modality = _task_modality(result.task_type)
    if modality is None:
        return "task is not image or text classification", _short(result.task_type), None
    if rules.modality is not None and modality != rules.modality:
        return f"task's modality is not {rules.modality}", _short(result.task_type), None
    dataset, why, notes = _dataset_id(result)
    if dataset is None:
        return str(why), _short(result.dataset_type) + f" config {_short(result.dataset_config)}", None
    value, why, value_notes = metric_value(result.metric_value)
    if value is None:
        return str(why), _short(result.metric_value), None
    split = result.dataset_split
    if split is not None and (not isinstance(split, str) or value_problem(split)):
        return "split is not text", _short(split), None
    rid = run_id(model, result.dataset_type, result.dataset_config, split, metric.lower())
    if rid in seen:
        return "repeated result (same dataset, config, split and metric)", dataset, None
    seen.add(rid)
    if value_problem(result.task_type) or (
        isinstance(result.metric_value, str) and value_problem(result.metric_value)
    ):
        return "text cannot be stored", _short(result.task_type), None
    return None, "", (rid, dataset, value, notes + value_notes)


def _date(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_date(text: str, what: str = "date") -> datetime:
    """An ISO 8601 date or time (UTC when no zone is given); ValueError naming `what`."""
    try:
        return _date(text)
    except (ValueError, TypeError, AttributeError):
        raise ValueError(f"{what} {_short(text)} is not an ISO 8601 date") from None


# --- sources ----------------------------------------------------------------------------------------


def split_card(content: str) -> tuple[dict[str, Any] | None, str, str | None]:
    """(front matter, text, why the front matter does not parse) of a README, split and read the
    way huggingface_hub's RepoCard reads it (its regex, yaml.safe_load)."""
    import yaml

    try:
        from huggingface_hub.repocard import REGEX_YAML_BLOCK
    except ImportError:
        raise MissingExtra("huggingface_hub", "hf", "reading model cards") from None
    match = REGEX_YAML_BLOCK.search(content)
    if not match:
        return None, content, None
    text = content[match.end() :]
    try:
        data = yaml.safe_load(match.group(2))
    except yaml.YAMLError as e:
        return None, text, f"front matter does not parse (YAML: {type(e).__name__})"
    except RecursionError:
        return None, text, "front matter does not parse (YAML: nested too deeply)"
    if data is None:
        return {}, text, None
    if not isinstance(data, dict):
        return None, text, "front matter is not a mapping"
    return data, text, None


def _constant(text: str | None) -> Callable[[], str | None]:
    return lambda: text


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def folder_cards(root: Path, rules: Rules) -> Iterator[Outcome]:
    """Cards laid out as the Hub names models: ROOT/OWNER/NAME/README.md (model id OWNER/NAME); the
    last-modified date is the file's. InvalidInput if ROOT is no such folder."""
    if not root.is_dir():
        raise InvalidInput([Problem(str(root), None, None, "not a folder of OWNER/NAME/README.md cards")])
    found = 0
    for owner in sorted(os.scandir(root), key=lambda e: e.name):
        if not owner.is_dir():
            continue
        for name in sorted(os.scandir(owner.path), key=lambda e: e.name):
            path = Path(name.path) / "README.md"
            if not name.is_dir() or not path.is_file():
                continue
            found += 1
            model, where = f"{owner.name}/{name.name}", str(path)
            modified = _iso(path.stat().st_mtime)
            problem = key_problem(model, "model id")
            if problem:
                yield Outcome(
                    model=model, where=where, last_modified=modified, skip="model id cannot be stored"
                )
                continue
            try:
                content = path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                yield Outcome(model=model, where=where, last_modified=modified, skip="card is not UTF-8 text")
                continue
            data, text, error = split_card(content)
            yield parse(
                model, data, _constant(text), rules, where=where, last_modified=modified, parse_error=error,
            )  # fmt: skip
    if not found:
        raise InvalidInput(
            [Problem(str(root), None, None, "holds no card (expected OWNER/NAME/README.md files)")]
        )


def _record_fields(record: Any, name: str, line: int | None) -> tuple[Any, Any, Any, Any, list[Problem]]:
    """(model id, card data, card text, last modified) of one Hub record, or the problems that
    make it no card record (machine-made fields: refused)."""
    if not isinstance(record, dict):
        return (
            "",
            None,
            None,
            None,
            [Problem(name, line, None, f"expected a JSON object, got {type(record).__name__}")],
        )
    problems = []
    id_key = "modelId" if "id" not in record and "modelId" in record else "id"
    model = record.get(id_key)
    problem = "missing model id" if model is None else key_problem(model, "model id")
    if problem:
        problems.append(Problem(name, line, id_key, problem))
    data_key = "card_data" if "card_data" in record else "cardData"
    data = record.get(data_key)
    if data is not None and not isinstance(data, dict):
        problems.append(Problem(name, line, data_key, f"expected an object, got {type(data).__name__}"))
    text = record.get("card_text")
    if text is not None and not isinstance(text, str):
        problems.append(Problem(name, line, "card_text", f"expected text, got {type(text).__name__}"))
    date_key = "lastModified" if "lastModified" in record else "last_modified"
    modified = record.get(date_key)
    if modified is not None:
        try:
            parse_date(modified, "last-modified")
        except ValueError as e:
            problems.append(Problem(name, line, date_key, str(e)))
    return model, data, text, modified, problems


MAX_PROBLEMS = 50


def jsonl_cards(path: Path, rules: Rules, problems: list[Problem]) -> Iterator[Outcome]:
    """Hub records, one JSON object per line (the shape `tg ingest hf-models` reads: `id`,
    `card_data` with `base_model` and `model-index`, optional `lastModified` and `card_text`).
    Records that are no card are appended to `problems` (the caller refuses the file)."""
    name = str(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below; a generator)
    except OSError as e:
        problems.append(Problem(name, None, None, f"cannot read: {e.strerror}"))
        return
    line_no = 0
    with handle:
        for line_no, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                problems.append(Problem(name, line_no, None, f"not UTF-8 text (byte {e.start + 1})"))
                continue
            try:
                record = parse_json(line, name, line_no, finite=False)
            except InvalidInput as e:
                problems += e.problems
                continue
            model, data, text, modified, bad = _record_fields(record, name, line_no)
            if bad:
                problems += bad
                continue
            if problems:  # the file is refused anyway: only its problems are wanted now
                continue
            yield parse(
                model, data, _constant(text), rules, where=f"{name}:{line_no}", last_modified=modified
            )
    if not problems and line_no == 0:
        problems.append(Problem(name, None, None, "file is empty"))


def hub_cards(
    search: str | None, pipeline_tag: str | None, limit: int, rules: Rules, problems: list[Problem]
) -> Iterator[Outcome]:
    """Online: the Hub's models (newest first, stopping at `since`) with their card data; a card's
    text is fetched only when its front matter names no base model."""
    try:
        from huggingface_hub import HfApi, ModelCard
    except ImportError:
        raise MissingExtra("huggingface_hub", "hf", "reading model cards from the Hub") from None
    api = HfApi()
    infos = api.list_models(
        search=search, pipeline_tag=pipeline_tag, limit=limit, full=True, cardData=True,
        sort="last_modified",
    )  # fmt: skip
    for i, info in enumerate(infos, start=1):
        modified = info.last_modified.isoformat() if info.last_modified else None
        if rules.since is not None and info.last_modified is not None and info.last_modified < rules.since:
            break
        card = info.card_data.to_dict() if info.card_data is not None else None

        def text(model: str = info.id) -> str | None:
            try:
                return str(ModelCard.load(model).text)
            except Exception:  # no README, gated, gone: the card has no text to read
                return None

        yield parse(info.id, card, text, rules, where=f"huggingface.co (record {i})", last_modified=modified)


# --- Records ------------------------------------------------------------------------------------------


def collect(
    outcomes: Iterable[Outcome], source: str = SOURCE, report: IO[str] | None = None
) -> tuple[Records, Tally]:
    """The runs, nodes and lineage of the cards, and the account of every card and result (each
    skipped one written to `report`). A model id read twice (a crawl's duplicate) keeps its first
    card; the second is skipped."""
    rec = Records(source=source)
    tally = Tally(report=report)
    models: set[str] = set()
    for o in outcomes:
        if o.model in models and o.skip is None:
            lost = tuple(("card skipped: repeated model id", r.dataset) for r in o.runs)
            o = Outcome(
                model=o.model, where=o.where, last_modified=o.last_modified, skip="repeated model id",
                results=o.results, skipped=(*o.skipped, *lost),
            )  # fmt: skip
        tally.add(o)
        if o.skip is not None:
            continue
        models.add(o.model)
        assert o.base is not None
        first = o.runs[0].modality
        rec.model(o.base, first)
        rec.model(o.model, first)
        rec.lineage.append({"model": o.model, "base": o.base, "props": {"source": source}})
        for run in o.runs:
            rec.dataset(run.dataset, run.modality)
            rec.runs.append(
                {"run_id": run.run_id, "model": run.base, "dataset": run.dataset, "props": run.props}
            )
    for reason, n in tally.results_skipped.items():
        rec.skipped[("runs", reason)] += n
    for note, n in sorted(tally.normalised.items()):
        rec.notes.append(f"{n} runs: {note}")
    return rec, tally


def check_rules(metrics: Iterable[str], modality: str | None, since: str | datetime | None) -> Rules:
    """Rules from user arguments; ValueError (naming the argument) for a bad one."""
    chosen = tuple(dict.fromkeys(m.strip().lower() for m in metrics))
    if not chosen or any(not m for m in chosen):
        raise ValueError("metric: name at least one metric type (e.g. accuracy)")
    if modality is not None and modality not in MODALITIES:
        raise ValueError(f"modality: unknown modality {modality!r} (expected image or text)")
    cutoff = since if isinstance(since, datetime) or since is None else parse_date(since, "since:")
    if isinstance(cutoff, datetime) and cutoff.tzinfo is None:
        cutoff = cutoff.replace(tzinfo=UTC)
    return Rules(chosen, modality, cutoff)


def load(
    files: Iterable[Path] = (),
    folders: Iterable[Path] = (),
    rules: Rules = Rules(),
    hub: tuple[str | None, str | None, int] | None = None,
    report: Path | None = None,
) -> tuple[Records, Tally]:
    """Every source read card by card into one Records and one Tally; InvalidInput (nothing is
    written, no report) for a machine-made file that is not what it claims. `report`: a TSV of every
    skipped card and result, streamed while reading (a header line first)."""
    problems: list[Problem] = []

    def all_outcomes() -> Iterator[Outcome]:
        for path in files:
            if not path.is_file():
                problems.append(Problem(str(path), None, None, "file not found"))
                continue
            yield from jsonl_cards(path, rules, problems)
        for folder in folders:
            yield from folder_cards(folder, rules)
        if hub is not None:
            yield from hub_cards(*hub, rules, problems)

    source = SOURCE if hub is None else "hub-model-cards"
    if report is None:
        records, tally = collect(all_outcomes(), source)
    else:
        partial = report.with_name(report.name + ".partial")
        try:
            with open(partial, "w", encoding="utf-8") as f:
                f.write("where\tmodel\tlevel\treason\tdetail\n")
                records, tally = collect(all_outcomes(), source, f)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        tally.report = None
        if problems:  # refused: no report either
            partial.unlink()
        else:
            partial.replace(report)
    if problems:
        extra = len(problems) - MAX_PROBLEMS
        shown = problems[:MAX_PROBLEMS]
        if extra > 0:
            shown.append(Problem(shown[-1].file, None, None, f"... and {extra} more problems"))
        raise InvalidInput(shown)
    return records, tally
