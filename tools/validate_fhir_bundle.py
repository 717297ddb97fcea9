#!/usr/bin/env python3
"""Validate a FHIR Bundle (JSON on stdin) with fhir.resources (R4B models; AuditEvent is unchanged from R4).

Prints the resource types of the entries and exits 0 if valid, 1 with the validation error otherwise.
Used by the Swift tests when VIGIL_TEST_PYTHON points at an interpreter with fhir.resources installed.
"""
import json
import sys

from fhir.resources.R4B.bundle import Bundle

try:
    bundle = Bundle.parse_obj(json.load(sys.stdin))
except Exception as error:  # pydantic.ValidationError and JSON errors alike
    print(f"invalid: {error}")
    sys.exit(1)
print(" ".join(entry.resource.resource_type for entry in bundle.entry or []))
