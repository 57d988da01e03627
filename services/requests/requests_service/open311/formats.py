"""Rendering Open311 documents as JSON or XML, the two formats GeoReport v2 names.

A document is plain data (dicts, lists, strings, numbers, booleans, None) shaped as the
spec's JSON; the XML form is derived from it: a root element (`services`), one element
per list item (`service`), one child per key, and nested lists named by their plural
(`attributes` holds `attribute` elements). Pure: no I/O, no FastAPI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from xml.etree import ElementTree as ET

Format = Literal["json", "xml"]
FORMATS: tuple[Format, ...] = ("json", "xml")

JSON_TYPE = "application/json"
XML_TYPE = "text/xml; charset=utf-8"

# The element name of one item inside a nested list, by the list's key. GeoReport's XML
# spells these out; anything not listed here would be a programming error.
ITEM_TAGS: dict[str, str] = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}

# XML 1.0 cannot carry most control characters or lone surrogates at all, not even
# escaped; an error echoing a client's bad input must still be a well-formed document.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """`text` without the characters XML 1.0 (and UTF-8) cannot carry."""
    return _NOT_XML.sub("\ufffd", text)


def media_type(fmt: Format) -> str:
    return JSON_TYPE if fmt == "json" else XML_TYPE


def render(fmt: Format, root: str, item: str, items: Sequence[Mapping[str, Any]]) -> bytes:
    """A list document: JSON `[{...}, ...]`, XML `<root><item>...</item>...</root>`."""
    if fmt == "json":
        return to_json(list(items))
    element = ET.Element(root)
    for one in items:
        _append(element, item, one)
    return _document(element)


def render_object(fmt: Format, root: str, body: Mapping[str, Any]) -> bytes:
    """A single-object document: JSON `{...}`, XML `<root>...</root>` (a service
    definition, discovery)."""
    if fmt == "json":
        return to_json(body)
    return to_xml(root, body)


def to_json(value: Any) -> bytes:
    return json.dumps(_cleaned(value), ensure_ascii=False, separators=(",", ":")).encode()


def to_xml(root: str, children: Mapping[str, Any]) -> bytes:
    element = ET.Element(root)
    for key, value in children.items():
        _append(element, key, value)
    return _document(element)


def _document(element: ET.Element) -> bytes:
    body: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def _append(parent: ET.Element, key: str, value: Any) -> None:
    """Add `key` to `parent`; a list is wrapped in `key` with one ITEM_TAGS[key] child
    per item (`<attributes><attribute/>...</attributes>`)."""
    if isinstance(value, list | tuple):
        wrapper = ET.SubElement(parent, key)
        for one in value:
            _append(wrapper, ITEM_TAGS[key], one)
        return
    child = ET.SubElement(parent, key)
    if isinstance(value, Mapping):
        for k, v in value.items():
            _append(child, k, v)
    else:
        child.text = _text(value)


def _text(value: Any) -> str | None:
    if value is None:
        return None  # an empty element, as the spec's examples show for absent values
    if isinstance(value, bool):
        return "true" if value else "false"
    return clean(str(value))


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Mapping):
        return {k: _cleaned(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_cleaned(v) for v in value]
    return value
