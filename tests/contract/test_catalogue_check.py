"""The catalogue check: committed schema files against the current public events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from grassroots_contracts.__main__ import main
from grassroots_contracts.catalogue import ASYNCAPI_FILE, schema_file_name
from grassroots_contracts.compatibility import check_catalogue, out_of_date
from grassroots_contracts.organisation import CommunityRegistered

pytestmark = pytest.mark.contract

V1 = "grassroots.test.Thing.v1"
V2 = "grassroots.test.Thing.v2"
OTHER = "grassroots.test.Other.v1"


def schema(event_type: str, **properties: Any) -> dict[str, Any]:
    return {
        "$id": event_type,
        "type": "object",
        "properties": properties or {"id": {"type": "string"}},
        "required": ["id"],
        "additionalProperties": False,
    }


def test_no_violations_when_committed_and_current_match() -> None:
    catalogue = {V1: schema(V1), OTHER: schema(OTHER)}
    assert check_catalogue(catalogue, catalogue) == []


def test_violation_when_an_event_type_is_removed_without_a_newer_version() -> None:
    violations = check_catalogue({V1: schema(V1), OTHER: schema(OTHER)}, {OTHER: schema(OTHER)})
    assert len(violations) == 1
    assert violations[0].startswith(f"{V1}: has a committed schema but is no longer a public event")


def test_no_violations_when_an_event_type_is_retired_for_a_newer_version() -> None:
    assert check_catalogue({V1: schema(V1), V2: schema(V2)}, {V2: schema(V2)}) == []


def test_violation_when_a_newer_version_replaces_nothing_of_the_same_name() -> None:
    other_v2 = "grassroots.test.Other.v2"
    violations = check_catalogue({V1: schema(V1)}, {other_v2: schema(other_v2)})
    assert [v.split(":")[0] for v in violations] == [V1, other_v2]


def test_violation_names_make_contracts_when_a_public_event_has_no_committed_schema() -> None:
    violations = check_catalogue({}, {V1: schema(V1)})
    assert violations == [
        f"{V1}: no committed schema; run `make contracts` "
        "(python -m grassroots_contracts write) and commit contracts/schemas"
    ]


def test_violation_prefixed_with_the_event_type_when_a_model_changes_incompatibly() -> None:
    committed = schema(V1, id={"type": "string"})
    current = schema(V1, id={"type": "integer"})
    assert check_catalogue({V1: committed}, {V1: current}) == [
        f"{V1}: $.id: type changed from string to integer"
    ]


def test_violation_when_a_file_id_disagrees_with_its_name() -> None:
    assert check_catalogue({V1: schema(OTHER)}, {V1: schema(V1)}) == [
        f"{V1}: the file's $id says {OTHER!r}"
    ]


def test_out_of_date_lists_event_types_when_they_changed_compatibly() -> None:
    committed = {V1: schema(V1), OTHER: schema(OTHER)}
    current = {V1: {**schema(V1), "description": "now documented"}, OTHER: schema(OTHER)}
    assert check_catalogue(committed, current) == []
    assert out_of_date(committed, current) == [V1]


def test_cli_check_passes_when_run_on_what_write_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["write", "--out", str(tmp_path)]) == 0
    assert (tmp_path / ASYNCAPI_FILE).exists()
    capsys.readouterr()
    assert main(["check", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "compatible" in out
    assert "note:" not in out


def test_cli_write_leaves_files_untouched_when_nothing_changed(tmp_path: Path) -> None:
    main(["write", "--out", str(tmp_path)])
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    main(["write", "--out", str(tmp_path)])
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before


def test_cli_check_fails_with_make_contracts_hint_when_a_schema_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["write", "--out", str(tmp_path)])
    (tmp_path / schema_file_name(CommunityRegistered.event_type)).unlink()
    capsys.readouterr()
    assert main(["check", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert CommunityRegistered.event_type in err
    assert "make contracts" in err


def test_cli_check_fails_when_the_model_lost_a_committed_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["write", "--out", str(tmp_path)])
    path = tmp_path / schema_file_name(CommunityRegistered.event_type)
    committed = json.loads(path.read_text(encoding="utf-8"))
    # As if the committed contract had a field the current model no longer has.
    committed["properties"]["grid_cell"] = {"type": "string"}
    path.write_text(json.dumps(committed), encoding="utf-8")
    capsys.readouterr()
    assert main(["check", "--dir", str(tmp_path)]) == 1
    assert f"{CommunityRegistered.event_type}: $.grid_cell: field removed" in (
        capsys.readouterr().err
    )


def test_cli_check_fails_when_a_committed_type_vanished(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["write", "--out", str(tmp_path)])
    gone = "grassroots.organisation.CommunityDissolved.v1"
    (tmp_path / schema_file_name(gone)).write_text(json.dumps(schema(gone)), encoding="utf-8")
    capsys.readouterr()
    assert main(["check", "--dir", str(tmp_path)]) == 1
    assert f"{gone}: has a committed schema but is no longer a public event" in (
        capsys.readouterr().err
    )


def test_cli_check_fails_when_a_committed_file_is_not_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["write", "--out", str(tmp_path)])
    (tmp_path / schema_file_name(CommunityRegistered.event_type)).write_text("{", encoding="utf-8")
    capsys.readouterr()
    assert main(["check", "--dir", str(tmp_path)]) == 1
    assert "not valid JSON" in capsys.readouterr().err


def test_cli_write_records_every_event_type_in_the_history_and_check_needs_it(
    tmp_path: Path,
) -> None:
    history = tmp_path / "history.json"
    assert main(["write", "--out", str(tmp_path / "schemas"), "--history", str(history)]) == 0
    recorded = json.loads(history.read_text(encoding="utf-8"))
    assert recorded["grassroots.organisation.CommunityRegistered"] == [
        {
            "version": 1,
            "date": recorded["grassroots.organisation.CommunityRegistered"][0]["date"],
            "change": "introduced",
            "compatible": True,
        }
    ]
    assert main(["check", "--dir", str(tmp_path / "schemas"), "--history", str(history)]) == 0
    del recorded["grassroots.organisation.CommunityRegistered"]
    history.write_text(json.dumps(recorded), encoding="utf-8")
    assert main(["check", "--dir", str(tmp_path / "schemas"), "--history", str(history)]) == 1
