"""Shared fixtures. Integration and e2e tests use the stack `make test` started."""

from __future__ import annotations

import pytest

from tests.support.stack import Stack, load_stack


@pytest.fixture(scope="session")
def stack() -> Stack:
    found = load_stack()
    if found is None:
        pytest.fail(
            "the local stack is not running: use `make test` (or `make up` first); "
            "integration and e2e tests need real Kafka and PostgreSQL"
        )
    return found
