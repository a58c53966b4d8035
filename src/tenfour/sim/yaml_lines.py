"""YAML loading that remembers line numbers, so errors in a file can name the line.

Scenario files, policy settings and plan files are all read by ``read_yaml_file``;
``line_at`` finds the line of a field path (``plans.MEDICAL/P1.engine``) in what
it read.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml


class LineDict(dict[str, Any]):
    """A mapping from YAML that knows its own line and each key's line (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    line: int = 0


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in out:
            raise yaml.MarkedYAMLError(
                problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


def line_of(value: Any, key: str | None = None) -> int:
    """The line of a mapping (or of one of its keys); 0 if unknown."""
    if isinstance(value, LineDict):
        if key is not None and key in value.key_lines:
            return value.key_lines[key]
        return value.line
    return int(getattr(value, "line", 0))


class YamlFileError(ValueError):
    """A YAML file that cannot be read or parsed: the file, the line (0: not known)
    and why, shown as ``FILE:LINE: reason``."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        super().__init__(f"{path}:{line}: {reason}" if line else f"{path}: {reason}")


def read_yaml_file(path: str | Path) -> Any:
    """The YAML document in the file at ``path``, its mappings ``LineDict``s;
    ``YamlFileError`` if it cannot be read, is not UTF-8, or is not valid YAML."""
    where = str(path)
    try:
        return load_yaml(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise YamlFileError(where, 0, f"cannot read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise YamlFileError(where, 0, "cannot read: not UTF-8 text") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(error, "problem", None) or error
        raise YamlFileError(where, line, f"not valid YAML: {problem}") from None


def line_at(raw: Any, path: Sequence[str]) -> int:
    """The line of the deepest key along ``path`` that ``raw`` holds (``["timers",
    "pursuit_s"]``), so an error in a value names the line it is on; 0 if ``raw``
    holds not even the first key."""
    line, node = 0, raw
    for key in path:
        if not isinstance(node, LineDict) or key not in node:
            break
        line, node = line_of(node, key), node[key]
    return line
