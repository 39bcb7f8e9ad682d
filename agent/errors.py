"""Errors of the agent package.

Two kinds are kept apart (as pydantic-ai does): configuration problems that must stop the
program before a run starts, and model failures that end one run with the termination reason
``model_error``. Tool failures are neither: they are values the model reads and adapts to
(see ``agent.mcp_tools.ToolOutcome``), never exceptions.

    AgentError
    ├── ConfigError                      stop the program; the CLI prints the message
    │   ├── ModelNotConfigured(variables)
    │   ├── ScriptError(path, problem)
    │   └── McpConnectError(target)
    └── ModelError                       ends the run: termination "model_error"
        ├── ModelTimeoutError
        ├── ModelConnectionError
        ├── ModelHTTPError(status)
        ├── ModelResponseError
        └── ScriptExhaustedError
"""

from __future__ import annotations

from collections.abc import Sequence


class AgentError(Exception):
    """Base class of every error raised by the agent package."""


class ConfigError(AgentError):
    """The agent is misconfigured; nothing was run."""


class ModelNotConfigured(ConfigError):  # noqa: N818  # the name the CLI and docs use
    """No chat model is configured; `variables` names what to set."""

    def __init__(self, message: str, variables: Sequence[str]) -> None:
        super().__init__(message)
        self.variables = tuple(variables)


class ScriptError(ConfigError):
    """A model script file cannot be read or does not follow the script format."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"model script {path}: {problem}")
        self.path = path
        self.problem = problem


class McpConnectError(ConfigError):
    """The MCP server could not be reached or did not complete the handshake."""

    def __init__(self, target: str, cause: BaseException) -> None:
        super().__init__(
            f"could not connect to the MCP server ({target}): {describe_exception(cause)}"
        )
        self.target = target


class ModelError(AgentError):
    """A model call failed (after the client's own retries)."""


class ModelTimeoutError(ModelError):
    """The model did not answer within the configured timeout."""


class ModelConnectionError(ModelError):
    """The model server could not be reached."""


class ModelHTTPError(ModelError):
    """The model server answered with an HTTP error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"model server answered HTTP {status}: {message}")
        self.status = status


class ModelResponseError(ModelError):
    """The model server answered, but not with a usable chat completion."""


class ScriptExhaustedError(ModelError):
    """A scripted model was asked for more turns than its script holds."""


def describe_exception(exc: BaseException) -> str:
    """`Type: message` of an exception, unwrapping exception groups."""
    # anyio task groups wrap transport failures in exception groups; show the first leaf.
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
