"""The standards' own schemas and examples, read from ``../shared/standards`` (never
copied into the project: NENA's and OASIS's files are reference material here).

Absent on a machine without ``../shared``: the tests that need them skip, saying
why, except under CI (``$CI`` set), where a missing file is a failure.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
STANDARDS = Path(os.environ.get("TENFOUR_STANDARDS", ROOT.parent / "shared" / "standards"))
EIDO = STANDARDS / "eido"
CAP = STANDARDS / "cap"


def need(path: Path) -> Path:
    """``path``, or skip (fail under CI) when the shared standards are not here."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must provide ../shared/standards")
        pytest.skip(f"{path} is missing (the shared standards are not on this machine)")
    return path


def _repaired(node: Any) -> Any:
    """The schema as its authors meant it: one ``minItems`` in openapi.yaml is the
    string ``"1,"`` (AgentType.agentRoleRegistryText), which no validator can compare
    a length with; it is read as the 1 it says."""
    if isinstance(node, dict):
        out = {k: _repaired(v) for k, v in node.items()}
        if isinstance(out.get("minItems"), str):
            out["minItems"] = int(out["minItems"].strip(", "))
        return out
    if isinstance(node, list):
        return [_repaired(v) for v in node]
    return node


@cache
def eido_validator() -> Any:
    """An OpenAPI 3.0 validator of EmergencyIncidentDataObjectType, its NIEM
    components resolved from the files beside openapi.yaml."""
    from openapi_schema_validator import OAS30Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT4

    main = need(EIDO / "openapi.yaml")
    resources = []
    for path in [main, *sorted((EIDO / "NIEMComponents").glob("*.yaml"))]:
        contents = _repaired(yaml.safe_load(path.read_text(encoding="utf-8")))
        resources.append((path.resolve().as_uri(), DRAFT4.create_resource(contents)))
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = {
        "$ref": f"{main.resolve().as_uri()}#/components/schemas/EmergencyIncidentDataObjectType"
    }
    return OAS30Validator(schema, registry=registry)


def eido_errors(document: Any) -> list[str]:
    """Every way ``document`` breaks the EIDO schema (empty: valid)."""
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message}"
        for e in eido_validator().iter_errors(document)
    ]


@cache
def cap_schema() -> Any:
    import xmlschema

    return xmlschema.XMLSchema(str(need(CAP / "CAP-v1.2.xsd")))


def cap_examples() -> list[Path]:
    folder = need(CAP / "oasis-appendix-examples")
    return sorted(folder.glob("*.xml")) + sorted(CAP.glob("cap_*example*.xml"))
