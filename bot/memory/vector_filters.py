"""Mem0's filter language, evaluated on a memory's payload (what SQL does not index).

Mem0 passes either plain `{"key": value}` pairs or, after `_process_metadata_filters`, operator
dicts `{"key": {"gte": 3}}` plus `$or` / `$not` lists (the Platform spellings OR / NOT / AND are
accepted too). Semantics follow Mem0's Qdrant store: a list value in the payload matches if any
element does (`{"categories": "health"}` finds `["health", "sleep"]`); a missing key satisfies no
condition, `ne` and `nin` included (as SQL NULL would); `"*"` means the key is present.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

Filters = Mapping[str, Any]

_RANGE_OPS = {"gt", "gte", "lt", "lte"}
_OPS = {"eq", "ne", "in", "nin", "contains", "icontains", *_RANGE_OPS}


def matches(payload: Mapping[str, Any], filters: Filters) -> bool:
    """Whether `payload` satisfies every condition in `filters`."""
    for key, condition in filters.items():
        if key in ("$or", "OR"):
            if not any(matches(payload, sub) for sub in _conditions(key, condition)):
                return False
        elif key in ("$not", "NOT"):
            if any(matches(payload, sub) for sub in _conditions(key, condition)):
                return False
        elif key in ("$and", "AND"):
            if not all(matches(payload, sub) for sub in _conditions(key, condition)):
                return False
        elif not _field_matches(payload, key, condition):
            return False
    return True


def _conditions(key: str, value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ValueError(f"{key} filter needs a list of filter dicts, got {value!r}")
    return value


def _field_matches(payload: Mapping[str, Any], key: str, condition: Any) -> bool:
    if condition == "*":
        return payload.get(key) is not None
    if key not in payload or payload[key] is None:
        return False
    value = payload[key]
    if isinstance(condition, list):
        return _any_in(value, condition)
    if not isinstance(condition, Mapping):
        return _equal(value, condition)
    unknown = set(condition) - _OPS
    if unknown:
        raise ValueError(f"unsupported filter operator(s) {sorted(unknown)} for field {key!r}")
    return all(_operator(value, op, operand) for op, operand in condition.items())


def _operator(value: Any, op: str, operand: Any) -> bool:
    if op == "eq":
        return _equal(value, operand)
    if op == "ne":
        return not _equal(value, operand)
    if op == "in":
        return _any_in(value, _as_list(operand))
    if op == "nin":
        return not _any_in(value, _as_list(operand))
    if op in ("contains", "icontains"):
        fold = op == "icontains"
        needle = str(operand).lower() if fold else str(operand)
        return any(isinstance(v, str) and needle in (v.lower() if fold else v) for v in _elements(value))
    return _compare(value, op, operand)


def _elements(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list) else (value,)


def _as_list(operand: Any) -> list[Any]:
    return list(operand) if isinstance(operand, list | tuple | set | frozenset) else [operand]


def _equal(value: Any, operand: Any) -> bool:
    return any(v == operand for v in _elements(value))


def _any_in(value: Any, options: list[Any]) -> bool:
    return any(v == o for v in _elements(value) for o in options)


def _compare(value: Any, op: str, operand: Any) -> bool:
    left, right = _comparable(value), _comparable(operand)
    if isinstance(left, float) and isinstance(right, float):
        return _ordered(left, op, right)
    if isinstance(left, datetime) and isinstance(right, datetime):
        return _ordered(left, op, right)
    if isinstance(left, str) and isinstance(right, str):
        return _ordered(left, op, right)
    return False


def _ordered(left: Any, op: str, right: Any) -> bool:
    if op == "gt":
        return bool(left > right)
    if op == "gte":
        return bool(left >= right)
    if op == "lt":
        return bool(left < right)
    return bool(left <= right)


def _comparable(value: Any) -> float | datetime | str | None:
    """Numbers compare as numbers, ISO dates/datetimes as instants (naive = UTC), other text as text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None
