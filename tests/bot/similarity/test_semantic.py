"""The optional semantic engine: WordLlama's shipped model, loaded with the network off."""

from __future__ import annotations

import socket
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.app.config import Settings
from bot.app.platforms import ConfigError
from bot.app.wiring import similarity_engine
from bot.similarity.matcher import rank_like
from bot.similarity.tfidf import TfidfEngine
from storage.store import Store
from tests.data import similar_papers as sp

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _no_network(*args: Any, **kwargs: Any) -> None:
    raise OSError("the network is off in this test")


def test_the_model_loads_from_the_package_with_the_network_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("wordllama")
    from bot.similarity.semantic import SemanticEngine

    monkeypatch.setattr(socket.socket, "connect", _no_network)
    monkeypatch.setattr(socket, "create_connection", _no_network)
    monkeypatch.setattr(socket, "getaddrinfo", _no_network)
    engine = SemanticEngine()
    store = Store(":memory:")
    store.upsert_papers([*sp.archive(), *sp.new_day()], NOW)
    ranked = rank_like(engine, store, [sp.seed_paper()], sp.new_day())
    assert [p.id for p, _, _ in ranked] == [sp.LIKE]
    assert store.stored_vectors(engine.name, [sp.LIKE])  # embedded once, kept


def test_semantic_without_the_extra_is_one_line_saying_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "wordllama", None)  # import fails as if not installed
    with pytest.raises(ConfigError, match=r"pip install 'paperboy-bot\[semantic\]'"):
        similarity_engine("semantic")
    assert isinstance(similarity_engine("tfidf"), TfidfEngine)


def test_an_unknown_engine_is_refused_by_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERBOY_SIMILARITY", "bert")
    with pytest.raises(ValueError, match="must be one of tfidf, semantic"):
        Settings()
    monkeypatch.setenv("PAPERBOY_SIMILARITY", " Semantic ")
    assert Settings().similarity == "semantic"
