"""Ops tests use the API fixtures (the service on a served sandbox)."""

from tests.api.conftest import api, auth_for, fresh_api  # noqa: F401 - pytest fixtures
