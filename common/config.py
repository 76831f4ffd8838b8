"""Configuration: a YAML file read into a typed dataclass, with command-line overrides.

Each homework declares its configuration as (nested) dataclasses with defaults::

    @dataclass
    class Train:
        lr: float = 0.1
        epochs: int = 5

    @dataclass
    class Config:
        seed: int = 0
        train: Train = field(default_factory=Train)

    config = load_config(Config, "hw4_dan/config.yaml", ["--train.lr", "0.05", "--seed=3"])

Unknown keys are rejected with the closest valid name; values of the wrong type are rejected with
the expected type; a field typed ``Literal["plateau", "step"]`` accepts only those values and says
so. A dataclass may define ``__post_init__`` to check ranges and relations (raise ValueError).

A field's meaning is the comment at the end of its line (and on the comment lines right below it):
``describe_config`` reads them for ``python -m hwN.run --help``, so every field has one.
"""
from __future__ import annotations

import dataclasses
import difflib
import inspect
import io
import re
import tokenize
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration that cannot be used as given; the message says how to fix it."""


class _CommandLineText(str):
    """A value typed on the command line: parsed as YAML unless the field expects a string."""


def load_config(schema: type[T], path: str | Path | None = None, overrides: Sequence[str] = ()) -> T:
    """Read `path` (YAML; None for the defaults), apply ``--key value`` overrides, return a `schema`."""
    raw: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist; pass --config with an existing YAML file")
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path}: expected a mapping of keys to values at the top level")
        raw = loaded or {}
    for dotted_key, text in parse_overrides(overrides):
        _set_nested(raw, dotted_key.split("."), _CommandLineText(text))
    return _build(schema, raw, prefix="")


def parse_overrides(args: Sequence[str]) -> list[tuple[str, str]]:
    """``["--a.b", "1", "--c=x"]`` -> ``[("a.b", "1"), ("c", "x")]``."""
    pairs, i = [], 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or arg == "--":
            raise ConfigError(f"unexpected argument {arg!r}; overrides look like --key value or --section.key=value")
        key = arg[2:]
        if "=" in key:
            key, value = key.split("=", 1)
            i += 1
        elif i + 1 < len(args):
            value = args[i + 1]
            i += 2
        else:
            raise ConfigError(f"override {arg} has no value; write {arg} VALUE")
        pairs.append((key.replace("-", "_"), value))
    return pairs


def config_to_dict(config: Any) -> dict[str, Any]:
    """A plain dict (paths as strings) suitable for YAML or JSON."""
    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value
    return plain(dataclasses.asdict(config))


def describe_config(schema: type, prefix: str = "", defaults: Any = None) -> list[tuple[str, str, str, str]]:
    """(dotted key, type, default, meaning) of every key of `schema`, nested sections flattened; a key
    inherited from a base dataclass keeps the meaning given there unless `schema` gives another. A
    section's defaults are those of the instance its field's default (factory) makes (`defaults`)."""
    hints = typing.get_type_hints(schema)
    comments = {name: meaning for base in reversed(schema.__mro__) if dataclasses.is_dataclass(base)
                for name, meaning in field_comments(base).items()}
    rows = []
    for item in dataclasses.fields(schema):
        if defaults is not None:
            default = getattr(defaults, item.name)
        elif item.default is not dataclasses.MISSING:
            default = item.default
        elif item.default_factory is not dataclasses.MISSING:
            default = item.default_factory()
        else:
            default = "(required)"
        kind = hints[item.name]
        if dataclasses.is_dataclass(kind):
            rows += describe_config(type(default) if dataclasses.is_dataclass(default) else kind,
                                    f"{prefix}{item.name}.", default if dataclasses.is_dataclass(default) else None)
            continue
        rows.append((prefix + item.name, _type_name(kind), repr(default), comments.get(item.name, "")))
    return rows


def field_comments(schema: type) -> dict[str, str]:
    """Each field's meaning: the comment ending its line in the class source, plus the comment lines
    right below it that start in the same column, joined."""
    try:
        lines = inspect.getsource(schema).splitlines()
    except (OSError, TypeError):
        return {}
    names = {item.name for item in dataclasses.fields(schema)}
    comments: dict[str, str] = {}
    current, column = None, -1
    for line in lines:
        declared = re.match(r"    (\w+)\s*:", line)
        if declared and declared.group(1) in names:
            current, (column, text) = declared.group(1), _trailing_comment(line)
            if text:
                comments[current] = text
        elif current in comments and line.strip().startswith("#") and line.index("#") == column:
            comments[current] += " " + line.strip().lstrip("#").strip()
        else:
            current = None
    return comments


def _trailing_comment(line: str) -> tuple[int, str]:
    """(column, text) of the comment that ends `line`, or (-1, "") when it has none."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline):
            if token.type == tokenize.COMMENT:
                return token.start[1] + len(line) - len(line.lstrip()), token.string.lstrip("#").strip()
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return -1, ""


def _type_name(kind: Any) -> str:
    if typing.get_origin(kind) is typing.Literal:
        return " | ".join(str(choice) for choice in typing.get_args(kind))
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        return " | ".join(_type_name(option) for option in typing.get_args(kind))
    if kind is type(None):
        return "null"
    return getattr(kind, "__name__", str(kind).replace("typing.", ""))


def _set_nested(raw: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        child = raw.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(f"cannot set '{'.'.join(keys)}': '{key}' is a value, not a section")
        raw = child
    raw[keys[-1]] = value


def _build(schema: type[T], raw: dict[str, Any], prefix: str) -> T:
    fields = {f.name: f for f in dataclasses.fields(schema)}
    hints = typing.get_type_hints(schema)
    for key in raw:
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.5)
            hint = f"; did you mean '{prefix}{close[0]}'?" if close else ""
            raise ConfigError(
                f"unknown config key '{prefix}{key}'{hint} valid keys here: {', '.join(sorted(fields))}"
            )
    kwargs = {name: _coerce(hints[name], raw[name], prefix + name) for name in fields if name in raw}
    missing = [
        name for name, f in fields.items()
        if name not in raw and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"missing required config keys: {', '.join(prefix + m for m in missing)}")
    try:
        return schema(**kwargs)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"invalid configuration{' in ' + prefix.rstrip('.') if prefix else ''}: {error}") from None


_EXPONENT_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+")


def _coerce(expected: Any, value: Any, key: str) -> Any:
    """`value` as the type `expected` of config key `key` (nested sections, unions, literals, lists, scalars)."""
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if isinstance(value, _CommandLineText):
        value = str(value) if expected is str else yaml.safe_load(str(value))
    if dataclasses.is_dataclass(expected):
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{key}' is a section; give it a mapping of keys, got {value!r}")
        return _build(expected, value, prefix=key + ".")
    if origin in (typing.Union, types.UnionType):
        return _coerce_union(args, value, key)
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"config key '{key}' must be one of {list(args)}, got {value!r}")
        return value
    if origin in (list, tuple, Sequence):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"config key '{key}' expects a list, got {value!r}")
        items = [_coerce(args[0] if args else Any, v, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    return _coerce_scalar(expected, value, key)


def _coerce_union(options: tuple, value: Any, key: str) -> Any:
    if value is None and type(None) in options:
        return None
    errors = []
    for option in (a for a in options if a is not type(None)):
        try:
            return _coerce(option, value, key)
        except ConfigError as error:
            errors.append(str(error))
    raise ConfigError(errors[0])


def _coerce_scalar(expected: Any, value: Any, key: str) -> Any:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if expected is Any or (expected in (str, bool) and isinstance(value, expected)):
        return value
    if expected is float and number:
        return float(value)
    if expected is float and isinstance(value, str) and _EXPONENT_FLOAT.fullmatch(value.strip()):
        return float(value)  # YAML 1.1 reads 1e-4 (no dot) as text
    if expected is Path and isinstance(value, str):
        return Path(value)
    if expected is int and number and isinstance(value, int):
        return value
    name = getattr(expected, "__name__", str(expected))
    raise ConfigError(f"config key '{key}' expects {name}, got {value!r} ({type(value).__name__})")
