"""YAML loading that remembers where every value came from, so errors can name file, line and column."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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


#: The largest document read: the admin API's body limit, which a scenario sent over HTTP meets anyway.
MAX_DOCUMENT_BYTES = 1024 * 1024
#: Nesting of lists and mappings, aliases expanded; a scenario needs about seven.
MAX_DEPTH = 64
#: Nodes once every alias is expanded: a 1 MiB scenario of a few thousand rules has ~150,000, while a
#: 430-byte "billion laughs" of nested aliases would expand to billions (minutes of CPU, gigabytes).
MAX_NODES = 250_000

#: libyaml's event parser when PyYAML has it (about 40 times faster than the pure-Python one); either way the
#: events are composed here, not by PyYAML's recursive composer, so depth and aliases are counted as they come.
_EVENTS_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()


def load_yaml(text: str, source: str) -> YamlDocument:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_DOCUMENT_BYTES:
        raise YamlError(f"{source}: the document is {size} bytes; at most {MAX_DOCUMENT_BYTES} (1 MiB) are read")
    try:
        node = _compose(yaml.parse(text, Loader=_EVENTS_LOADER), source)
        data = None if node is None else yaml.constructor.SafeConstructor().construct_document(node)
    except yaml.MarkedYAMLError as exc:
        # libyaml's own bound (1000 levels), which it meets scanning ahead: said in the emulator's words, and not
        # parsed again for wording (the pure-Python scanner takes seconds over thousands of open brackets)
        too_deep = "maximum nesting depth" in (exc.problem or "")
        if not isinstance(exc, yaml.composer.ComposerError) and not too_deep:
            exc = _worded(text, exc)
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = f"nested more than {MAX_DEPTH} levels deep" if too_deep else exc.problem or str(exc)
        raise YamlError(f"{where}: not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:  # pragma: no cover - non-marked YAML errors are rare
        raise YamlError(f"{source}: not valid YAML: {exc}") from None
    except (ValueError, OverflowError) as exc:   # a timestamp such as 2026-02-31, an int of 5,000 digits
        raise YamlError(f"{source}: not valid YAML: a value cannot be read: {str(exc)[:120]}") from None
    doc = YamlDocument(data, source)
    if node is not None:
        _record(node, (), doc)
    return doc


def _worded(text: str, error: yaml.MarkedYAMLError) -> yaml.MarkedYAMLError:
    """The pure-Python parser's wording of a syntax error libyaml found (`expected ',' or '}', but got
    '<scalar>'` rather than `did not find expected ',' or '}'`): it names what it got. Only the text up to the
    line after the error is parsed again, so a broken large file costs no more than a broken small one."""
    mark = error.problem_mark or error.context_mark
    if _EVENTS_LOADER is yaml.SafeLoader or mark is None:
        return error
    head = "\n".join(text.split("\n", mark.line + 2)[:mark.line + 2])
    try:
        for _ in yaml.parse(head, Loader=yaml.SafeLoader):
            pass
    except yaml.MarkedYAMLError as worded:
        found = worded.problem_mark or worded.context_mark
        if found is not None and (found.line, found.column) == (mark.line, mark.column):
            return worded
    return error


class _Open:
    """A collection node being composed, and for a mapping the key still waiting for its value."""

    __slots__ = ("key", "node")

    def __init__(self, node: yaml.CollectionNode) -> None:
        self.node = node
        self.key: yaml.Node | None = None

    def add(self, child: yaml.Node) -> None:
        if isinstance(self.node, yaml.SequenceNode):
            self.node.value.append(child)
        elif self.key is None:
            self.key = child
        else:
            self.node.value.append((self.key, child))
            self.key = None


def _compose(events: Iterator[yaml.Event], source: str) -> yaml.Node | None:
    """PyYAML's composer without recursion, refusing depth beyond `MAX_DEPTH`, aliases that expand beyond
    `MAX_NODES`, and aliases to a node from inside itself, each as the YAML error of the event where it shows."""
    anchors: dict[str, yaml.Node] = {}
    sizes: dict[int, tuple[int, int]] = {}      # id(node) -> (nodes once expanded, levels below and with it)
    stack: list[_Open] = []
    root: yaml.Node | None = None
    documents = 0

    def fail(text: str, mark: Any) -> None:
        raise yaml.composer.ComposerError(None, None, text, mark)

    def attach(node: yaml.Node, mark: Any) -> None:
        nonlocal root
        count, height = sizes[id(node)]
        if count > MAX_NODES:
            fail(f"this node holds more than {MAX_NODES} values once its aliases are expanded (a scenario "
                 "needs far fewer; aliases that repeat aliases grow exponentially)", mark)
        if len(stack) + height > MAX_DEPTH:
            fail(f"nested more than {MAX_DEPTH} levels deep", mark)
        if stack:
            stack[-1].add(node)
        else:
            root = node

    def anchor(event: yaml.NodeEvent, node: yaml.Node) -> None:
        if event.anchor is not None:
            anchors[event.anchor] = node

    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                fail("expected a single document in the stream, but found another document", event.start_mark)
            anchors.clear()
        elif isinstance(event, yaml.AliasEvent):
            target = anchors.get(event.anchor)
            if target is None:
                fail(f"found undefined alias {event.anchor!r}", event.start_mark)
            if id(target) not in sizes:
                fail(f"the alias {event.anchor!r} refers to a node that contains it", event.start_mark)
            attach(target, event.start_mark)
        elif isinstance(event, yaml.ScalarEvent):
            tag = event.tag
            if tag is None or tag == "!":
                tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            anchor(event, node)
            sizes[id(node)] = (1, 1)
            attach(node, event.start_mark)
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if len(stack) + 1 > MAX_DEPTH:
                fail(f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
            kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
            tag = event.tag
            if tag is None or tag == "!":
                tag = _RESOLVER.resolve(kind, None, event.implicit)
            collection = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
            anchor(event, collection)
            stack.append(_Open(collection))
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            done = stack.pop().node
            done.end_mark = event.end_mark
            children = done.value if isinstance(done, yaml.SequenceNode) else [n for kv in done.value for n in kv]
            measured = [sizes[id(child)] for child in children]
            sizes[id(done)] = (1 + sum(c for c, _ in measured), 1 + max((h for _, h in measured), default=0))
            attach(done, done.start_mark)
    return root


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
    validator = _validator(schema)
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


_VALIDATORS: dict[int, Any] = {}


def _validator(schema: dict[str, Any]) -> Any:
    """A validator of `schema` with every local `$ref` inlined: resolving references took half the time of
    checking a large scenario (the schema has no recursive references, so inlining terminates)."""
    import jsonschema

    found = _VALIDATORS.get(id(schema))
    if found is None or found[0] is not schema:
        defs = schema.get("$defs", {})

        def inline(value: Any) -> Any:
            if isinstance(value, dict):
                ref = value.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/$defs/") and len(value) == 1:
                    return inline(defs[ref.removeprefix("#/$defs/")])
                return {k: inline(v) for k, v in value.items() if k != "$defs"}
            if isinstance(value, list):
                return [inline(v) for v in value]
            return value

        found = (schema, jsonschema.Draft202012Validator(inline(schema)))
        _VALIDATORS[id(schema)] = found
    return found[1]


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
