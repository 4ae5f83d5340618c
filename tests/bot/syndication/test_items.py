"""Which papers a sent post showed, read from its ledger payload, whatever the payload is."""

from __future__ import annotations

import json

from bot.syndication.items import paper_ids


def test_a_digest_lists_its_papers_in_order() -> None:
    payload = json.dumps({"days": ["2026-05-13"], "papers": ["2605.2", "2605.1"]})
    assert list(paper_ids("digest", "2026-05-13", payload)) == ["2605.2", "2605.1"]


def test_an_edit_lists_the_papers_of_its_new_version() -> None:
    payload = json.dumps({"of": {}, "digest": {"papers": ["2605.3", "2605.1"]}})
    assert list(paper_ids("edit", "digest:2026-05-13#001", payload)) == ["2605.3", "2605.1"]


def test_an_alert_or_climber_shows_one_paper() -> None:
    assert list(paper_ids("alert", "2605.1", json.dumps({"paper": "2605.1"}))) == ["2605.1"]
    assert list(paper_ids("climber", "digest:x:2605.4", json.dumps({"paper": "2605.4"}))) == [
        "2605.4"
    ]


def test_an_alert_stored_before_payloads_is_its_ref() -> None:
    assert list(paper_ids("alert", "2605.1", None)) == ["2605.1"]
    assert list(paper_ids("digest", "2026-05-13", None)) == []


def test_a_damaged_payload_shows_nothing_instead_of_failing() -> None:
    for payload in ("{", "[1, 2]", "null", json.dumps({"papers": [1, None, "2605.1"]})):
        assert list(paper_ids("digest", "d", payload)) in ([], ["2605.1"])
