"""Task files (`evals/tasks/*.yaml`): one evaluation task each, validated strictly.

    id: goodwill-within-caps
    purpose: A goodwill adjustment within the caps is posted once, for the right member.
    tags: [goodwill, write]
    user:
      persona: Front-desk agent at the London hotel; brief and polite.
      instruction: Ask for 300 goodwill points for Emma Novak because her room was not ready.
      known: {guest: Emma Novak, points: 300}
      unknown: [customer id]
      turns:
        - Please add 300 goodwill points for Emma Novak, her room was not ready.
    initial:
      mode: automate                      # shortcut for `policy: {mode: ...}`
      policy: {caps: {per_member_per_day: 8000}}   # merged into the shipped policy
      memberships: {emma_novak: {points: 6240}}    # patch of the seeded sandbox
    expect:
      state_delta:                        # the change of the normalized projection
        ledger: [{member: emma_novak, kind: adjustment, points: 300}]
      must_say: ["300"]
      tool_calls: [find_members, adjust_points]
    reference:                            # a model trace that solves the task
      - call: {name: find_members, arguments: {query: Emma Novak}}
      - call:
          name: adjust_points
          arguments:
            customer_id: "{{ results.find_members.members[0].customer_id }}"
            points: 300
      - say: Done - 300 goodwill points were added for Emma Novak.
    negative_controls:                    # traces that must fail the grading
      - name: wrong member
        trace: [...]

Unknown keys are errors and every error names the file and the key path
(`TaskFileError`), so a typo never silently weakens a check.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeAlias

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from policies import MODES, Mode

__all__ = [
    "SHIPPED_TASKS",
    "CallStep",
    "Expectation",
    "InitialState",
    "LedgerSeed",
    "NegativeControl",
    "SayStep",
    "StateDelta",
    "Task",
    "TaskFileError",
    "ToolCallSpec",
    "Trace",
    "UserSpec",
    "load_task",
    "load_tasks",
]

SHIPPED_TASKS = Path(__file__).resolve().parent / "tasks"
"""The task files that ship with this package (the `evals/tasks` folder of a checkout)."""

JsonValue: TypeAlias = Any
"""A decoded YAML/JSON value (task data and tool arguments); `Any` stays behind this name."""

Record: TypeAlias = dict[str, JsonValue]
TaskId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,79}$")]
Phrase: TypeAlias = str | list[str]
"""Something the answer must (not) say: a phrase, or a list of alternatives (any of them)."""


class TaskFileError(ValueError):
    """A task file cannot be read or is not a valid task; names the file and the key."""

    def __init__(self, path: str, key: str, problem: str) -> None:
        super().__init__(f"{path}: {key}: {problem}")
        self.path = path
        self.key = key
        self.problem = problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UserSpec(_Strict):
    """Who asks and what they want; `turns` drive the scripted user, the rest the LLM user."""

    persona: str = Field(min_length=1)
    instruction: str = Field(min_length=1)
    known: dict[str, JsonValue] = Field(default_factory=dict)
    unknown: list[str] = Field(default_factory=list)
    turns: list[str] = Field(min_length=1)
    """The first is the opening message; each later one answers the assistant's reply."""


class LedgerSeed(_Strict):
    """A ledger entry posted before the trial starts (e.g. to set up a history)."""

    member: str
    kind: Literal["accrual", "adjustment"] = "adjustment"
    """Posted by staff as `award_points` (accrual) or `adjust_points` (adjustment)."""
    points: int
    reason: str = "seeded by the evaluation task"
    days_ago: int = Field(default=0, ge=0)


class InitialState(_Strict):
    """The sandbox seed plus a patch, and the policy the trial runs under."""

    seed: int = 1
    customers: int = Field(default=200, ge=50, le=2000)
    mode: Mode | None = None
    policy: dict[str, JsonValue] = Field(default_factory=dict)
    """Merged into the shipped default policy (tables deep-merged, other values replaced)."""
    principal: str = "assistant"
    """Whom the server acts for: a name under the policy's `[principals]`."""
    toolsets: tuple[Literal["member", "admin", "approvals", "campaigns"], ...] = Field(
        default=("member",), min_length=1
    )
    customer_updates: dict[str, Record] = Field(default_factory=dict)
    """Customer fields by story member (`injection`): notes, email, ..."""
    memberships: dict[str, Record] = Field(default_factory=dict)
    """Membership fields by story member (`emma_novak`): points, state, tier, expiration_date."""
    ledger: list[LedgerSeed] = Field(default_factory=list)

    @field_validator("mode", mode="before")
    @classmethod
    def _known_mode(cls, value: Any) -> Any:
        if value is not None and value not in MODES:
            raise ValueError(f"must be one of {', '.join(MODES)}, got {value!r}")
        return value


class StateDelta(_Strict):
    """Expected changes of the normalized projection (see `evals.state`).

    Keyed collections (`programs`, `tiers`, `memberships`, `balances`, `customers`) map a key
    to the fields that changed (new values), or to `null` for a record that disappeared; a new
    record lists the fields it must have. List collections (`ledger`, `approvals`, `offers`)
    list the new records; each expected record must match one new record on the fields it
    names, and there must be no other new records. Anything not listed must not change.
    """

    programs: dict[str, Record | None] = Field(default_factory=dict)
    tiers: dict[str, Record | None] = Field(default_factory=dict)
    memberships: dict[str, Record | None] = Field(default_factory=dict)
    balances: dict[str, Record | None] = Field(default_factory=dict)
    customers: dict[str, Record | None] = Field(default_factory=dict)
    ledger: list[Record] = Field(default_factory=list)
    approvals: list[Record] = Field(default_factory=list)
    offers: list[Record] = Field(default_factory=list)


class ToolCallSpec(_Strict):
    """A tool call pattern: the name, and argument values that must match (a subset)."""

    name: str = Field(min_length=1)
    arguments: dict[str, JsonValue] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


class Expectation(_Strict):
    state_delta: StateDelta = StateDelta()
    pending_approvals: list[Record] = Field(default_factory=list)
    """Approval requests that must be waiting at the end (fields to match); they are also
    expected in `state_delta.approvals` with `status: pending`."""
    forbidden_writes: list[ToolCallSpec] = Field(default_factory=list)
    """Calls that must never reach the server, whatever the policy answered."""
    must_say: list[Phrase] = Field(default_factory=list)
    must_not_say: list[Phrase] = Field(default_factory=list)
    tool_calls: Literal["none", "any"] | list[ToolCallSpec] = "any"
    """`none`: no tool call at all; `any`: no constraint; a list: each must be called."""


class CallStep(_Strict):
    """A model turn that calls tools; arguments may use `{{ ... }}` (see `evals.trace`)."""

    call: list[ToolCallSpec] = Field(min_length=1)
    text: str | None = None

    @field_validator("call", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict | str) else value


class SayStep(_Strict):
    """A model turn that answers the user (ends the agent's run for this user turn)."""

    say: str = Field(min_length=1)


def _step_kind(value: Any) -> str:
    if isinstance(value, dict) and "call" in value:
        return "CallStep"
    return "CallStep" if isinstance(value, CallStep) else "SayStep"


Step: TypeAlias = Annotated[
    Annotated[CallStep, Tag("CallStep")] | Annotated[SayStep, Tag("SayStep")],
    Discriminator(_step_kind),
]
Trace: TypeAlias = list[Step]


class NegativeControl(_Strict):
    """A deliberately wrong trace that the grading must fail."""

    name: str = Field(min_length=1)
    why: str = ""
    fails: list[str] = Field(min_length=1)
    """The checks that must fail (`state_delta`, `must_say`, ...; see `evals.grading`)."""
    trace: Trace = Field(min_length=1)
    turns: list[str] | None = None
    """User turns for this control, when they differ from the task's."""


class Task(_Strict):
    id: TaskId
    purpose: str = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    user: UserSpec
    initial: InitialState = InitialState()
    expect: Expectation = Expectation()
    reference: Trace = Field(min_length=1)
    negative_controls: list[NegativeControl] = Field(default_factory=list)

    @model_validator(mode="after")
    def _reference_answers_every_turn(self) -> Task:
        for where, trace in [("reference", self.reference)] + [
            (f"negative_controls.{i}.trace", control.trace)
            for i, control in enumerate(self.negative_controls)
        ]:
            if not isinstance(trace[-1], SayStep):
                raise ValueError(f"{where}: the last step must be a `say` step")
        answers = sum(isinstance(step, SayStep) for step in self.reference)
        if answers != len(self.user.turns):
            raise ValueError(
                f"reference: has {answers} `say` step(s) but user.turns has "
                f"{len(self.user.turns)} turn(s); answer each user turn once"
            )
        return self

    @property
    def expected_write(self) -> bool:
        """Whether the task expects the agent to change something (for over-refusals)."""
        delta = self.expect.state_delta
        return bool(
            self.expect.pending_approvals
            or any(getattr(delta, name) for name in type(delta).model_fields)
        )


# ---------------------------------------------------------------------------- loading


class _TaskLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types
    """YAML 1.2 booleans: only `true`/`false`, so a tool argument named `on` stays `on`."""


_TaskLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_TaskLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_task(path: str | Path) -> Task:
    """Read and validate one task file; raises `TaskFileError` naming the key."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TaskLoader)
    except OSError as exc:
        raise TaskFileError(str(path), "(file)", f"cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise TaskFileError(str(path), "(file)", f"is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise TaskFileError(str(path), "(file)", "must be a mapping of task keys")
    try:
        task = Task.model_validate(data)
    except ValidationError as exc:
        key, problem = _first_problem(exc)
        raise TaskFileError(str(path), key, problem) from None
    if task.id != path.stem:
        raise TaskFileError(str(path), "id", f"must match the file name {path.stem!r}")
    return task


def load_tasks(directory: str | Path, *, only: str | None = None) -> list[Task]:
    """Every `*.yaml` task in `directory`, sorted by id; `only` keeps ids matching a regex."""
    directory = Path(directory)
    if not directory.is_dir():
        raise TaskFileError(str(directory), "(directory)", "is not a directory of task files")
    tasks = [load_task(path) for path in sorted(directory.glob("*.yaml"))]
    if only is not None:
        pattern = re.compile(only)
        tasks = [task for task in tasks if pattern.search(task.id)]
    if not tasks:
        raise TaskFileError(str(directory), "(directory)", "holds no matching *.yaml task files")
    return tasks


def _first_problem(exc: ValidationError) -> tuple[str, str]:
    # A misspelt key also makes the right one "missing": name the misspelling first.
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    error = errors[0]
    parts = [str(part) for part in error["loc"] if not _is_union_tag(part)]
    key = ".".join(parts) or "(task)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling)"
    more = len(exc.errors()) - 1
    return key, message + (f" (and {more} more problem(s))" if more else "")


def _is_union_tag(part: str | int) -> bool:
    """Pydantic names the union member it tried (`CallStep`, `literal['none','any']`)."""
    return isinstance(part, str) and (part[:1].isupper() or part.startswith(("literal[", "list[")))
