"""The constraints a user ranks under (`tg recommend --max-params/--max-memory/--model-type/
--architecture/--license/--exclude`): validated here, applied in the query (readback/recommend.cypher
filters, readback/filtered_out.cypher counts what it filtered out and why).

(`tg recommend` reads the text of --max-params and --max-memory, e.g. 100M or 2GB, in
transfergraph/cli/recommend.py.)

Memory is the model's weights in 32-bit floats, 4 bytes per parameter: what loading it for
fine-tuning costs at least (activations, gradients and optimizer state come on top). It is derived
from the parameter count because that is the one size every source gives alike: the paper zoo's
`memory_consumption` is the same 1.57 GB for all 185 image models, so it is not read as a size.
A model without a parameter count (or a model type, architectures, licence) does not satisfy a
filter on it: it is filtered out, and counted apart as "unknown".

Light on purpose (the `tg recommend` path): no pandas or numpy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from transfergraph.errors import ParameterError

BYTES_PER_PARAMETER = 4  # float32 weights


def _whole(parameter: str, value: Any, what: str) -> int | None:
    """A positive whole number (an integral float such as 1e8 too), or ParameterError."""
    if value is None:
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(
            parameter, f"expected a whole number of {what}, got {value!r} ({type(value).__name__})"
        )
    if value < 1:
        raise ParameterError(parameter, f"must be at least 1 (got {value})")
    return value


def _names(parameter: str, value: Any) -> tuple[str, ...]:
    """One name or a sequence of names, each non-blank text."""
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, Sequence):
        raise ParameterError(parameter, f"expected a name or a list of names, got {type(value).__name__}")
    for name in names:
        if not isinstance(name, str):
            raise ParameterError(parameter, f"expected names (text), got {name!r} ({type(name).__name__})")
        if not name.strip():
            raise ParameterError(parameter, "a name is empty")
    return tuple(dict.fromkeys(n.strip() for n in names))


def glob_regex(pattern: str) -> str:
    """A glob on the whole model id (`*` any characters, `?` one; every other character literal),
    as a case-insensitive Java regular expression for Cypher's `=~`."""
    out = ["(?is)"]
    for ch in pattern:
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        elif ch.isascii():
            out.append("\\" + ch)  # a backslash before a non-letter is that character in Java
        else:
            out.append(f"\\x{{{ord(ch):x}}}")  # outside ASCII: by code point, never a construct
    return "".join(out)


@dataclass(frozen=True)
class ModelFilter:
    """What a ranked model must satisfy; empty fields filter nothing. Validated on construction
    (ParameterError naming the parameter)."""

    max_params: int | None = None
    max_memory: int | None = None  # bytes of float32 weights: BYTES_PER_PARAMETER x parameters
    model_type: tuple[str, ...] = ()  # any of these (case-insensitive)
    architecture: tuple[str, ...] = ()  # any of the model's architectures is one of these
    license: tuple[str, ...] = ()  # any of the model's licences is one of these
    exclude: tuple[str, ...] = ()  # globs on the model id

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "max_params", _whole("max_params", self.max_params, "parameters"))
        set_(self, "max_memory", _whole("max_memory", self.max_memory, "bytes"))
        for name in ("model_type", "architecture", "license", "exclude"):
            set_(self, name, _names(name, getattr(self, name)))

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)

    def params(self) -> dict[str, Any]:
        """The query parameters of readback/recommend and readback/filtered_out."""
        lower = lambda names: [n.lower() for n in names] or None  # noqa: E731
        return {
            "max_params": self.max_params,
            "max_memory": self.max_memory,
            "bytes_per_parameter": BYTES_PER_PARAMETER,
            "model_types": lower(self.model_type),
            "architectures": lower(self.architecture),
            "licenses": lower(self.license),
            "exclude": [glob_regex(p) for p in self.exclude],
        }

    def to_dict(self) -> dict[str, Any]:
        """The filters that are set, as given."""
        return {
            k: list(v) if isinstance(v, tuple) else v
            for k in self.__dataclass_fields__
            if (v := getattr(self, k)) not in (None, ())
        }


NO_FILTER = ModelFilter()


def model_filter(
    max_params: Any = None, max_memory: Any = None, model_type: Any = (), architecture: Any = (),
    license: Any = (), exclude: Any = (),
) -> ModelFilter:  # fmt: skip
    """A ModelFilter from the API's keywords: a name or a sequence of names for the name filters."""
    return ModelFilter(max_params, max_memory, model_type, architecture, license, exclude)


def describe(filtered: dict[str, Any], filters: ModelFilter) -> str:
    """One line: how many of the ranked models the filters left and what they filtered out, by reason
    (`filtered` is readback/filtered_out's row)."""
    reasons = []
    if filters.max_params is not None:
        reasons += [f"{filtered['over_params']} over {_count(filters.max_params)} parameters"]
        reasons += [f"{filtered['no_params']} without a parameter count"] if filtered["no_params"] else []
    if filters.max_memory is not None:
        reasons += [f"{filtered['over_memory']} over {_bytes(filters.max_memory)} of float32 weights"]
        reasons += (
            [f"{filtered['no_memory']} without a parameter count (so no memory)"]
            if filtered["no_memory"]
            else []
        )
    for key, label, missing in (
        ("model_type", "of another model type", "no_model_type"),
        ("architecture", "of other architectures", "no_architecture"),
        ("license", "under other licences", "no_license"),
    ):
        if getattr(filters, key):
            reasons += [f"{filtered['other_' + key]} {label}"]
            reasons += (
                [f"{filtered[missing]} with no {key.replace('_', ' ')} known"] if filtered[missing] else []
            )
    if filters.exclude:
        reasons += [f"{filtered['excluded']} matching --exclude"]
    out = filtered["candidates"] - filtered["kept"]
    if not reasons or filtered["candidates"] == 0:
        return "no ranked model to filter"
    why = f" ({', '.join(reasons)}; a model may fail several)" if len(reasons) > 1 else f" ({reasons[0]})"
    if filtered["kept"] == 0:
        return (
            f"no model satisfies the filters: all {filtered['candidates']} ranked models were filtered "
            f"out{why}"
        )
    return f"filtered out {out} of the {filtered['candidates']} ranked models{why}"


def _count(n: int) -> str:
    for size, unit in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "k")):
        if n >= size and n % (size // 1000) == 0:
            return f"{n / size:g}{unit}"
    return str(n)


def _bytes(n: int) -> str:
    for size, unit in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB")):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    for size, unit in ((10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "kB")):
        if n >= size:
            return f"{n / size:g}{unit}"
    return f"{n} bytes"
