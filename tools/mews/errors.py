"""Errors raised by the Mews Connector API client.

Two kinds are kept apart (as pydantic-ai does): `MewsConfigurationError` means the client is set
up wrongly and the program should stop and say what to fix; everything else describes one
failed call that a caller (or a model behind a tool) can read and adapt to.

    MewsError
    ├── MewsConfigurationError            stop the program: missing variable, bad base URL, ...
    ├── MewsTransportError(cause)         no HTTP answer: connect/read failure or timeout
    ├── MewsResponseError(path, field)    a 200 whose body does not match the model
    └── MewsAPIError(status, message, request_id, details)
        ├── MewsBadRequest                400  malformed input, "Invalid {Parameter}"
        ├── MewsUnauthorized              401  bad/expired token, integration disabled
        ├── MewsForbidden                 403  business rule; message is meant for the user
        ├── MewsNotFound                  404  wrong path (case, slash, version)
        ├── MewsRequestTimeout            408  request too heavy; page or batch smaller
        ├── MewsConflict                  409  data changed meanwhile; refresh and resubmit
        ├── MewsPayloadTooLarge           413  body too large; split it
        ├── MewsRateLimited(retry_after)  429  200 requests / 30 s per access token
        └── MewsServerError               5xx

Invalid arguments (a `Count` of 0, an unknown enum value, too many items in a write) are
rejected before any request with `ValueError`; `pydantic.ValidationError` is one.
"""

from __future__ import annotations

__all__ = [
    "MewsAPIError",
    "MewsBadRequest",
    "MewsConfigurationError",
    "MewsConflict",
    "MewsError",
    "MewsForbidden",
    "MewsNotFound",
    "MewsPayloadTooLarge",
    "MewsRateLimited",
    "MewsRequestTimeout",
    "MewsResponseError",
    "MewsServerError",
    "MewsTransportError",
    "MewsUnauthorized",
    "api_error_class",
]


class MewsError(Exception):
    """Base class of every error raised by the Mews client."""


class MewsConfigurationError(MewsError):
    """The client is misconfigured; no request was sent. Stop and fix the configuration."""


class MewsTransportError(MewsError):
    """The request got no HTTP answer (connection refused, reset, timeout)."""

    def __init__(self, path: str, cause: BaseException) -> None:
        detail = str(cause) or type(cause).__name__
        super().__init__(f"{path}: no answer from Mews ({type(cause).__name__}: {detail})")
        self.path = path
        self.cause = cause


class MewsResponseError(MewsError):
    """Mews answered 200, but the body is not what the operation's model expects."""

    def __init__(self, path: str, field: str, problem: str, request_id: str | None) -> None:
        super().__init__(f"{path}: unexpected response at {field or '<body>'}: {problem}")
        self.path = path
        self.field = field
        self.problem = problem
        self.request_id = request_id


class MewsAPIError(MewsError):
    """Mews answered with an error status; `message` is Mews' own `Message`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        path: str = "",
        request_id: str | None = None,
        details: str | None = None,
    ) -> None:
        where = f"{path}: " if path else ""
        suffix = f" (request id {request_id})" if request_id else ""
        super().__init__(f"{where}Mews answered {status}: {message}{suffix}")
        self.status = status
        self.message = message
        self.path = path
        self.request_id = request_id
        self.details = details


class MewsBadRequest(MewsAPIError):  # noqa: N818  # named after the HTTP status
    """400: malformed input or an identifier that does not exist (`Invalid {Parameter}`)."""


class MewsUnauthorized(MewsAPIError):  # noqa: N818  # named after the HTTP status
    """401: invalid or expired token, disabled integration, or an operation not permitted."""


class MewsForbidden(MewsAPIError):  # noqa: N818  # named after the HTTP status
    """403: a business rule was violated; the message is meant to be shown to the user."""


class MewsNotFound(MewsAPIError):  # noqa: N818  # named after the HTTP status
    """404: the operation path does not exist (paths are case-sensitive, no trailing slash)."""


class MewsRequestTimeout(MewsAPIError):  # noqa: N818  # named after the HTTP status
    """408: the request was too heavy for Mews; use smaller pages or fewer ids."""


class MewsConflict(MewsAPIError):  # noqa: N818  # named after the HTTP status
    """409: the data changed meanwhile; refresh and resubmit."""


class MewsPayloadTooLarge(MewsAPIError):  # noqa: N818  # named after the HTTP status
    """413: the request body is too large; split it."""


class MewsRateLimited(MewsAPIError):  # noqa: N818  # named after the HTTP status
    """429: the access token's rate limit was hit; `retry_after` is in seconds when Mews said
    (the client sets it from the answer's `Retry-After`)."""

    retry_after: float | None = None


class MewsServerError(MewsAPIError):
    """5xx: an unexpected error inside Mews."""


_BY_STATUS: dict[int, type[MewsAPIError]] = {
    400: MewsBadRequest,
    401: MewsUnauthorized,
    403: MewsForbidden,
    404: MewsNotFound,
    408: MewsRequestTimeout,
    409: MewsConflict,
    413: MewsPayloadTooLarge,
    429: MewsRateLimited,
}


def api_error_class(status: int) -> type[MewsAPIError]:
    """The narrowest error class for an HTTP status (unlisted 4xx map to `MewsAPIError`)."""
    if status >= 500:
        return MewsServerError
    return _BY_STATUS.get(status, MewsAPIError)
