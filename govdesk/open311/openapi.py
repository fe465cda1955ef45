"""A hand-written OpenAPI 3 description of the GeoReport v2 endpoints, served at /open311/v2/openapi.json.

Written by hand (not generated) because the resources are addressed by format suffix and answer in XML or JSON;
generated-input tests (schemathesis) and client generators read it.
"""

from __future__ import annotations

from typing import Any

JSON = "application/json"
XML = "text/xml"
FORM = "application/x-www-form-urlencoded"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "nullable": True, **extra}


def _param(name: str, where: str, schema: dict[str, Any], description: str, *, required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required, "schema": schema, "description": description}


FORMAT_PARAM = _param("format", "path", {"type": "string", "enum": ["xml", "json"]}, "Response format.", required=True)
JURISDICTION_PARAM = _param(
    "jurisdiction_id",
    "query",
    {"type": "string", "maxLength": 200},
    "Required only when the deployment serves several jurisdictions.",
)
IDEMPOTENCY_KEY_PARAM = _param(
    "Idempotency-Key",
    "header",
    {"type": "string", "pattern": "^[!-~]{1,255}$"},
    "Optional: a unique string of the client's (e.g. a UUID) for this request. A retry with the same key and body "
    "answers the first answer again (header Idempotent-Replayed: true) and creates nothing; the same key with "
    "another body is a 409. Keys belong to the API key and are kept 24 hours.",
)


def _ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {JSON: {"schema": schema}, XML: {"schema": {"type": "string"}}},
    }


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {JSON: {"schema": _ref("Errors")}, XML: {"schema": {"type": "string"}}},
    }


ERRORS = {
    "400": _error("Missing or invalid parameters, or a method the resource does not have."),
    "404": _error("Unknown format, service, request, token or jurisdiction."),
    "429": _error("Too many requests."),
}


def _responses(schema: dict[str, Any], description: str, *, forbidden: bool = False) -> dict[str, Any]:
    responses = {"200": _ok(schema, description), **ERRORS}
    if forbidden:
        responses["403"] = _error("Missing or invalid api_key.")
    return responses


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
    "Errors": {"type": "array", "items": _ref("Error")},
    "Discovery": {
        "type": "object",
        "required": ["changeset", "contact", "key_service", "endpoints"],
        "properties": {
            "changeset": {"type": "string"},
            "contact": {"type": "string"},
            "key_service": {"type": "string"},
            "endpoints": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["specification", "url", "changeset", "type", "formats"],
                    "properties": {
                        "specification": {"type": "string"},
                        "url": {"type": "string"},
                        "changeset": {"type": "string"},
                        "type": {"type": "string", "enum": ["production", "test"]},
                        "formats": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
    },
    "Service": {
        "type": "object",
        "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
        "properties": {
            "service_code": {"type": "string"},
            "service_name": {"type": "string"},
            "description": {"type": "string"},
            "metadata": {"type": "boolean"},
            "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
            "keywords": {"type": "string"},
            "group": {"type": "string"},
        },
    },
    "AttributeValue": {
        "type": "object",
        "required": ["key", "name"],
        "properties": {"key": {"type": "string"}, "name": {"type": "string"}},
    },
    "Attribute": {
        "type": "object",
        "required": ["variable", "code", "datatype", "required", "datatype_description", "order", "description"],
        "properties": {
            "variable": {"type": "boolean"},
            "code": {"type": "string"},
            "datatype": {
                "type": "string",
                "enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"],
            },
            "required": {"type": "boolean"},
            "datatype_description": _nullable("string"),
            "order": {"type": "integer", "minimum": 1},
            "description": {"type": "string"},
            "values": {"type": "array", "items": _ref("AttributeValue")},
        },
    },
    "ServiceDefinition": {
        "type": "object",
        "required": ["service_code", "attributes"],
        "properties": {"service_code": {"type": "string"}, "attributes": {"type": "array", "items": _ref("Attribute")}},
    },
    "Note": {
        "type": "object",
        "required": ["datetime", "summary", "type"],
        "properties": {
            "datetime": {"type": "string", "format": "date-time"},
            "summary": {"type": "string"},
            "description": _nullable("string"),
            "type": {"type": "string"},
        },
    },
    "ServiceRequest": {
        "type": "object",
        "required": [
            "service_request_id",
            "status",
            "service_name",
            "service_code",
            "requested_datetime",
            "updated_datetime",
        ],
        "properties": {
            "service_request_id": {"type": "string"},
            "status": {"type": "string", "enum": ["open", "closed"]},
            "status_notes": _nullable("string"),
            "service_name": {"type": "string"},
            "service_code": {"type": "string"},
            "description": _nullable("string"),
            "agency_responsible": _nullable("string"),
            "service_notice": _nullable("string"),
            "requested_datetime": {"type": "string", "format": "date-time"},
            "updated_datetime": {"type": "string", "format": "date-time"},
            "expected_datetime": _nullable("string", format="date-time"),
            "address": _nullable("string"),
            "address_id": _nullable("string"),
            "zipcode": _nullable("string"),
            "lat": _nullable("number"),
            "long": _nullable("number"),
            "media_url": _nullable("string"),
            "extended_attributes": {
                "type": "object",
                "description": "Only with extensions=true.",
                "properties": {
                    "channel": {"type": "string"},
                    "duplicate": {"type": "boolean"},
                    "parent_service_request_id": _nullable("string"),
                },
            },
            "notes": {"type": "array", "items": _ref("Note"), "description": "Only with extensions=true."},
        },
    },
    "CreatedRequest": {
        "type": "object",
        "properties": {
            "service_request_id": {"type": "string"},
            "token": {"type": "string"},
            "service_notice": _nullable("string"),
            "account_id": _nullable("string"),
        },
    },
    "TokenRequest": {
        "type": "object",
        "required": ["service_request_id", "token"],
        "properties": {"service_request_id": _nullable("string"), "token": {"type": "string"}},
    },
    "NewRequest": {
        "type": "object",
        "required": ["api_key", "service_code"],
        "properties": {
            "api_key": {"type": "string"},
            "jurisdiction_id": {"type": "string"},
            "service_code": {"type": "string"},
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "long": {"type": "number", "minimum": -180, "maximum": 180},
            "address_string": {"type": "string", "maxLength": 200},
            "address_id": {"type": "string", "maxLength": 100},
            "email": {"type": "string", "format": "email"},
            "device_id": {"type": "string", "maxLength": 100},
            "account_id": {"type": "string", "maxLength": 100},
            "first_name": {"type": "string", "maxLength": 50},
            "last_name": {"type": "string", "maxLength": 50},
            "phone": {"type": "string", "maxLength": 20},
            "description": {"type": "string", "maxLength": 4000},
            "media_url": {"type": "string", "format": "uri", "maxLength": 500},
        },
        "additionalProperties": {
            "type": "string",
            "description": "Answers to the service's attributes: attribute[code]=value, attribute[code][]=value.",
        },
    },
}


def openapi_document() -> dict[str, Any]:
    base = "/open311/v2"
    requests_list = {"type": "array", "items": _ref("ServiceRequest")}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "GovDesk Open311 GeoReport v2",
            "version": "2.0",
            "description": (
                "Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) over GovDesk's work orders. Every "
                "resource answers in XML or JSON by its suffix; errors are the spec's list of {code, description}. "
                "service_code is the category's id; service_request_id the work order's number."
            ),
        },
        "paths": {
            f"{base}/discovery.{{format}}": {
                "get": {
                    "operationId": "discovery",
                    "summary": "Service discovery",
                    "parameters": [FORMAT_PARAM],
                    "responses": _responses(_ref("Discovery"), "Endpoints and formats."),
                }
            },
            f"{base}/services.{{format}}": {
                "get": {
                    "operationId": "services",
                    "summary": "GET Service List",
                    "parameters": [FORMAT_PARAM, JURISDICTION_PARAM],
                    "responses": _responses({"type": "array", "items": _ref("Service")}, "The public services."),
                }
            },
            f"{base}/services/{{service_code}}.{{format}}": {
                "get": {
                    "operationId": "serviceDefinition",
                    "summary": "GET Service Definition",
                    "parameters": [
                        _param("service_code", "path", {"type": "string"}, "The service's code.", required=True),
                        FORMAT_PARAM,
                        JURISDICTION_PARAM,
                    ],
                    "responses": _responses(_ref("ServiceDefinition"), "The service's attributes."),
                }
            },
            f"{base}/requests.{{format}}": {
                "get": {
                    "operationId": "requests",
                    "summary": "GET Service Requests",
                    "parameters": [
                        FORMAT_PARAM,
                        JURISDICTION_PARAM,
                        _param(
                            "service_request_id",
                            "query",
                            {"type": "string"},
                            "Comma-separated request numbers; overrides all other parameters.",
                        ),
                        _param("service_code", "query", {"type": "string"}, "Comma-separated service codes."),
                        _param(
                            "start_date",
                            "query",
                            {"type": "string", "format": "date-time"},
                            "W3C date-time with time zone; default: 90 days before end_date (or now).",
                        ),
                        _param(
                            "end_date",
                            "query",
                            {"type": "string", "format": "date-time"},
                            "W3C date-time with time zone; the span may not exceed 90 days.",
                        ),
                        _param(
                            "status",
                            "query",
                            {"type": "string", "pattern": "^(open|closed)(,(open|closed))*$"},
                            "open, closed, or both comma-separated.",
                        ),
                        _param("page", "query", {"type": "integer", "minimum": 1}, "Paging extension."),
                        _param(
                            "page_size",
                            "query",
                            {"type": "integer", "minimum": 1, "maximum": 1000},
                            "Paging extension; default and maximum 1000.",
                        ),
                        _param(
                            "extensions",
                            "query",
                            {"type": "boolean"},
                            "true adds extended_attributes and notes[] (the public timeline).",
                        ),
                    ],
                    "responses": _responses(requests_list, "Requests, newest first."),
                },
                "post": {
                    "operationId": "createRequest",
                    "summary": "POST Service Request",
                    "requestBody": {
                        "required": True,
                        "content": {FORM: {"schema": _ref("NewRequest")}, JSON: {"schema": _ref("NewRequest")}},
                    },
                    "parameters": [FORMAT_PARAM, IDEMPOTENCY_KEY_PARAM],
                    "responses": {
                        **_responses(
                            {"type": "array", "items": _ref("CreatedRequest")},
                            "The new request's number (realtime) or a token (batch).",
                            forbidden=True,
                        ),
                        "409": _error("The Idempotency-Key was already used with another body."),
                    },
                },
            },
            f"{base}/requests/{{service_request_id}}.{{format}}": {
                "get": {
                    "operationId": "request",
                    "summary": "GET Service Request",
                    "parameters": [
                        _param("service_request_id", "path", {"type": "string"}, "The request number.", required=True),
                        FORMAT_PARAM,
                        JURISDICTION_PARAM,
                        _param("extensions", "query", {"type": "boolean"}, "true adds extended attributes and notes."),
                    ],
                    "responses": _responses(requests_list, "A list with the one request."),
                }
            },
            f"{base}/tokens/{{token}}.{{format}}": {
                "get": {
                    "operationId": "token",
                    "summary": "GET service_request_id from a token",
                    "parameters": [
                        _param("token", "path", {"type": "string"}, "The token a batch POST answered.", required=True),
                        FORMAT_PARAM,
                        JURISDICTION_PARAM,
                    ],
                    "responses": _responses(
                        {"type": "array", "items": _ref("TokenRequest")},
                        "The request number, empty until the request is registered.",
                    ),
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
