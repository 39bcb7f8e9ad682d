"""Task files: strict validation with errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.task_files import CallStep, SayStep, TaskFileError, load_task, load_tasks

GOOD = """\
id: {id}
purpose: Balance question.
tags: [balance]
user:
  persona: Front desk.
  instruction: Ask for Emma's balance.
  turns: ["How many points does Emma Novak have?"]
expect:
  must_say: ["6,240"]
  tool_calls: [find_members]
reference:
  - call: {{name: find_members, arguments: {{query: Emma Novak}}}}
  - say: Emma has 6,240 points.
"""


def _write(tmp_path: Path, text: str, name: str = "t1") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_task_loads_with_its_steps(tmp_path: Path) -> None:
    task = load_task(_write(tmp_path, GOOD.format(id="t1")))
    assert task.id == "t1"
    assert isinstance(task.reference[0], CallStep)
    assert task.reference[0].call[0].arguments == {"query": "Emma Novak"}
    assert isinstance(task.reference[1], SayStep)
    assert task.expected_write is False
    assert task.initial.toolsets == ("member",)


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (("tags: [balance]", "tagz: [balance]"), "tagz", "unknown key"),
        (("must_say:", "must_sey:"), "expect.must_sey", "unknown key"),
        (("tool_calls: [find_members]", "tool_calls: some"), "expect.tool_calls", ""),
        (("- say: Emma", "- sai: Emma"), "reference.1.sai", "unknown key"),
        (("{name: find_members,", "{nme: find_members,"), "reference.0.call.0.nme", "unknown"),
        (("purpose: Balance question.\n", ""), "purpose", "Field required"),
        (("tags: [balance]", "tags: [balance]\ninitial: {mode: sleepy}"), "initial.mode", "one of"),
    ],
)
def test_a_bad_task_file_names_the_key(
    tmp_path: Path, change: tuple[str, str], key: str, problem: str
) -> None:
    text = GOOD.format(id="t1").replace(*change)
    with pytest.raises(TaskFileError) as caught:
        load_task(_write(tmp_path, text))
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert str(caught.value).startswith(str(tmp_path / "t1.yaml"))


def test_the_reference_must_answer_every_user_turn(tmp_path: Path) -> None:
    text = GOOD.format(id="t1").replace(
        'turns: ["How many points does Emma Novak have?"]', 'turns: ["One?", "Two?"]'
    )
    with pytest.raises(TaskFileError, match="answer each user turn once"):
        load_task(_write(tmp_path, text))


def test_the_id_must_match_the_file_name(tmp_path: Path) -> None:
    with pytest.raises(TaskFileError) as caught:
        load_task(_write(tmp_path, GOOD.format(id="other"), name="t1"))
    assert caught.value.key == "id"


def test_invalid_yaml_and_empty_directories_are_reported(tmp_path: Path) -> None:
    with pytest.raises(TaskFileError, match="not valid YAML"):
        load_task(_write(tmp_path, "id: [unclosed"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TaskFileError, match="no matching"):
        load_tasks(empty)


def test_load_tasks_filters_by_id(tmp_path: Path) -> None:
    _write(tmp_path, GOOD.format(id="alpha"), name="alpha")
    _write(tmp_path, GOOD.format(id="beta"), name="beta")
    assert [t.id for t in load_tasks(tmp_path)] == ["alpha", "beta"]
    assert [t.id for t in load_tasks(tmp_path, only="^b")] == ["beta"]
