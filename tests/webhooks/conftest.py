"""Webhook test fixtures: receiver settings with known secrets and the app in-process on the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from adpilot.settings import Settings
from db.database import Database
from tests.webhooks.deliveries import receiver_settings
from webhooks import create_app


@pytest.fixture()
def settings(database_url: str) -> Settings:
    return receiver_settings(database_url)


@pytest.fixture()
def client(database: Database, settings: Settings) -> Iterator[TestClient]:
    """The app in-process (lifespan running, so the group committer is up) on the emptied test database."""
    with TestClient(create_app(settings, database)) as test_client:
        yield test_client
