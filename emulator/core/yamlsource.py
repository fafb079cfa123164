"""YAML loading that remembers where every value came from, so errors can name file, line and column."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml


@dataclass
class YamlDocument:
    data: Any
    source: str
    marks: dict[tuple[str, ...], tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[tuple[str, ...], tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Sequence[Any], at_key: bool = False) -> str:
        """`file:line:col` of the deepest known node on `path` (1-based), or of its key with `at_key`."""
        key = tuple(str(p) for p in path)
        if at_key and key in self.key_marks:
            line, col = self.key_marks[key]
            return f"{self.source}:{line}:{col}"
        while key not in self.marks and key:
            key = key[:-1]
        line, col = self.marks.get(key, (1, 1))
        return f"{self.source}:{line}:{col}"


class YamlError(ValueError):
    """A file that is not valid YAML; the message already names file, line and column."""


def load_yaml(text: str, source: str) -> YamlDocument:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise YamlError(f"{where}: not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:  # pragma: no cover - non-marked YAML errors are rare
        raise YamlError(f"{source}: not valid YAML: {exc}") from None
    doc = YamlDocument(data, source)
    if node is not None:
        _record(node, (), doc)
    return doc


def _record(node: yaml.Node, path: tuple[str, ...], doc: YamlDocument) -> None:
    doc.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            doc.key_marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _record(value_node, child, doc)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, (*path, str(index)), doc)


def schema_errors(doc: YamlDocument, schema: dict[str, Any]) -> list[str]:
    """Every JSON-Schema violation of `doc`, each one precise line naming where and what was expected."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    out = []
    for error in sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        best = _best(error)
        path = list(best.absolute_path)
        location = "/".join(str(p) for p in path) or "(top level)"
        if best.validator == "additionalProperties" and isinstance(best.instance, dict):
            # point at the first unexpected key rather than at the mapping that holds it
            extra = [k for k in best.instance if k not in best.schema.get("properties", {})]
            out.append(f"{doc.where(path + extra[:1], at_key=True)}: {location}: {_explain(best)}")
            continue
        out.append(f"{doc.where(path)}: {location}: {_explain(best)}")
    return out


def _best(error: Any) -> Any:
    """For oneOf/anyOf failures, descend to the most specific sub-error instead of a vague summary."""
    import jsonschema

    if error.context:
        return _best(jsonschema.exceptions.best_match(error.context))
    return error


def _explain(error: Any) -> str:
    if error.validator == "additionalProperties":
        return f"unknown key ({error.message.split('(')[-1].rstrip(')')}); allowed: " + ", ".join(
            sorted(error.schema.get("properties", {})))
    if error.validator == "enum":
        return f"{error.instance!r} is not one of " + ", ".join(map(repr, error.validator_value))
    return error.message
