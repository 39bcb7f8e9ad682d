"""Render the jinja2 templates in `prompts/templates/`.

The environment uses `StrictUndefined`: a variable the caller did not pass is an error at
render time, never an empty string in a prompt. Templates are Markdown, not HTML, so nothing
is escaped.
"""

from __future__ import annotations

from functools import cache

import jinja2
from jinja2 import meta


class PromptError(Exception):
    """Base class of prompt rendering errors."""


class UnknownTemplate(PromptError):  # noqa: N818  # reads as a sentence: UnknownTemplate("x")
    def __init__(self, name: str) -> None:
        super().__init__(f"no prompt template named {name!r}; known: {', '.join(template_names())}")
        self.name = name


class MissingVariables(PromptError):  # noqa: N818  # reads as a sentence: MissingVariables(...)
    """The template needs variables the caller did not pass (`names`)."""

    def __init__(self, template: str, names: list[str]) -> None:
        listed = ", ".join(names)
        super().__init__(f"prompt template {template!r} needs variable(s) not given: {listed}")
        self.template = template
        self.names = names


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("prompts", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def template_names() -> list[str]:
    """Every template file, e.g. `system.md.j2`."""
    return sorted(name for name in environment().list_templates() if name.endswith(".j2"))


def render(name: str, **variables: object) -> str:
    """Render template `name` (e.g. `"system.md.j2"`) with `variables`.

    Raises `UnknownTemplate`; `MissingVariables` naming every variable the template uses
    that was not passed; `PromptError` for a missing key or attribute deeper down (say a
    `principal` without `role`), with jinja2's description of it.
    """
    env = environment()
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        raise UnknownTemplate(name) from None
    missing = sorted(_declared_variables(name) - variables.keys())
    if missing:
        raise MissingVariables(name, missing)
    try:
        return template.render(**variables)
    except jinja2.UndefinedError as exc:
        raise PromptError(f"prompt template {name!r}: {exc.message}") from None


@cache
def _declared_variables(name: str) -> frozenset[str]:
    env = environment()
    assert env.loader is not None  # set in environment()
    source, _, _ = env.loader.get_source(env, name)
    return frozenset(meta.find_undeclared_variables(env.parse(source)))
