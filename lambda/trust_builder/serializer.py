"""The ASK SDK's serialiser, with what it works out for every request worked out once.

Reading the request envelope into the SDK's model objects was about half of a warm turn: the SDK's
DefaultSerializer resolves each model class by importing it from its dotted name, rebuilds each class's
attribute map, and parses the timestamp with dateutil's general parser, on every request. `CachedSerializer`
does the same walk with the same rules (same classes, same attribute names, extra payload keys kept as
attributes, discriminators for request and directive types, SerializationException for what does not fit),
but remembers per type string and per class what it resolved, and reads Alexa's own timestamp form
("2026-12-02T20:50:27Z") directly into the same value dateutil gives (the same time, in the same zone
class); any other form still goes to dateutil. Serialising the response likewise keeps the SDK's rules and
remembers each model class's field names.

tests/test_serializer.py holds it to the SDK's DefaultSerializer: the same objects for the envelopes the
tests send, an error for the same malformed ones, and the same JSON for the skill's responses.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from dateutil.tz import UTC, enfold, tzlocal  # type: ignore[import-untyped]  # loaded with ask_sdk_model anyway

_LIST = re.compile(r"list\[(.*)\]")
_DICT = re.compile(r"dict\(([^,]*), (.*)\)")
_ALEXA_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")

Reader = Callable[[Any], Any]


class CachedSerializer(DefaultSerializer):
    def __init__(self) -> None:
        self._readers: dict[Any, Reader] = {}
        self._models: dict[type, tuple[list[tuple[str, str, Any]], frozenset[str]]] = {}
        self._names: dict[type, list[tuple[str, str]]] = {}

    def serialize(self, obj: Any) -> Any:
        """The SDK's serialize (None, primitives, lists, tuples, dates, enums, decimals, dicts, models by
        their non-None fields), with each model class's field names worked out once."""
        if obj is None:
            return None
        if isinstance(obj, self.PRIMITIVE_TYPES):
            return obj
        if isinstance(obj, list):
            return [self.serialize(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.serialize(item) for item in obj)
        if isinstance(obj, datetime | date):
            return obj.isoformat()
        if isinstance(obj, Enum):
            return obj.value
        if isinstance(obj, Decimal):
            return int(obj) if obj % 1 == 0 else float(obj)
        if isinstance(obj, dict):
            return {key: self.serialize(value) for key, value in obj.items()}
        names = self._names.get(type(obj))
        if names is None:
            mapping = dict(getattr(obj, "attribute_map", {}))
            names = [(attribute, mapping.get(attribute, attribute)) for attribute in obj.deserialized_types]
            self._names[type(obj)] = names
        result = {}
        for attribute, key in names:
            value = getattr(obj, attribute)
            if value is not None:
                result[key] = self.serialize(value)
        return result

    def deserialize(self, payload: str | None, obj_type: Any) -> Any:
        if payload is None:
            return None
        return self._read(super().deserialize(payload, "object"), obj_type)

    def _read(self, payload: Any, obj_type: Any) -> Any:
        if payload is None:
            return None
        reader = self._readers.get(obj_type)
        if reader is None:
            reader = self._readers[obj_type] = self._reader_for(obj_type)
        return reader(payload)

    def _reader_for(self, obj_type: Any) -> Reader:
        """What the SDK's __deserialize decides from the type alone, decided once per type."""
        if isinstance(obj_type, str):
            if obj_type.startswith("list["):
                match = _LIST.match(obj_type)
                if match is None:
                    return lambda payload: []
                inner = match.group(1)
                if "," in inner:
                    kinds = [kind.strip() for kind in inner.split(",")]
                    return lambda payload: [
                        self._read(p, kind) for p, kind in zip(payload, kinds, strict=False)
                    ]
                kind = inner.strip()
                return lambda payload: [self._read(p, kind) for p in payload]
            if obj_type.startswith("dict("):
                match = _DICT.match(obj_type)
                if match is None:
                    return lambda payload: {}
                kind = match.group(2)
                return lambda payload: {k: self._read(v, kind) for k, v in payload.items()}
            if obj_type in self.NATIVE_TYPES_MAPPING:
                obj_type = self.NATIVE_TYPES_MAPPING[obj_type]
            else:
                obj_type = self._load_class(obj_type)
        if obj_type in self.PRIMITIVE_TYPES:
            return lambda payload: self._primitive(payload, obj_type)
        if obj_type is object:
            return lambda payload: payload
        if obj_type is date or obj_type is datetime:
            return lambda payload: self._timestamp(payload, obj_type)
        return lambda payload: self._model(payload, obj_type)

    def _load_class(self, class_name: str) -> Any:
        try:
            module_name, _, name = class_name.rpartition(".")
            if not module_name:
                import ask_sdk_core.serialize

                return getattr(ask_sdk_core.serialize, name)
            return getattr(__import__(module_name, fromlist=[name]), name)
        except Exception as error:
            raise SerializationException(
                f"Unable to resolve class {class_name} from installed modules: {error}"
            ) from error

    @staticmethod
    def _primitive(payload: Any, obj_type: Any) -> Any:
        try:
            return obj_type(payload)
        except UnicodeEncodeError:
            return str(payload)
        except TypeError:
            return payload
        except ValueError as error:
            raise SerializationException(
                f"Failed to parse {payload} into '{obj_type.__name__}' object"
            ) from error

    @staticmethod
    def _timestamp(payload: Any, obj_type: Any) -> Any:
        try:
            if isinstance(payload, str) and _ALEXA_TIMESTAMP.fullmatch(payload):
                parsed = _as_dateutil_reads_z(datetime.fromisoformat(payload[:-1]))
            else:
                from dateutil.parser import parse  # type: ignore[import-untyped]  # 8 ms: only when needed

                parsed = parse(payload)
        except ValueError as error:
            raise SerializationException(
                f"Failed to parse {payload} into '{obj_type.__name__}' object"
            ) from error
        return parsed.date() if obj_type is date else parsed

    def _model(self, payload: Any, obj_type: Any) -> Any:
        try:
            if issubclass(obj_type, Enum):
                return obj_type(payload)
            if not hasattr(obj_type, "deserialized_types"):
                return payload
            if hasattr(obj_type, "get_real_child_model"):
                child = obj_type.get_real_child_model(payload)
                if not child:
                    raise SerializationException(
                        f"Couldn't resolve object by discriminator type for {obj_type} class"
                    )
                obj_type = self._load_class(child)
            fields, known = self._fields(obj_type)
            model = obj_type()
            for attribute, key, kind in fields:
                if key in payload:
                    setattr(model, attribute, self._read(payload[key], kind))
            for key in payload:
                if key not in known:
                    setattr(model, key, payload[key])
            return model
        except Exception as error:
            raise SerializationException(str(error)) from error

    def _fields(self, obj_type: type) -> tuple[list[tuple[str, str, Any]], frozenset[str]]:
        """(attribute, payload key, type) per field, and the payload keys the class knows: the SDK merges
        deserialized_types into attribute_map this way on every request."""
        cached = self._models.get(obj_type)
        if cached is None:
            types: dict[str, Any] = obj_type.deserialized_types  # type: ignore[attr-defined]
            names = dict(getattr(obj_type, "attribute_map", {}))
            names.update({k: k for k in types if k not in names})
            fields = [(attribute, key, types[attribute]) for attribute, key in names.items()]
            cached = self._models[obj_type] = (fields, frozenset(names.values()))
        return cached


def _as_dateutil_reads_z(naive: datetime) -> datetime:
    """The zone dateutil's parser gives a time written with "Z" (dateutil/parser/_parser.py, _build_tzaware):
    it reads "Z" as the zone named "UTC", so where the local zone is called UTC (as on Lambda) the time is
    in tzlocal(), else in tzutc()."""
    if "UTC" not in time.tzname:
        return naive.replace(tzinfo=UTC)
    aware = naive.replace(tzinfo=tzlocal())
    if aware.tzname() != "UTC":
        folded = enfold(aware, fold=1)
        aware = folded if folded.tzname() == "UTC" else aware.replace(tzinfo=UTC)
    return aware
