"""The OpenAPI 3.1 document of the public API (review/views/api.py), built from the enums so
that the two cannot drift apart; tests/test_api.py checks the API against it."""

from models.enums import (
    US_STATES,
    ContentLanguage,
    GovernmentType,
    PopulationBand,
    StakeholderType,
    Stance,
    StudyKind,
)
from review.library.search import MAX_PAGE, MAX_PER_PAGE, PER_PAGE, SORTS


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict, required=None) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required if required is not None else properties),
        "additionalProperties": False,
    }


STRING = {"type": "string"}
DATETIME = {"type": "string", "format": "date-time"}
URL = {"type": "string", "format": "uri"}

CARD = _object(
    {
        "slug": STRING,
        "title": STRING,
        "summary": STRING,
        "kind": _nullable({"type": "string", "enum": [k.value for k in StudyKind]}),
        "language": {"type": "string", "enum": [lang.value for lang in ContentLanguage]},
        "pillar": _object({"slug": STRING, "name": STRING}),
        "place": _object(
            {
                "name": STRING,
                "state": _nullable({"type": "string", "enum": list(US_STATES)}),
                "government_type": _nullable(
                    {"type": "string", "enum": [g.value for g in GovernmentType]}
                ),
                "population": _nullable(
                    {"type": "string", "enum": [p.value for p in PopulationBand]}
                ),
                "population_exact": _nullable({"type": "integer", "minimum": 0}),
            }
        ),
        "topics": {"type": "array", "items": STRING},
        "published_at": DATETIME,
        "url": URL,
    }
)

DETAIL = _object(
    {
        **CARD["properties"],
        "years": _object(
            {"start": _nullable({"type": "integer"}), "end": _nullable({"type": "integer"})}
        ),
        "secondary_pillars": {
            "type": "array",
            "items": _object({"slug": STRING, "name": STRING}),
        },
        "affirmed_at": _nullable(DATETIME),
        "updated_at": _nullable(DATETIME),
        "authors": {
            "type": "array",
            "items": _object({"name": STRING, "office": STRING, "url": URL}),
        },
        "sections": {
            "type": "object",
            "additionalProperties": STRING,
            "description": "Sanitised HTML of each written section, by section key.",
        },
        "timeline": {"type": "array", "items": _object({"date": STRING, "description": STRING})},
        "stakeholders": {
            "type": "array",
            "items": _object(
                {
                    "name": STRING,
                    "type": {"type": "string", "enum": [t.value for t in StakeholderType]},
                    "role": STRING,
                    "stance": {"type": "string", "enum": [s.value for s in Stance]},
                }
            ),
        },
        "links": {"type": "array", "items": _object({"label": STRING, "url": STRING})},
    }
)

ERROR = _object(
    {
        "error": {"type": "integer"},
        "message": STRING,
        "fields": {"type": "object", "additionalProperties": STRING},
    },
    required=["error", "message"],
)


def _error(description: str) -> dict:
    return _ok(description, "Error")


def _ok(description: str, ref: str) -> dict:
    schema = {"$ref": f"#/components/schemas/{ref}"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


STUDY_PARAMETERS = [
    _query("q", {"type": "string", "maxLength": 200}, "Words to search for (all must match)."),
    _query(
        "pillar",
        {"type": "string", "minLength": 1, "maxLength": 80, "pattern": "^[^\\x00]*$"},
        "A pillar's slug.",
    ),
    _query("kind", {"type": "string", "enum": [k.value for k in StudyKind]}, "The kind of study."),
    _query("state", {"type": "string", "enum": list(US_STATES)}, "A two-letter state code."),
    _query(
        "government",
        {"type": "string", "enum": [g.value for g in GovernmentType]},
        "The type of government.",
    ),
    _query(
        "population",
        {"type": "string", "enum": [p.value for p in PopulationBand]},
        "The population band (derived from the exact population where it is known).",
    ),
    _query(
        "language",
        {"type": "string", "enum": [lang.value for lang in ContentLanguage]},
        "The language the study is written in.",
    ),
    _query(
        "topic",
        {"type": "string", "minLength": 1, "maxLength": 80, "pattern": "^[^\\x00]*$"},
        "A topic, exactly as tagged.",
    ),
    _query(
        "year",
        {"type": "integer", "minimum": 1900, "maximum": 2100},
        "The year the work concluded (else began).",
    ),
    _query(
        "sort",
        {"type": "string", "enum": list(SORTS), "default": "relevance"},
        "Relevance (when searching) or newest first.",
    ),
    _query(
        "page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        "The page, from 1.",
    ),
    _query(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": PER_PAGE},
        "Results per page.",
    ),
]


def openapi_document(server: str) -> dict:
    """Return the OpenAPI 3.1 document; `server` is the site's public address."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Dare to Reimagine: public case study library",
            "version": "1.0.0",
            "description": "Published case studies of the Local Progress network, its pillars "
            "and the officials committed to the agenda. Read-only; open to every origin.",
        },
        "servers": [{"url": f"{server}/api/v1"}],
        "paths": {
            "/studies": {
                "get": {
                    "operationId": "listStudies",
                    "summary": "Search and filter published case studies",
                    "parameters": STUDY_PARAMETERS,
                    "responses": {
                        "200": _ok("A page of studies", "StudyPage"),
                        "400": _error("An argument is not valid"),
                    },
                }
            },
            "/studies/{slug}": {
                "get": {
                    "operationId": "getStudy",
                    "summary": "One published case study with every section",
                    "parameters": [
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _ok("The study", "StudyDetail"),
                        "404": _error("No published study has this slug"),
                        "410": _error("The study was withdrawn from the library"),
                    },
                }
            },
            "/pillars": {
                "get": {
                    "operationId": "listPillars",
                    "summary": "The five pillars and their published study counts",
                    "responses": {"200": _ok("The pillars", "PillarList")},
                }
            },
            "/commitments": {
                "get": {
                    "operationId": "listCommitments",
                    "summary": "Officials committed to the agenda",
                    "parameters": [
                        _query(
                            "state",
                            {"type": "string", "enum": list(US_STATES)},
                            "Only this state's officials.",
                        )
                    ],
                    "responses": {
                        "200": _ok("The committed officials", "CommitmentList"),
                        "400": _error("An argument is not valid"),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": ERROR,
                "StudyCard": CARD,
                "StudyDetail": DETAIL,
                "StudyPage": _object(
                    {
                        "items": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/StudyCard"},
                        },
                        "page": {"type": "integer", "minimum": 1},
                        "per_page": {"type": "integer", "minimum": 1},
                        "total": {"type": "integer", "minimum": 0},
                    }
                ),
                "PillarList": _object(
                    {
                        "items": {
                            "type": "array",
                            "items": _object(
                                {
                                    "slug": STRING,
                                    "name": STRING,
                                    "description": STRING,
                                    "studies": {"type": "integer", "minimum": 0},
                                    "url": URL,
                                    "feed": URL,
                                }
                            ),
                        }
                    }
                ),
                "CommitmentList": _object(
                    {
                        "items": {
                            "type": "array",
                            "items": _object(
                                {
                                    "name": STRING,
                                    "office": STRING,
                                    "jurisdiction": STRING,
                                    "state": STRING,
                                    "committed_at": DATETIME,
                                    "url": _nullable(URL),
                                }
                            ),
                        },
                        "total": {"type": "integer", "minimum": 0},
                    }
                ),
            }
        },
    }
