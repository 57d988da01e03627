"""No input gets a 500: schema-driven fuzzing of every service's OpenAPI (schemathesis).

Valid and invalid requests, generated from each operation's schema, sent with a real
token (a county administrator of a county of its own, so fuzzed writes never touch
the demo); any 5xx fails.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.e2e

FUZZ_COUNTY = "模糊测试县"


def _schema(stack, service: str):  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_url(f"{stack.url(service)}/openapi.json")
    return schema.exclude(path_regex="^/(healthz|readyz|metrics)$")


@pytest.fixture(scope="session")
def organisation_schema(stack):  # type: ignore[no-untyped-def]
    return _schema(stack, "organisation")


@pytest.fixture(scope="session")
def requests_schema(stack):  # type: ignore[no-untyped-def]
    return _schema(stack, "requests")


@pytest.fixture(scope="session")
def volunteering_schema(stack):  # type: ignore[no-untyped-def]
    return _schema(stack, "volunteering")


@pytest.fixture(scope="session")
def points_schema(stack):  # type: ignore[no-untyped-def]
    return _schema(stack, "points")


@pytest.fixture(scope="session")
def projections_schema(stack):  # type: ignore[no-untyped-def]
    return _schema(stack, "projections")


@pytest.fixture(scope="session")
def fuzz_headers(stack) -> dict[str, str]:
    token = stack.token("county_admin", county=FUZZ_COUNTY, subject="fuzzer")
    return {"Authorization": f"Bearer {token}"}


organisation = schemathesis.pytest.from_fixture("organisation_schema")
requests = schemathesis.pytest.from_fixture("requests_schema")
volunteering = schemathesis.pytest.from_fixture("volunteering_schema")
points = schemathesis.pytest.from_fixture("points_schema")
projections = schemathesis.pytest.from_fixture("projections_schema")

FUZZ = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same cases every run: a failure reproduces
)


@organisation.parametrize()
@FUZZ
def test_no_organisation_route_answers_5xx_for_any_input(case, fuzz_headers):
    case.call_and_validate(headers=fuzz_headers, checks=[not_a_server_error])


@requests.parametrize()
@FUZZ
def test_no_requests_route_answers_5xx_for_any_input(case, fuzz_headers):
    case.call_and_validate(headers=fuzz_headers, checks=[not_a_server_error])


@volunteering.parametrize()
@FUZZ
def test_no_volunteering_route_answers_5xx_for_any_input(case, fuzz_headers):
    case.call_and_validate(headers=fuzz_headers, checks=[not_a_server_error])


@points.parametrize()
@FUZZ
def test_no_points_route_answers_5xx_for_any_input(case, fuzz_headers):
    case.call_and_validate(headers=fuzz_headers, checks=[not_a_server_error])


@projections.parametrize()
@FUZZ
def test_no_projections_route_answers_5xx_for_any_input(case, fuzz_headers):
    case.call_and_validate(headers=fuzz_headers, checks=[not_a_server_error])
