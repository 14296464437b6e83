"""Generic machinery of a typed parameter schema: walk, override, coerce, check, diff, document.

The schema itself — the frozen dataclasses, where each default comes from, which settings each
choice reads, the cross-parameter rules — is :mod:`sim.params`; this module knows nothing of
governance. It works on any tree of frozen dataclasses whose leaf fields were made with
:func:`param` (documentation, unit, range or choices in the field's metadata) and whose
mappings of named records are typed ``dict[str, <dataclass>]``:

* :func:`param` — declare a documented field;
* :func:`override` — a copy with one dotted-name value set, converted and range-checked by
  :func:`coerce` (unknown names get a "did you mean" from :func:`suggest`);
* :func:`check_ranges` — every leaf against its range and choices (for trees not built by
  :func:`override`); :func:`mark_validated` / :func:`is_validated` — a tree checked once is
  not checked again;
* :func:`to_dict`, :func:`flatten`, :func:`lookup` / :func:`get`, :func:`diff` — plain forms,
  reading by dotted name, the overrides between two trees;
* :func:`iter_fields` / :class:`FieldInfo`, :func:`table_markdown` — documentation of every leaf.

Every error is a :class:`ValueError` naming the parameter, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FieldInfo",
    "check_ranges",
    "coerce",
    "coerce_group_map",
    "diff",
    "field_meta",
    "field_types",
    "flatten",
    "format_number",
    "get",
    "is_dataclass_type",
    "is_validated",
    "iter_fields",
    "keyed_maps",
    "lookup",
    "mark_validated",
    "normalise_key",
    "override",
    "param",
    "plain",
    "show",
    "shown",
    "suggest",
    "table_markdown",
    "to_dict",
    "type_name",
    "unmarked_state",
]


def param(
    default: Any,
    doc: str,
    *,
    unit: str = "",
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[Any, ...] | None = None,
    factory: Any = None,
    source: str = "",
) -> Any:
    """A schema field with its documentation, allowed range and where its default comes from."""
    meta = {"doc": doc, "unit": unit, "lo": lo, "hi": hi, "choices": choices, "source": source}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def field_types(cls: type) -> dict[str, Any]:
    """The resolved type hints of dataclass ``cls`` (field name -> type)."""
    return typing.get_type_hints(cls)


def is_dataclass_type(tp: Any) -> bool:
    """Whether ``tp`` is a dataclass type (a section of the schema)."""
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def to_dict(obj: Any) -> Any:
    """Convert a schema object to nested dicts / lists of plain values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_dict(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [to_dict(v) for v in obj]
    return obj


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten a schema object to ``{dotted name: leaf value}``.

    Tuples are leaves; mappings of dataclasses (the groups) are walked by key.
    """
    out: dict[str, Any] = {}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            out.update(flatten(getattr(obj, f.name), f"{prefix}{f.name}."))
        return out
    if isinstance(obj, Mapping) and obj and all(dataclasses.is_dataclass(v) for v in obj.values()):
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    out[prefix[:-1]] = obj
    return out


@dataclass(frozen=True)
class FieldInfo:
    """Documentation of one leaf parameter."""

    name: str
    type: str
    default: Any
    doc: str
    unit: str
    lo: float | None
    hi: float | None
    choices: tuple[Any, ...] | None
    source: str = ""

    @property
    def time_scale(self) -> str:
        """The default's time scale in weeks: 1/rate for a per-week rate, the value for weeks."""
        d = self.default
        if isinstance(d, bool) or not isinstance(d, int | float):
            return ""
        if self.unit.endswith("/week"):
            return f"{1.0 / d:.3g} weeks" if d > 0 else "never"
        if self.unit == "weeks":
            return f"{d:g} weeks"
        return ""

    @property
    def allowed(self) -> str:
        """Human-readable allowed values."""
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        if self.type == "bool":
            return "true or false"
        if self.lo is not None and self.hi is not None:
            return f"{format_number(self.lo)} … {format_number(self.hi)}"
        return "any " + self.type


def format_number(x: float) -> str:
    """A bound as the docs show it: ``1.0`` -> ``1``, ``1e9`` -> ``1e9``."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        x = int(x)
    if isinstance(x, int) and abs(x) >= 10**6:
        return f"{x:.0e}".replace("e+0", "e").replace("e+", "e")
    return str(x)


def type_name(tp: Any) -> str:
    """A type hint as a short name: ``float``, ``tuple[int]``, ``dict[str, float]``."""
    origin = typing.get_origin(tp)
    if origin is None:
        return getattr(tp, "__name__", str(tp))
    args = ", ".join(type_name(a) for a in typing.get_args(tp) if a is not Ellipsis)
    return f"{origin.__name__}[{args}]"


def iter_fields(obj: Any, prefix: str = "") -> Iterator[FieldInfo]:
    """Yield documentation for every leaf parameter of the dataclass tree ``obj``."""
    hints = field_types(type(obj))
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        tp = hints[f.name]
        name = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            yield from iter_fields(value, name + ".")
        elif (
            isinstance(value, Mapping)
            and value
            and all(dataclasses.is_dataclass(v) for v in value.values())
        ):
            for k, v in value.items():
                yield from iter_fields(v, f"{name}.{k}.")
        else:
            m = f.metadata
            yield FieldInfo(
                name=name,
                type=type_name(tp),
                default=value,
                doc=m.get("doc", ""),
                unit=m.get("unit", ""),
                lo=m.get("lo"),
                hi=m.get("hi"),
                choices=m.get("choices"),
                source=m.get("source", ""),
            )


def field_meta(cls: type, name: str) -> Mapping[str, Any]:
    """The metadata (doc, unit, lo, hi, choices, source) of field ``name`` of ``cls``."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f.metadata
    raise KeyError(name)


def plain(value: Any) -> Any:
    """A numpy (or pandas) scalar as the Python value it holds: ``np.int64`` → int,
    ``np.float32`` → float, ``np.bool_`` → bool, ``np.str_`` → str; a 1-d array → a list.
    Anything else is returned as it is (numpy is not imported to find out)."""
    if type(value).__module__ == "numpy":
        shape = getattr(value, "shape", None)
        if shape == ():
            return value.item()
        if shape is not None and len(shape) == 1:
            return value.tolist()
    return value


def coerce(name: str, value: Any, tp: Any, meta: Mapping[str, Any]) -> Any:
    """Check and convert one leaf value; raise ValueError naming what is allowed."""
    origin = typing.get_origin(tp)
    value = plain(value)

    def bad(what: str) -> ValueError:
        return ValueError(f"parameter {name}={shown(value)}: {what}")

    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise bad("expected true or false")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad("expected an integer")
        try:
            fv = value if isinstance(value, int) else float(value)
        except (ValueError, OverflowError):
            raise bad("expected an integer") from None
        if isinstance(fv, float) and (not math.isfinite(fv) or fv != int(fv)):
            raise bad("expected an integer")
        value_c: Any = int(fv)
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad("expected a number")
        try:
            value_c = float(value)
        except ValueError:
            raise bad("expected a number") from None
        except OverflowError:
            raise bad("expected a finite number") from None
        if not math.isfinite(value_c):
            raise bad("expected a finite number")
    elif tp is str:
        if not isinstance(value, str):
            raise bad("expected a string")
        value_c = value
    elif origin is tuple:
        (elem_tp, *_) = typing.get_args(tp)
        if isinstance(value, str) or not isinstance(value, tuple | list):
            raise bad("expected a list")
        value_c = tuple(coerce(f"{name}[{i}]", v, elem_tp, meta) for i, v in enumerate(value))
        return value_c
    elif origin is dict:
        if not isinstance(value, Mapping):
            raise bad("expected a mapping")
        _, vt = typing.get_args(tp)
        return {str(k): coerce(f"{name}.{k}", v, vt, {}) for k, v in value.items()}
    else:  # pragma: no cover - schema only uses the types above
        value_c = value
    choices = meta.get("choices")
    if choices and value_c not in choices:
        raise bad("allowed: " + ", ".join(map(str, choices)))
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and value_c < lo:
        raise bad(f"allowed range {format_number(lo)} … {format_number(hi)}")
    if hi is not None and value_c > hi:
        raise bad(f"allowed range {format_number(lo)} … {format_number(hi)}")
    return value_c


def suggest(key: str, options: list[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``options`` to ``key``, else ``""``."""
    close = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def override(obj: Any, path: list[str], value: Any, full: str) -> Any:
    """A copy of dataclass ``obj`` with the field at ``path`` set to ``value``.

    ``path`` is the dotted name split at the dots; the leaf value is converted and checked by
    :func:`coerce`, a section may be given as a mapping of its fields (dotted keys allowed), a
    mapping of records as a mapping of their fields. ``full`` is the name messages show.
    """
    cls = type(obj)
    names = [f.name for f in dataclasses.fields(obj)]
    head = path[0]
    if head not in names:
        allowed = ", ".join(names)
        raise ValueError(
            f"unknown parameter {full!r}{suggest(head, names)}; allowed at this level: {allowed}"
        )
    tp = field_types(cls)[head]
    meta = field_meta(cls, head)
    current = getattr(obj, head)
    if len(path) == 1:
        if is_dataclass_type(tp):
            if isinstance(value, tp):
                check_ranges(value, full + ".")  # a record given as it is
                new = value
            elif isinstance(value, Mapping):
                new = current
                for k, v in value.items():  # keys may be dotted: {"opinions.mu": 0.1}
                    new = override(new, str(k).split("."), v, f"{full}.{k}")
            else:
                raise ValueError(f"parameter {full}={value!r}: expected a mapping of parameters")
        elif typing.get_origin(tp) is dict and is_dataclass_type(typing.get_args(tp)[1]):
            new = coerce_group_map(full, value, typing.get_args(tp)[1])
        else:
            new = coerce(full, value, tp, meta)
        return dataclasses.replace(obj, **{head: new})
    if is_dataclass_type(tp):
        return dataclasses.replace(obj, **{head: override(current, path[1:], value, full)})
    if typing.get_origin(tp) is dict and is_dataclass_type(typing.get_args(tp)[1]):
        key = path[1]
        vt = typing.get_args(tp)[1]
        if key not in current:
            if len(path) == 2 and isinstance(value, Mapping | vt):
                member = vt() if isinstance(value, Mapping) else value
            else:
                raise ValueError(
                    f"unknown group {key!r} in {full!r}{suggest(key, list(current))}; "
                    f"groups: {', '.join(current)} (add one by giving all its traits)"
                )
        else:
            member = current[key]
        if len(path) == 2:
            if isinstance(value, vt):
                check_ranges(value, full + ".")
                member = value
            elif isinstance(value, Mapping):
                for k, v in value.items():
                    member = override(member, str(k).split("."), v, f"{full}.{k}")
            else:
                raise ValueError(f"parameter {full}={value!r}: expected a mapping of traits")
        else:
            member = override(member, path[2:], value, full)
        return dataclasses.replace(obj, **{head: {**current, key: member}})
    if typing.get_origin(tp) is dict:
        new = dict(current)
        new[".".join(path[1:])] = coerce(full, value, typing.get_args(tp)[1], {})
        return dataclasses.replace(obj, **{head: new})
    raise ValueError(f"unknown parameter {full!r}: {head} has no sub-parameters")


def coerce_group_map(full: str, value: Any, vt: type) -> dict[str, Any]:
    """A mapping of named ``vt`` records (e.g. the resident groups) from records or mappings.

    Each member given as a mapping starts from ``vt()`` and gets its traits by :func:`override`.
    """
    if not isinstance(value, Mapping):
        raise ValueError(f"parameter {full}={value!r}: expected a mapping of groups")
    out = {}
    for k, v in value.items():
        if isinstance(v, vt):
            check_ranges(v, f"{full}.{k}.")
            out[str(k)] = v
        elif isinstance(v, Mapping):
            member = vt()
            for kk, vv in v.items():
                member = override(member, str(kk).split("."), vv, f"{full}.{k}.{kk}")
            out[str(k)] = member
        else:
            raise ValueError(f"parameter {full}.{k}={v!r}: expected a mapping of traits")
    return out


def normalise_key(key: str) -> str:
    """``a__b`` (a keyword-argument spelling) -> ``a.b``."""
    return key.replace("__", ".")


def lookup(root: Any, dotted: str) -> Any:
    """The value at ``dotted`` (``"opinions.mu"``, ``"population.groups.elderly.share"``)."""
    obj = root
    for part in dotted.split("."):
        obj = obj[part] if isinstance(obj, Mapping) else getattr(obj, part)
    return obj


def get(obj: Any, dotted: str) -> Any:
    """Read a parameter by dotted name (``a__b`` is accepted for ``a.b``)."""
    return lookup(obj, normalise_key(dotted))


def check_ranges(obj: Any, prefix: str = "") -> None:
    """Check every leaf of the tree ``obj`` against its range (``lo``/``hi``; each element of a
    list) and its ``choices``.

    :func:`override` checks each value it sets (:func:`coerce`), and the records it inserts as
    they are; this is for a tree built some other way (dataclasses constructed directly).
    ``prefix`` is put before the names in messages (``"opinions."`` for a section).

    Raises:
        ValueError: ``parameter <name>=<value>: allowed range …`` (or ``allowed: …``).
    """
    for info in iter_fields(obj):
        value = lookup(obj, info.name)
        name = prefix + info.name
        if isinstance(value, tuple):
            for i, v in enumerate(value):
                _check_leaf(f"{name}[{i}]", v, info)
        else:
            _check_leaf(name, value, info)


def _check_leaf(name: str, value: Any, info: FieldInfo) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        too_low = info.lo is not None and value < info.lo
        if too_low or (info.hi is not None and value > info.hi):
            raise ValueError(f"parameter {name}={shown(value)}: allowed range {info.allowed}")
    if info.choices and value not in info.choices:
        allowed = ", ".join(map(str, info.choices))
        raise ValueError(f"parameter {name}={shown(value)}: allowed: {allowed}")


#: The attribute that marks a tree as validated (see :func:`mark_validated`).
_VALIDATED = "_schema_validated"


def mark_validated(obj: Any) -> Any:
    """Mark the (frozen) tree ``obj`` as validated, and return it.

    A validated tree is not checked again: ``sim.params.build_params`` returns it as it is
    when no overrides are given. The mark is not a field (equality, hashing, ``to_dict`` and
    ``flatten`` ignore it), a changed copy (:func:`override`, ``dataclasses.replace``) does not
    carry it, and it is not pickled (a tree that crosses a process boundary is checked by the
    code of the process that uses it).
    """
    object.__setattr__(obj, _VALIDATED, True)
    return obj


def is_validated(obj: Any) -> bool:
    """Whether ``obj`` was marked by :func:`mark_validated`."""
    return bool(getattr(obj, "__dict__", {}).get(_VALIDATED, False))


def unmarked_state(obj: Any) -> dict[str, Any]:
    """``obj.__dict__`` without the validation mark (for ``__getstate__``)."""
    state = dict(obj.__dict__)
    state.pop(_VALIDATED, None)
    return state


def shown(value: Any) -> str:
    """``repr(value)``, cut to 60 characters (for messages)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def keyed_maps(obj: Any, prefix: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(dotted name, mapping)`` for every field typed ``dict[str, <dataclass>]`` (the groups)."""
    types = field_types(type(obj))
    for f in dataclasses.fields(obj):
        value, tp = getattr(obj, f.name), types[f.name]
        if typing.get_origin(tp) is dict and is_dataclass_type(typing.get_args(tp)[1]):
            yield prefix + f.name, value
        elif dataclasses.is_dataclass(value):
            yield from keyed_maps(value, f"{prefix}{f.name}.")


def diff(base: Any, other: Any) -> dict[str, Any]:
    """Dotted-name overrides that turn ``base`` into ``other`` (two trees of the same type).

    ``override``-ing ``base`` with ``diff(base, other)`` gives ``other``. A mapping of records
    whose keys differ (different sets of resident groups) is one entry, the whole mapping.
    """
    out: dict[str, Any] = {}
    whole: list[str] = []
    for (name, a), (_, b) in zip(keyed_maps(base), keyed_maps(other), strict=True):
        if list(a) != list(b):
            out[name] = to_dict(b)
            whole.append(name + ".")
    fa, fb = flatten(base), flatten(other)
    for key, value in fb.items():
        if any(key.startswith(w) for w in whole):
            continue
        if fa.get(key) != value:
            out[key] = list(value) if isinstance(value, tuple) else value
    return out


def show(value: Any) -> str:
    """A value as a message shows it (``true``/``false``, lists for tuples)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return repr(list(value))
    return repr(value)


def table_markdown(obj: Any) -> str:
    """A markdown table of every leaf of ``obj``, one section per top-level field: name,
    meaning, unit, default, allowed values, time scale and where the default comes from."""
    lines: list[str] = []
    section = None
    for info in iter_fields(obj):
        top = info.name.split(".")[0]
        if top != section:
            section = top
            cls = field_types(type(obj))[top]
            lines += [
                "",
                f"### `{top}` — {(cls.__doc__ or '').strip().splitlines()[0]}",
                "",
                "| parameter | meaning | unit | default | allowed | time scale | where the default "
                "comes from |",
                "|---|---|---|---|---|---|---|",
            ]
        default = info.default
        if isinstance(default, tuple):
            default = ", ".join(map(str, default))
        elif isinstance(default, dict):
            default = "{}" if not default else str(default)
        doc = info.doc.replace("|", "\\|")
        src = info.source.replace("|", "\\|") or "–"
        lines.append(
            f"| `{info.name}` | {doc} | {info.unit or '–'} | {default} | {info.allowed} | "
            f"{info.time_scale or '–'} | {src} |"
        )
    return "\n".join(lines).lstrip() + "\n"
