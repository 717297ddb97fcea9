#!/usr/bin/env python3
"""Checks docs/openapi.json: a valid OpenAPI 3.1 document whose every example matches its schema.

Usage: tools/check-openapi.py [path/to/openapi.json]

Needs `openapi-spec-validator` (PyPI), which brings `jsonschema` and `referencing`:
    python3 -m venv /tmp/oa-venv && /tmp/oa-venv/bin/pip install openapi-spec-validator
    /tmp/oa-venv/bin/python tools/check-openapi.py

Checked:
  - the document against the OpenAPI 3.1 specification (openapi-spec-validator);
  - every example — `example` and `examples` of media types, parameters, headers and schemas — against the
    schema it belongs to, with JSON Schema 2020-12 (OpenAPI 3.1's dialect) and format checking;
    a parameter with `style: form, explode: false` is checked as its decoded value;
  - every operation has an `operationId` (unique), a success response, `X-Request-ID` on every response
    but `101`, and at least one example on its request body and on each success response with content;
  - every path parameter of a template is declared, every `$ref` resolves, every link names an operation.
Exits 1 with one line per problem, 0 when all is well.
"""
import json
import os
import sys

try:
    from jsonschema import Draft202012Validator
    from openapi_spec_validator import validate as validate_spec
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
except ImportError as error:  # pragma: no cover - environment problem
    sys.exit(f"check-openapi: {error}; install with: pip install openapi-spec-validator")

DOC_URI = "urn:vigil:openapi"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def escape(token):
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(parts):
    return "#/" + "/".join(escape(p) for p in parts)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "docs", "openapi.json")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as error:
        sys.exit(f"check-openapi: cannot read {path}: {error}")

    problems = []
    try:
        validate_spec(doc)
    except Exception as error:  # the validator raises several exception types
        where = "/".join(str(part) for part in getattr(error, "absolute_path", []) or [])
        message = getattr(error, "message", None) or str(error).splitlines()[0]
        problems.append(f"not a valid OpenAPI 3.1 document{' at ' + where if where else ''}: {message}")
    if doc.get("openapi", "").split(".")[:2] != ["3", "1"]:
        problems.append(f"openapi is {doc.get('openapi')!r}, expected 3.1.x")

    registry = Registry().with_resource(DOC_URI, Resource.from_contents(doc, default_specification=DRAFT202012))
    format_checker = Draft202012Validator.FORMAT_CHECKER

    def resolve(parts):
        node = doc
        for part in parts:
            node = node[part]
        return node

    def deref(node, seen=()):
        while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
            ref = node["$ref"]
            if ref in seen:
                raise KeyError(f"circular $ref {ref}")
            seen = seen + (ref,)
            parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
            node = resolve(parts)
        return node

    # Every $ref resolves.
    def walk_refs(node, where):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                try:
                    deref({"$ref": ref})
                except (KeyError, IndexError, TypeError):
                    problems.append(f"{pointer(where)}: $ref {ref} does not resolve")
            for key, value in node.items():
                walk_refs(value, where + [key])
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk_refs(value, where + [index])

    walk_refs(doc, [])

    checked = 0

    def check(value, schema_parts, where, decode=None):
        nonlocal checked
        checked += 1
        validator = Draft202012Validator({"$ref": DOC_URI + pointer(schema_parts)}, registry=registry, format_checker=format_checker)
        if decode:
            value = decode(value)
        for error in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
            at = "/".join(str(p) for p in error.absolute_path) or "(root)"
            problems.append(f"{where}: example does not match its schema at {at}: {error.message}")

    def check_holder(holder_parts, where, decode=None):
        """An object with `schema` and `example`/`examples` (media type, parameter, header)."""
        holder = resolve(holder_parts)
        if "$ref" in holder:
            return
        if "schema" not in holder:
            return
        schema_parts = holder_parts + ["schema"]
        if "example" in holder:
            check(holder["example"], schema_parts, where + " example", decode)
        for name, example in (holder.get("examples") or {}).items():
            example = deref(example)
            if "value" in example:
                check(example["value"], schema_parts, f"{where} examples.{name}", decode)

    def check_schema_examples(node, parts):
        """`example`/`examples` keywords inside schemas."""
        if isinstance(node, dict):
            if "example" in node and isinstance(node.get("type"), (str, list)) and "$ref" not in node:
                check(node["example"], parts, pointer(parts) + " example")
            if isinstance(node.get("examples"), list) and ("type" in node or "properties" in node):
                for index, value in enumerate(node["examples"]):
                    check(value, parts, f"{pointer(parts)} examples[{index}]")
            for key, value in node.items():
                if key in ("example", "examples"):
                    continue
                check_schema_examples(value, parts + [key])
        elif isinstance(node, list):
            for index, value in enumerate(node):
                check_schema_examples(value, parts + [index])

    def form_array(parameter):
        def decode(value):
            if isinstance(value, str):
                items = []
                for raw in value.split(","):
                    try:
                        items.append(float(raw))
                    except ValueError:
                        items.append(raw)
                return items
            return value
        schema = deref(parameter.get("schema", {}))
        if parameter.get("style", "form") == "form" and parameter.get("explode") is False and schema.get("type") == "array":
            return decode
        return None

    for name in (doc.get("components", {}).get("schemas") or {}):
        check_schema_examples(doc["components"]["schemas"][name], ["components", "schemas", name])
    for name in (doc.get("components", {}).get("parameters") or {}):
        parameter = doc["components"]["parameters"][name]
        check_holder(["components", "parameters", name], f"components.parameters.{name}", form_array(parameter))
    for name in (doc.get("components", {}).get("headers") or {}):
        check_holder(["components", "headers", name], f"components.headers.{name}")

    def check_responses(responses, parts, label):
        for status, response in responses.items():
            resolved = deref(response)
            response_parts = parts + [status]
            if "$ref" in response:
                ref = response["$ref"]
                response_parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
            for media, media_object in (resolved.get("content") or {}).items():
                check_holder(response_parts + ["content", media], f"{label} {status} {media}")
                if status.startswith("2") and "example" not in media_object and not media_object.get("examples"):
                    problems.append(f"{label} {status} {media}: no example")
            for header_name, header in (resolved.get("headers") or {}).items():
                if "$ref" not in header:
                    check_holder(response_parts + ["headers", header_name], f"{label} {status} header {header_name}")
            if status != "101" and "X-Request-ID" not in (resolved.get("headers") or {}):
                problems.append(f"{label} {status}: no X-Request-ID header")

    for name, response in (doc.get("components", {}).get("responses") or {}).items():
        check_responses({name: response}, ["components", "responses"], "components.responses")

    operation_ids = {}
    for template, item in (doc.get("paths") or {}).items():
        templated = {segment[1:-1] for segment in template.split("/") if segment.startswith("{") and segment.endswith("}")}
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            label = f"{method.upper()} {template}"
            parts = ["paths", template, method]
            operation_id = operation.get("operationId")
            if not operation_id:
                problems.append(f"{label}: no operationId")
            elif operation_id in operation_ids:
                problems.append(f"{label}: operationId {operation_id} also used by {operation_ids[operation_id]}")
            else:
                operation_ids[operation_id] = label
            declared = set()
            for index, parameter in enumerate(item.get("parameters", []) + operation.get("parameters", [])):
                resolved = deref(parameter)
                if resolved.get("in") == "path":
                    declared.add(resolved.get("name"))
            for index, parameter in enumerate(operation.get("parameters", [])):
                if "$ref" in parameter:
                    continue
                check_holder(parts + ["parameters", index], f"{label} parameter {parameter.get('name')}", form_array(parameter))
            for missing in sorted(templated - declared):
                problems.append(f"{label}: path parameter {{{missing}}} is not declared")
            for extra in sorted(declared - templated):
                problems.append(f"{label}: path parameter {extra} is not in the path")
            body = operation.get("requestBody")
            if body:
                body = deref(body)
                for media, media_object in (body.get("content") or {}).items():
                    check_holder(parts + ["requestBody", "content", media], f"{label} request body {media}")
                    if "example" not in media_object and not media_object.get("examples"):
                        problems.append(f"{label} request body {media}: no example")
            responses = operation.get("responses") or {}
            if not any(status.startswith(("1", "2")) for status in responses):
                problems.append(f"{label}: no success response")
            check_responses(responses, parts + ["responses"], label)

    # Every link names an operation that exists.
    for template, item in (doc.get("paths") or {}).items():
        for method in METHODS:
            for status, response in ((item.get(method) or {}).get("responses") or {}).items():
                for name, link in (deref(response).get("links") or {}).items():
                    target = deref(link).get("operationId")
                    if target is not None and target not in operation_ids:
                        problems.append(f"{method.upper()} {template} {status} link {name}: no operation {target}")

    if problems:
        print(f"check-openapi: {path}: {len(problems)} problem(s)", file=sys.stderr)
        for problem in problems:
            print("  - " + problem, file=sys.stderr)
        sys.exit(1)
    print(f"check-openapi: {path}: valid OpenAPI {doc['openapi']}; {len(operation_ids)} operations, {checked} examples match their schemas")


if __name__ == "__main__":
    main()
