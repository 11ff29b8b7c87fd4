"""The versioned JSON Schema files that define what the daemon publishes.

``decision.v1.schema.json`` and ``status.v1.schema.json`` define the payload frame of the two
topics, ``snapshot.v1.schema.json`` the header of a snapshot reply. They are the contract with
consumers in any language; :mod:`edge.messages` produces payloads that satisfy them and
:mod:`edge.subscriber` checks every payload it receives against them. A new incompatible
payload gets a new file (``*.v2.schema.json``) rather than an edit of a published one.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

import jsonschema

#: Schema name → (version → file name).
SCHEMA_FILES = {
    "edge-fas.decision": {1: "decision.v1.schema.json"},
    "edge-fas.status": {1: "status.v1.schema.json"},
    "edge-fas.snapshot": {1: "snapshot.v1.schema.json"},
}


class PayloadInvalid(ValueError):
    """A payload that breaks its schema; the message names the field and the rule."""


@functools.cache
def load_schema(name: str, version: int) -> dict:
    """The schema document for ``name`` at ``version``; KeyError naming what exists otherwise."""
    try:
        file_name = SCHEMA_FILES[name][version]
    except KeyError:
        known = {n: sorted(v) for n, v in SCHEMA_FILES.items()}
        raise KeyError(f"no schema {name!r} version {version!r}; known schemas and versions: {known}") from None
    text = resources.files(__package__).joinpath(file_name).read_text(encoding="utf-8")
    return json.loads(text)


@functools.cache
def _validator(name: str, version: int) -> jsonschema.protocols.Validator:
    schema = load_schema(name, version)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate(document: object, name: str, version: int) -> None:
    """Raise :class:`PayloadInvalid` naming the first offending field when ``document`` breaks the schema."""
    error = jsonschema.exceptions.best_match(_validator(name, version).iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise PayloadInvalid(f"{name} v{version}: field {where}: {error.message[:300]}")
