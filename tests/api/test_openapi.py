"""The OpenAPI schema and its browsable page."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_openapi_schema_describes_the_operations_and_bearer_keys() -> None:
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) == {"/api/v1/cases", "/api/v1/cases/{number}", "/api/v1/cases/{number}/messages",
                                    "/api/v1/triage/preview"}
    assert set(schema["paths"]["/api/v1/cases"]) == {"get", "post"}
    assert {scheme["scheme"] for scheme in schema["components"]["securitySchemes"].values()} == {"bearer"}
    post = schema["paths"]["/api/v1/cases"]["post"]
    assert "Idempotency-Key" in {parameter["name"] for parameter in post["parameters"]}
    assert {"200", "201", "409", "422"} <= set(post["responses"])


@pytest.mark.django_db
def test_the_docs_page_loads_without_a_cdn() -> None:
    response = Client().get("/api/docs")

    assert response.status_code == 200
    page = response.content.decode()
    assert "/api/v1/openapi.json" in page
    assert "cdn." not in page
    assert "/static/ninja/swagger-ui-bundle.js" in page
