"""Fixtures for the app tests: a local HF server serving real payloads."""

from tests.fakes.hf_fixture import hf_server  # noqa: F401
