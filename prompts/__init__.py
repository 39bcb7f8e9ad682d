"""Prompt templates (jinja2, `StrictUndefined`) and their renderer."""

from prompts.render import MissingVariables, PromptError, UnknownTemplate, render, template_names

__all__ = ["MissingVariables", "PromptError", "UnknownTemplate", "render", "template_names"]
