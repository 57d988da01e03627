"""Is a public event's new JSON Schema backward compatible with its committed one?

Event topics keep every event forever and projections and agencies replay them from
offset 0, so two promises must hold at once:

* the new schema accepts every payload the old one accepted: no new required field,
  no optional field made required, no narrowed enum, no tightened constraint or
  ``additionalProperties``;
* nothing an existing consumer reads goes away or changes meaning: no removed field,
  no changed type (nullability included) or format.

Adding an optional field is the one way an event grows; anything else is a new
``.vN`` event type. Only the schema keywords pydantic emits are compared
(annotations such as ``title``, ``description`` and ``examples`` never matter).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Schema = Mapping[str, Any]

# Keywords that, when added or moved inwards, shrink the set of valid values.
_LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
# Two different patterns (or divisors) rarely accept the same values: any change counts.
_EXACT = ("pattern", "multipleOf")

_ROOT = "$"


def check(old_schema: Schema, new_schema: Schema) -> list[str]:
    """The ways `new_schema` breaks consumers of `old_schema`; empty when compatible."""
    comparison = _Comparison(old_root=old_schema, new_root=new_schema)
    comparison.compare(old_schema, new_schema, _ROOT)
    return comparison.violations


def check_catalogue(committed: Mapping[str, Schema], current: Mapping[str, Schema]) -> list[str]:
    """Everything wrong between the committed schema files and the current models.

    Both map a versioned event type to its JSON Schema. A committed type may leave the
    code only once a newer version of it exists (its events stay on the topic, and the
    newer version's upcaster reads them); its schema file stays as the record.
    """
    violations: list[str] = []
    for event_type in sorted(committed):
        schema_id = committed[event_type].get("$id", event_type)
        if schema_id != event_type:
            violations.append(f"{event_type}: the file's $id says {schema_id!r}")
        if event_type in current:
            violations.extend(
                f"{event_type}: {problem}"
                for problem in check(committed[event_type], current[event_type])
            )
        elif not _superseded(event_type, current):
            violations.append(
                f"{event_type}: has a committed schema but is no longer a public event, "
                "and no newer version replaces it; events of this type stay on the topic "
                "forever, so bring the model back (or add its .vN successor with an upcaster)"
            )
    violations.extend(
        f"{event_type}: no committed schema; run `make contracts` "
        "(python -m grassroots_contracts write) and commit contracts/schemas"
        for event_type in sorted(current)
        if event_type not in committed
    )
    return violations


def out_of_date(committed: Mapping[str, Schema], current: Mapping[str, Schema]) -> list[str]:
    """Event types whose committed schema differs from the code (compatibly or not)."""
    return sorted(t for t in current if t in committed and committed[t] != current[t])


def _superseded(event_type: str, current: Mapping[str, Schema]) -> bool:
    name, version = _split_version(event_type)
    return any(
        other_name == name and other_version > version
        for other_name, other_version in map(_split_version, current)
    )


def _split_version(event_type: str) -> tuple[str, int]:
    name, _, version = event_type.rpartition(".v")
    return (name, int(version)) if version.isdigit() else (event_type, -1)


@dataclass(frozen=True)
class _Variant:
    """One alternative of a (possibly union) schema, with its `$ref`s resolved."""

    kind: str  # a JSON type, or "any"/"nothing" for boolean or unconstrained schemas
    schema: Schema
    ref: str | None  # the last $ref followed to reach it, for naming and cycle detection

    @property
    def name(self) -> str:
        if self.ref is not None:
            return self.ref.rsplit("/", 1)[-1]
        return str(self.schema.get("title", self.kind))


@dataclass
class _Comparison:
    old_root: Schema
    new_root: Schema
    violations: list[str] = field(default_factory=list)
    # Pairs of $refs being compared further up the current path: a recursive model
    # would otherwise be walked forever. Not a global "seen" set, so a model used by
    # two fields reports its problems at both.
    _in_progress: set[tuple[str | None, str | None]] = field(default_factory=set)

    def compare(self, old: Any, new: Any, path: str) -> None:
        old_variants = _variants(old, self.old_root)
        new_variants = _variants(new, self.new_root)
        old_kinds = sorted({v.kind for v in old_variants})
        new_kinds = sorted({v.kind for v in new_variants})
        if old_kinds != new_kinds:
            self._report(
                path, f"type changed from {' | '.join(old_kinds)} to {' | '.join(new_kinds)}"
            )
            return
        for kind in old_kinds:
            olds = [v for v in old_variants if v.kind == kind]
            news = [v for v in new_variants if v.kind == kind]
            for old_variant, new_variant in self._pair(olds, news, path):
                self._compare_variant(old_variant, new_variant, path)

    def _pair(
        self, olds: Sequence[_Variant], news: Sequence[_Variant], path: str
    ) -> Iterator[tuple[_Variant, _Variant]]:
        if len(olds) == 1 and len(news) == 1:
            yield olds[0], news[0]
            return
        # Several alternatives of one JSON type (a union of models): match them by name.
        by_name = {v.name: v for v in news}
        for old_variant in olds:
            if old_variant.name in by_name:
                yield old_variant, by_name[old_variant.name]
            else:
                self._report(path, f"union member {old_variant.name} removed")

    def _compare_variant(self, old: _Variant, new: _Variant, path: str) -> None:
        key = (old.ref, new.ref)
        if key != (None, None) and key in self._in_progress:
            return
        self._in_progress.add(key)
        try:
            self._compare_keywords(old.schema, new.schema, path)
            if old.kind == "object":
                self._compare_object(old.schema, new.schema, path)
            elif old.kind == "array":
                self._compare_array(old.schema, new.schema, path)
        finally:
            self._in_progress.discard(key)

    def _compare_keywords(self, old: Schema, new: Schema, path: str) -> None:
        if old.get("format") != new.get("format"):
            self._report(
                path,
                f"format changed from {old.get('format', 'none')} to {new.get('format', 'none')}",
            )
        old_values, new_values = _allowed_values(old), _allowed_values(new)
        if new_values is not None:
            if old_values is None:
                self._report(path, f"values restricted to {_show(new_values)}")
            elif removed := [v for v in old_values if v not in new_values]:
                self._report(path, f"enum narrowed: {_show(removed)} no longer allowed")
        for keyword in _LOWER_BOUNDS:
            if keyword in new and (keyword not in old or new[keyword] > old[keyword]):
                self._report(path, _tightened(keyword, old, new))
        for keyword in _UPPER_BOUNDS:
            if keyword in new and (keyword not in old or new[keyword] < old[keyword]):
                self._report(path, _tightened(keyword, old, new))
        for keyword in _EXACT:
            if keyword in new and new[keyword] != old.get(keyword):
                self._report(
                    path, f"{keyword} changed from {old.get(keyword, 'none')} to {new[keyword]}"
                )
        if new.get("uniqueItems") is True and old.get("uniqueItems") is not True:
            self._report(path, "items must now be unique")

    def _compare_object(self, old: Schema, new: Schema, path: str) -> None:
        old_props: Mapping[str, Any] = old.get("properties", {})
        new_props: Mapping[str, Any] = new.get("properties", {})
        old_required = set(old.get("required", ()))
        new_required: Sequence[str] = new.get("required", ())
        for name, old_prop in old_props.items():
            child = f"{path}.{name}"
            if name not in new_props:
                self._report(child, "field removed")
                continue
            self.compare(old_prop, new_props[name], child)
            if name in new_required and name not in old_required:
                self._report(child, "optional field made required")
        for name in new_required:
            if name not in old_props and name not in old_required:
                self._report(f"{path}.{name}", "new required field")
        self._compare_additional(
            old.get("additionalProperties", True), new.get("additionalProperties", True), path
        )

    def _compare_additional(self, old: Any, new: Any, path: str) -> None:
        if old is False or new is True:
            return
        if old is True or new is False:
            self._report(
                path,
                "additionalProperties tightened: "
                f"extra properties were {_describe_additional(old)}, "
                f"now {_describe_additional(new)}",
            )
            return
        self.compare(old, new, f"{path}.*")

    def _compare_array(self, old: Schema, new: Schema, path: str) -> None:
        old_tuple: Sequence[Any] = old.get("prefixItems", ())
        new_tuple: Sequence[Any] = new.get("prefixItems", ())
        if len(old_tuple) != len(new_tuple):
            self._report(path, f"tuple length changed from {len(old_tuple)} to {len(new_tuple)}")
        for index, (old_item, new_item) in enumerate(zip(old_tuple, new_tuple, strict=False)):
            self.compare(old_item, new_item, f"{path}[{index}]")
        if "items" in old or "items" in new:
            self.compare(old.get("items", True), new.get("items", True), f"{path}[]")

    def _report(self, path: str, problem: str) -> None:
        self.violations.append(f"{path}: {problem}")


def _variants(schema: Any, root: Schema) -> list[_Variant]:
    resolved, ref = _resolve(schema, root)
    if isinstance(resolved, bool):
        return [_Variant("any" if resolved else "nothing", {}, ref)]
    branches = [*resolved.get("anyOf", ()), *resolved.get("oneOf", ())]
    if branches:
        return [variant for branch in branches for variant in _variants(branch, root)]
    declared = resolved.get("type")
    if isinstance(declared, list):
        return [_Variant(kind, {**resolved, "type": kind}, ref) for kind in declared]
    return [_Variant(_kind(resolved), resolved, ref)]


def _resolve(schema: Any, root: Schema) -> tuple[Any, str | None]:
    """Follow `$ref`s (and pydantic's single-item `allOf` wrapper) to the schema meant."""
    last_ref: str | None = None
    followed: set[str] = set()
    while isinstance(schema, Mapping):
        siblings = {k: v for k, v in schema.items() if k not in ("$ref", "allOf")}
        if "$ref" in schema:
            ref = schema["$ref"]
            if ref in followed:
                raise ValueError(f"$ref cycle through {ref}")
            followed.add(ref)
            target, last_ref = _pointer(root, ref), ref
        elif isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
            target = schema["allOf"][0]
        else:
            break
        # Keywords beside a $ref apply too (JSON Schema 2020-12); pydantic puts
        # annotations there, hand-written schemas may put constraints.
        schema = {**target, **siblings} if isinstance(target, Mapping) and siblings else target
    return schema, last_ref


def _pointer(root: Schema, ref: str) -> Any:
    if not ref.startswith("#"):
        raise ValueError(f"only local $refs are supported, not {ref!r}")
    node: Any = root
    for part in filter(None, ref[1:].split("/")):
        key = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or key not in node:
            raise ValueError(f"$ref {ref!r} does not resolve")
        node = node[key]
    return node


def _kind(schema: Schema) -> str:
    declared = schema.get("type")
    if isinstance(declared, str):
        return declared
    values = _allowed_values(schema)
    if values:
        kinds = {_json_type(v) for v in values}
        return kinds.pop() if len(kinds) == 1 else "any"
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return "any"


def _allowed_values(schema: Schema) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    if "enum" in schema:
        return list(schema["enum"])
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _tightened(keyword: str, old: Schema, new: Schema) -> str:
    return f"{keyword} tightened from {old.get(keyword, 'none')} to {new[keyword]}"


def _describe_additional(value: Any) -> str:
    if value is True:
        return "allowed"
    if value is False:
        return "forbidden"
    return "restricted by a schema"


def _show(values: Sequence[Any]) -> str:
    return ", ".join(repr(v) for v in values)
