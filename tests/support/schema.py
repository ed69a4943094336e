"""A small JSON Schema checker for the subset the OpenAPI document uses, and a validating test client.

Keywords: $ref (local), type (incl. lists and "null"), const, enum, properties,
required, additionalProperties (bool), items, minItems, maxItems, minimum,
maximum, oneOf.  Anything else in a schema is an error, so the subset cannot
silently grow.
"""

from flask.testing import FlaskClient

from digit_classifier.web.openapi import openapi_document

KNOWN = {"$ref", "type", "const", "enum", "properties", "required", "additionalProperties", "items",
         "minItems", "maxItems", "minimum", "maximum", "oneOf", "description", "format"}
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def errors(value, schema: dict, root: dict, where: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema`` (empty list when it validates)."""
    unknown = set(schema) - KNOWN
    if unknown:
        return [f"{where}: unsupported schema keywords {sorted(unknown)}"]
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return errors(value, target, root, where)
    types = schema.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        if not any(TYPES[t](value) for t in types):
            return [f"{where}: {value!r:.60} is not of type {types}"]
    found = []
    if "const" in schema and value != schema["const"]:
        found.append(f"{where}: {value!r} != const {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not in {schema['enum']}")
    if "oneOf" in schema:
        matches = sum(not errors(value, option, root, where) for option in schema["oneOf"])
        if matches != 1:
            found.append(f"{where}: matches {matches} of the oneOf options, not exactly 1")
    if isinstance(value, dict):
        found += _object_errors(value, schema, root, where)
    if isinstance(value, list):
        found += _array_errors(value, schema, root, where)
    if TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{where}: {value} < minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{where}: {value} > maximum {schema['maximum']}")
    return found


def _object_errors(value: dict, schema: dict, root: dict, where: str) -> list[str]:
    properties = schema.get("properties", {})
    found = [f"{where}: missing required {key!r}" for key in schema.get("required", []) if key not in value]
    for key, item in value.items():
        if key in properties:
            found += errors(item, properties[key], root, f"{where}.{key}")
        elif schema.get("additionalProperties", True) is False:
            found.append(f"{where}: unexpected property {key!r}")
    return found


def _array_errors(value: list, schema: dict, root: dict, where: str) -> list[str]:
    found = []
    if len(value) < schema.get("minItems", 0):
        found.append(f"{where}: {len(value)} items < minItems {schema['minItems']}")
    if len(value) > schema.get("maxItems", len(value)):
        found.append(f"{where}: {len(value)} items > maxItems {schema['maxItems']}")
    if "items" in schema:
        for index, item in enumerate(value):
            found += errors(item, schema["items"], root, f"{where}[{index}]")
    return found


def response_schema(document: dict, path: str, method: str, status: int) -> dict:
    """The documented schema of a response; the Error schema for undocumented paths/methods."""
    operation = document["paths"].get(path, {}).get(method.lower())
    if operation is None:
        return {"$ref": "#/components/schemas/Error"}
    responses = operation["responses"]
    response = responses.get(str(status)) or responses.get("default")
    if response is None:
        raise AssertionError(f"{method} {path}: status {status} is not documented")
    return response["content"]["application/json"]["schema"]


def check_response(response) -> None:
    """Fail unless a JSON-side response is JSON and matches the OpenAPI document."""
    request = response.request
    if not (request.path.startswith("/api/") or request.path == "/healthz"):
        return
    assert response.mimetype == "application/json", f"{request.path} answered {response.mimetype}"
    if request.method == "HEAD":
        return
    document = openapi_document()
    schema = response_schema(document, request.path, request.method, response.status_code)
    problems = errors(response.get_json(), schema, document)
    assert not problems, f"{request.method} {request.path} -> {response.status_code}: {problems}"


class ValidatingClient(FlaskClient):
    """A test client that checks every /api/ and /healthz response against the OpenAPI document."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        check_response(response)
        return response
