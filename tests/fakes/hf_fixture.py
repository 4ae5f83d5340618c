"""The `hf_server` pytest fixture: a running fake HF API serving the recorded and generated days.

Use it from conftest with `from tests.fakes.hf_fixture import hf_server  # noqa: F401`. In a
test module, bind it instead (`from tests.fakes import hf_fixture` then
`hf_server = hf_fixture.hf_server`): an imported name that test arguments shadow is ruff F811.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.data.make_days import default_days
from tests.fakes.hf_server import HFServer


@pytest.fixture
async def hf_server() -> AsyncIterator[HFServer]:
    """A started HFServer with `default_days()`; `hf_server.url` is the client's base URL."""
    async with HFServer(default_days()) as server:
        yield server
