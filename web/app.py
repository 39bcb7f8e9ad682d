"""The staff web app: sign-in, chat with the assistant, member card, approvals, audit.

    config = WebConfig(users=load_users(path), open_runtime=..., model_factory=..., chat_server=...)
    app = create_app(config)

Every page and action checks on the server who is signed in and what their role may do; every
form carries a CSRF token. The approvals inbox and the audit view are for roles with the
`approve` permission (managers, admins). The chat streams its answer as newline-delimited JSON
to the page's script (`X-Stream: ndjson`); without JavaScript the same form posts, waits for the
answer and shows the conversation again.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import anyio
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.session import ServerFactory
from policies import ApprovalDesk, Principal, principal_for_role, records, verify
from tools.actions.approval_views import ApprovalView, age_text, describe_approvals
from tools.runtime import LoyaltyRuntime
from web import actions, dashboard, inbox, members, names
from web.chat import ChatService, ModelFactory, summarize
from web.conversations import WEB_CHAT
from web.formatting import Formats
from web.markdown import render as render_markdown
from web.properties import PROPERTY_COOKIE, Properties, Property, read_properties
from web.security import (
    COOKIE_NAME,
    SECURITY_HEADERS,
    SessionCodec,
    SessionData,
    SignInThrottle,
    csrf_matches,
)
from web.users import User, verify_password

__all__ = ["AUDIT_RECENT", "MAX_QUESTION", "WebConfig", "create_app"]

_log = logging.getLogger(__name__)
_HERE = Path(__file__).parent
MAX_QUESTION = 2000
MAX_COMMENT = 500
RECENT_DECISIONS = 50
"""How many decided requests the inbox shows under the pending ones (newest first)."""
AUDIT_RECENT = 50
AUDIT_SEARCHED = 2000
_SESSION = "web.session"
SUGGESTIONS = (
    "How many points does Emma Novak have?",
    "Is Emma Novak close to the next tier?",
    "Which rewards suit Emma Novak?",
    "Which members are lapsing?",
)
"""Questions the empty chat offers (the offline demo model answers the first two)."""
_SESSION_CHANGED = "web.session_changed"


@dataclass(frozen=True)
class WebConfig:
    users: Mapping[str, User]
    open_runtime: Callable[[], AbstractAsyncContextManager[LoyaltyRuntime]]
    model_factory: ModelFactory
    chat_server: Callable[[LoyaltyRuntime], ServerFactory]
    """The MCP server of the chat on the app's runtime, one per principal (the command line's
    `app.session.runtime_server`, so that the web chat and `loyalty chat` offer the same tools)."""
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    banner: str | None = None
    """A line shown on every page (e.g. that the accounts are throwaway demo ones)."""
    clock: Callable[[], float] = time.time


@dataclass
class _State:
    config: WebConfig
    codec: SessionCodec
    throttle: SignInThrottle
    templates: Environment
    runtime: LoyaltyRuntime | None = None
    chat: ChatService | None = None
    properties: Properties | None = None
    flashes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Who:
    session: SessionData
    user: User
    principal: Principal

    @property
    def manager(self) -> bool:
        return self.principal.can("approve")


# ---------------------------------------------------------------------------- plumbing


def _state(request: Request) -> _State:
    state: _State = request.app.state.web
    return state


def _runtime(request: Request) -> LoyaltyRuntime:
    runtime = _state(request).runtime
    if runtime is None:
        raise HTTPException(503, "The app is still starting; try again in a moment.")
    return runtime


def _session(request: Request) -> SessionData:
    session: SessionData = request.scope[_SESSION]
    return session


def _set_session(request: Request, session: SessionData | None) -> None:
    request.scope[_SESSION] = session
    request.scope[_SESSION_CHANGED] = True


def _who(request: Request) -> _Who | None:
    state = _state(request)
    session = _session(request)
    user = state.config.users.get(session.user or "")
    if user is None or user.fingerprint != session.fingerprint:
        return None
    runtime = _runtime(request)
    principal = principal_for_role(runtime.policy, user.role, name=user.name)
    return _Who(session, user, principal)


def _flash(request: Request, kind: str, text: str) -> None:
    _state(request).flashes.setdefault(_session(request).sid, []).append((kind, text))


def _page(
    request: Request,
    template: str,
    who: _Who | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    state = _state(request)
    flashes = state.flashes.pop(_session(request).sid, [])
    hotels = state.properties
    html = state.templates.get_template(template).render(
        who=who,
        csrf=_session(request).csrf,
        banner=state.config.banner,
        flashes=flashes,
        path=request.url.path,
        formats=Formats(_zone(request)),
        hotels=hotels.hotels if hotels else (),
        hotel=_hotel(request),
        hotel_name=hotels.name_of if hotels else (lambda _id: None),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def _hotel(request: Request) -> Property | None:
    """The hotel the user chose (a cookie), else the default one; None when Mews named none."""
    hotels = _state(request).properties
    return hotels.chosen(request.cookies.get(PROPERTY_COOKIE)) if hotels else None


def _zone(request: Request) -> ZoneInfo:
    """The time zone of the user's hotel (`_hotel`), else the policy's."""
    state = _state(request)
    hotel = _hotel(request)
    if hotel is not None:
        return hotel.zone
    return state.runtime.policy.tz if state.runtime else ZoneInfo("UTC")


async def _form(request: Request, max_fields: int = 20) -> FormData:
    """The posted form, after its CSRF token is checked (403 otherwise)."""
    try:
        form = await request.form(max_files=0, max_fields=max_fields)
    except Exception as exc:  # malformed bodies of every kind: a clear 400, not a trace
        raise HTTPException(400, f"The form could not be read: {exc}") from None
    if not csrf_matches(_session(request), form.get("csrf")):
        raise HTTPException(
            403, "The form expired or did not come from this app. Reload the page and try again."
        )
    return form


def _text(form: FormData, name: str, *, limit: int, required: bool = True) -> str:
    value = form.get(name, "")
    if not isinstance(value, str):
        raise HTTPException(400, f"{name} must be text")
    value = value.strip()
    if required and not value:
        raise HTTPException(400, f"Please fill in {name}.")
    if len(value) > limit:
        raise HTTPException(400, f"{name} is too long ({len(value)} characters; at most {limit}).")
    return value


Handler = Callable[[Request, _Who], Awaitable[Response]]


def _signed_in(
    *, manager: bool = False
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """The endpoint for signed-in users (managers only with `manager`); others are sent to
    the sign-in page (GET), refused with 401 (POST), or 403 for a role that may not."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            who = _who(request)
            if who is None:
                if request.method == "GET":
                    target = quote(request.url.path, safe="/")
                    return RedirectResponse(f"/login?next={target}", status_code=303)
                raise HTTPException(401, "Please sign in first.")
            if manager and not who.manager:
                raise HTTPException(
                    403,
                    f"Your role ({who.principal.role}) cannot open this page: it is for managers "
                    "(roles with the approve permission).",
                )
            return await handler(request, who)

        return endpoint

    return wrap


# ---------------------------------------------------------------------------- sign-in


async def login_page(request: Request) -> Response:
    if _who(request) is not None:
        return RedirectResponse("/chat", status_code=303)
    return _page(request, "login.html", None, next=_next(request.query_params.get("next")))


def _next(target: str | None) -> str:
    """Only a local path (never another site) to go to after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/chat"


async def login(request: Request) -> Response:
    form = await _form(request)
    state = _state(request)
    name = str(form.get("username", "")).strip().lower()
    password = str(form.get("password", ""))
    target = _next(str(form.get("next", "")))
    address = request.client.host if request.client else ""
    wait = state.throttle.retry_after(name, address)
    if wait > 0:
        seconds = max(1, round(wait))
        page = _page(
            request,
            "login.html",
            None,
            429,
            next=target,
            error=f"Too many failed sign-ins; try again in {seconds} seconds.",
        )
        page.headers["Retry-After"] = str(seconds)
        return page
    user = state.config.users.get(name)
    if not verify_password(password, user.password_hash if user else None) or user is None:
        state.throttle.failed(name, address)
        return _page(
            request, "login.html", None, 401, next=target, error="Unknown name or wrong password."
        )
    state.throttle.succeeded(name, address)
    _set_session(
        request, _session(request).signed_in(user.name, user.fingerprint, state.config.clock())
    )
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    await _form(request)
    state = _state(request)
    state.codec.revoke(_session(request))
    _set_session(request, SessionData.fresh(state.config.clock()))
    return RedirectResponse("/login", status_code=303)


@_signed_in()
async def choose_property(request: Request, who: _Who) -> Response:
    """Switch the hotel whose time zone and labels the pages show (a cookie, a year long)."""
    form = await _form(request)
    hotels = _state(request).properties
    chosen = str(form.get("property") or "")
    if hotels is None or chosen not in {h.id for h in hotels.hotels}:
        raise HTTPException(400, "property: choose one of the hotels in the list.")
    response = RedirectResponse(_next(str(form.get("next") or "/")), status_code=303)
    response.set_cookie(
        PROPERTY_COOKIE,
        chosen,
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


async def home(request: Request) -> Response:
    return RedirectResponse("/chat" if _who(request) else "/login", status_code=303)


# ---------------------------------------------------------------------------- chat


def _chat(request: Request) -> ChatService:
    chat = _state(request).chat
    if chat is None:
        raise HTTPException(503, "The app is still starting; try again in a moment.")
    return chat


@_signed_in()
async def chat_page(request: Request, who: _Who) -> Response:
    conversation = _chat(request).conversation(who.user.name)
    return _page(
        request,
        "chat.html",
        who,
        conversation=conversation,
        max_question=MAX_QUESTION,
        suggestions=SUGGESTIONS,
    )


@_signed_in()
async def chat_ask(request: Request, who: _Who) -> Response:
    form = await _form(request)
    question = _text(form, "message", limit=MAX_QUESTION)
    chat = _chat(request)
    try:
        _exchange, events = chat.start(who.principal, question, _zone(request))
    except ChatService.Busy:
        raise HTTPException(
            409, "Your previous question is still being answered; wait for it, then ask again."
        ) from None
    if request.headers.get("x-stream") == "ndjson":

        async def lines() -> AsyncIterator[str]:
            async for event in events:
                yield json.dumps(event, ensure_ascii=False) + "\n"

        return StreamingResponse(
            lines(),
            media_type="application/x-ndjson",
            headers={"X-Accel-Buffering": "no"},
        )
    async for _event in events:  # no script: wait for the whole answer, then show the page
        pass  # the page shows the answer, or the exchange's note when there is none
    return RedirectResponse("/chat#latest", status_code=303)


@_signed_in()
async def chat_proposal(request: Request, who: _Who) -> Response:
    """Confirm (as the signed-in user, under their own policy) or discard a proposal."""
    from agent.proposals import ProposalNotFoundError

    form = await _form(request)
    proposal_id = request.path_params["proposal_id"]
    decision = _text(form, "decision", limit=10)
    if decision not in ("confirm", "discard"):
        raise HTTPException(400, "decision must be confirm or discard")
    try:
        settled = await _chat(request).settle(
            who.principal,
            proposal_id,
            "confirm" if decision == "confirm" else "discard",
            _zone(request),
        )
    except ProposalNotFoundError:
        _flash(request, "error", f"{proposal_id} is no longer open (confirmed or discarded).")
        return RedirectResponse("/chat#latest", status_code=303)
    outcome = settled.outcome
    if outcome is None:
        _flash(request, "ok", f"{proposal_id} discarded; nothing was written.")
    else:
        kind = "error" if outcome.is_error else "ok"
        what = summarize(settled.proposal.tool, outcome)
        _flash(request, kind, f"{proposal_id} confirmed: {what}")
    return RedirectResponse("/chat#latest", status_code=303)


@_signed_in()
async def chat_reset(request: Request, who: _Who) -> Response:
    await _form(request)
    try:
        _chat(request).reset(who.user.name)
    except ChatService.Busy:
        raise HTTPException(409, "A question is still being answered; wait for it first.") from None
    _flash(request, "ok", "Started a new conversation.")
    return RedirectResponse("/chat", status_code=303)


# ---------------------------------------------------------------------------- members


@_signed_in()
async def members_page(request: Request, who: _Who) -> Response:
    query = request.query_params.get("q", "").strip()
    found: list[dict[str, Any]] = []
    error = None
    if len(query) > 200:
        error, query = "The search is too long (at most 200 characters).", query[:200]
    elif query:
        try:
            found = await members.find(_runtime(request), who.principal, query)
        except members.ToolError as exc:
            error = str(exc)
        if not found and error is None:
            error = (
                f"No member matches “{query}”. Try a last name, an e-mail or a membership number."
            )
    status = 400 if error and not found and len(query) >= 200 else 200
    return _page(request, "members.html", who, status, query=query, found=found, error=error)


@_signed_in()
async def member_page(request: Request, who: _Who) -> Response:
    customer_id = request.path_params["customer_id"]
    if not members.is_customer_id(customer_id):
        raise HTTPException(404, "That is not a member id; search for the member by name.")
    try:
        card = await members.member_card(_runtime(request), who.principal, customer_id)
    except members.ToolError as exc:
        raise HTTPException(404 if exc.status == "error" else 403, str(exc)) from None
    runtime = _runtime(request)
    zone = _zone(request)
    today = runtime.clock.now().astimezone(zone).date()

    def days_until(value: Any) -> int | None:
        moment = _moment(value)
        if moment is None:
            return None
        return (moment.astimezone(zone).date() - today).days

    def renew_default(expiration: Any) -> str:
        """A year after the current expiry (or after today, for an expired membership)."""
        moment = _moment(expiration) if expiration else None
        base = max(today, moment.astimezone(zone).date()) if moment else today
        try:
            return base.replace(year=base.year + 1).isoformat()
        except ValueError:  # 29 February
            return base.replace(year=base.year + 1, day=28).isoformat()

    return _page(
        request,
        "member.html",
        who,
        card=card,
        enrol_programs=await _programs_to_enrol(runtime, card),
        renew_default=renew_default,
        today=today.isoformat(),
        in_30_days=(today + timedelta(days=30)).isoformat(),
        days_until=days_until,
    )


async def _programs_to_enrol(
    runtime: LoyaltyRuntime, card: members.MemberCard
) -> list[tuple[str, str]]:
    """(Mews program id, name) of the configured programs the member is not in."""
    held = {m.get("program_code") for m in card.summary.get("memberships", [])}
    try:
        codes = await runtime.directory.program_codes()
    except Exception:  # Mews unreachable: the other forms still work
        return []
    configured = runtime.programs.programs
    return [
        (program_id, configured[code].name)
        for program_id, code in codes.items()
        if code in configured and code not in held
    ]


def _moment(value: Any) -> datetime | None:
    """An ISO time from a tool's result (naive means UTC), or None."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@_signed_in()
async def member_act(request: Request, who: _Who) -> Response:
    """One action form of the member card, through the same guarded tool as the assistant."""
    customer_id = request.path_params["customer_id"]
    action = actions.ACTIONS.get(request.path_params["action"])
    if action is None or not members.is_customer_id(customer_id):
        raise HTTPException(404, "There is no such action on the member card.")
    form = await _form(request)
    try:
        arguments = action.arguments(form, customer_id)
    except actions.FormError as exc:
        _flash(request, "error", f"{action.title}: not sent — {exc}")
    else:
        status, body, message = await members.act(
            _runtime(request), who.principal, action.tool, arguments
        )
        answer = actions.answer_of(action.title, status, body, message)
        _flash(request, answer.kind, answer.text)  # the tool delivered a posted write to Mews
    return RedirectResponse(f"/members/{customer_id}#actions", status_code=303)


# ---------------------------------------------------------------------------- approvals


def _page_number(text: str | None) -> int:
    try:
        return max(1, int(text or 1))
    except ValueError:
        return 1


@_signed_in(manager=True)
async def approvals_page(request: Request, who: _Who) -> Response:
    runtime = _runtime(request)
    now = runtime.clock.now()
    params = request.query_params
    desk = ApprovalDesk(runtime.guard)

    async def read_views() -> tuple[list[ApprovalView], list[ApprovalView]]:
        pending = await describe_approvals(runtime, desk.approvals(("pending",)))
        return pending, await describe_approvals(runtime, desk.recent_decisions(RECENT_DECISIONS))

    try:
        views, decided_views = await members.audited_read(
            runtime, who.principal, "web.approvals_inbox", {}, read_views
        )
    except members.ToolError as exc:
        raise HTTPException(403, str(exc)) from None
    box = inbox.build_inbox(
        views,
        now,
        kind=params.get("kind", ""),
        requester=params.get("requester", ""),
        age=params.get("age", ""),
        page=_page_number(params.get("page")),
    )
    return _page(
        request,
        "approvals.html",
        who,
        inbox=box,
        ages=inbox.AGES,
        decided=decided_views,
        now=now,
        age_text=age_text,
        pretty=lambda data: json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True),
        max_comment=MAX_COMMENT,
    )


_PAST = {"approve": "approved", "reject": "rejected"}


def _decided_text(decision: str, result: dict[str, Any]) -> str:
    if decision == "reject":
        return "rejected"
    if result.get("status") == "posted":
        return "approved and posted"
    return f"approved ({result.get('status')})"


@_signed_in(manager=True)
async def approvals_decide(request: Request, who: _Who) -> Response:
    # A request's own button submits its group's form, every ticked box included (up to a page)
    form = await _form(request, max_fields=inbox.PAGE_SIZE + 10)
    approval_id = request.path_params["approval_id"]
    decision = _decision(form)
    comment = _text(form, "comment", limit=MAX_COMMENT, required=False) or None
    try:
        result = await members.decide(
            _runtime(request), who.principal, approval_id, decision, comment
        )
    except members.ToolError as exc:
        _flash(request, "error", f"{approval_id} was not {_PAST[decision]}: {exc}")
    else:
        _flash(request, "ok", f"{approval_id}: {_decided_text(decision, result)}.")
    return RedirectResponse(_back_to_inbox(form), status_code=303)


def _decision(form: FormData) -> str:
    decision = _text(form, "decision", limit=10)
    if decision not in ("approve", "reject"):
        raise HTTPException(400, "decision must be approve or reject")
    return decision


def _back_to_inbox(form: FormData) -> str:
    """The inbox with the filters the manager had (only our own local path)."""
    back = str(form.get("back", ""))
    return back if back.startswith("/approvals") and "//" not in back else "/approvals"


@_signed_in(manager=True)
async def approvals_bulk(request: Request, who: _Who) -> Response:
    """Decide the ticked requests one by one through the guarded tool: one audited decision
    per request; a request the policy refuses (one's own, already decided) is reported and
    the others still go through."""
    form = await _form(request, max_fields=inbox.PAGE_SIZE + 10)
    decision = _decision(form)
    comment = _text(form, "comment", limit=MAX_COMMENT, required=False) or None
    ids = [str(value) for value in form.getlist("ids")]
    if not ids:
        _flash(request, "error", "Tick at least one request to decide.")
        return RedirectResponse(_back_to_inbox(form), status_code=303)
    if len(ids) > inbox.PAGE_SIZE:
        raise HTTPException(400, f"At most {inbox.PAGE_SIZE} requests at once.")
    done: list[str] = []
    refused: list[str] = []
    for approval_id in dict.fromkeys(ids):
        try:
            result = await members.decide(
                _runtime(request), who.principal, approval_id, decision, comment
            )
        except members.ToolError as exc:
            refused.append(f"{approval_id}: {exc}")
        else:
            done.append(f"{approval_id} {_decided_text(decision, result)}")
    if done:
        verb = "Approved" if decision == "approve" else "Rejected"
        _flash(request, "ok", f"{verb} {len(done)} of {len(ids)}: " + "; ".join(done) + ".")
    if refused:
        _flash(request, "error", f"Not {_PAST[decision]} ({len(refused)}): " + "; ".join(refused))
    return RedirectResponse(_back_to_inbox(form), status_code=303)


# ---------------------------------------------------------------------------- audit


@_signed_in(manager=True)
async def audit_page(request: Request, who: _Who) -> Response:
    """The newest records, filtered by who, action and decision (over the last
    `AUDIT_SEARCHED` records: the chain's head is where a manager looks)."""
    runtime = _runtime(request)
    report = await anyio.to_thread.run_sync(verify, runtime.store, runtime.guard.audit_key)
    searched = records(runtime.store, after_seq=max(0, report.head_seq - AUDIT_SEARCHED))
    wanted = {
        key: request.query_params.get(key, "").strip()[:100]
        for key in ("principal", "action", "decision")
    }
    matching = [
        record
        for record in reversed(searched)
        if all(not value or str(getattr(record, key)) == value for key, value in wanted.items())
    ]
    return _page(
        request,
        "audit.html",
        who,
        report=report,
        rows=[record.to_dict() for record in matching[:AUDIT_RECENT]],
        matching=len(matching),
        searched=len(searched),
        filters=wanted,
        choices={key: sorted({str(getattr(record, key)) for record in searched}) for key in wanted},
        compact=lambda data: json.dumps(data, ensure_ascii=False, sort_keys=True, default=str),
    )


# ---------------------------------------------------------------------------- dashboard


def _day_param(request: Request, name: str) -> date | None:
    text = request.query_params.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"{name}: a date like 2026-01-31, not “{text[:20]}”.") from None


def _program_param(request: Request) -> str | None:
    code = request.query_params.get("program", "").strip() or None
    if code is not None and code not in _runtime(request).programs.programs:
        raise HTTPException(400, f"program: no program {code[:50]!r} in the program file.")
    return code


@_signed_in(manager=True)
async def dashboard_page(request: Request, who: _Who) -> Response:
    runtime = _runtime(request)
    program = _program_param(request) or runtime.program().code
    period_from, period_to = _day_param(request, "from"), _day_param(request, "to")
    report, error = None, None
    try:
        report = await dashboard.read_report(
            runtime, who.principal, program, period_from, period_to
        )
    except dashboard.ReportError as exc:
        error = f"The report could not be made: {exc}"
    return _page(
        request,
        "dashboard.html",
        who,
        400 if error else 200,
        report=report,
        error=error,
        charts=dashboard.charts(report) if report else {},
        program=program,
        programs=[(p.code, p.name) for p in runtime.programs.programs.values()],
        period_from=(report.period_from if report else period_from) or "",
        period_to=(report.period_to if report else period_to) or "",
        percent=lambda value: "–" if value is None else f"{value:.1%}",
    )


@_signed_in(manager=True)
async def dashboard_export(request: Request, who: _Who) -> Response:
    runtime = _runtime(request)
    kind = request.path_params["kind"]
    program = _program_param(request)
    exports: dict[str, Callable[[], Awaitable[str]]] = {
        "members": lambda: dashboard.members_csv(runtime, program),
        "ledger": lambda: anyio.to_thread.run_sync(dashboard.ledger_csv, runtime, program),
        "approvals": lambda: dashboard.approvals_csv(
            runtime, ApprovalDesk(runtime.guard).approvals(None)
        ),
    }
    if kind not in exports:
        raise HTTPException(404, f"No export named {kind[:30]!r}: members, ledger or approvals.")
    args: dict[str, Any] = {"program": program} if program and kind != "approvals" else {}
    try:  # every export is a bulk read of guests' data: audited as one
        text = await members.audited_read(
            runtime, who.principal, f"web.export_{kind}", args, exports[kind]
        )
    except members.ToolError as exc:
        raise HTTPException(403, str(exc)) from None
    stamp = runtime.clock.now().strftime("%Y%m%d")
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{kind}-{stamp}.csv"'},
    )


# ---------------------------------------------------------------------------- errors


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _SESSION not in request.scope:
        return HTMLResponse(exc.detail, status_code=exc.status_code)
    who = _who(request) if _state(request).runtime is not None else None
    if "application/json" in request.headers.get("accept", "") or request.headers.get("x-stream"):
        return Response(
            json.dumps({"error": exc.detail}),
            status_code=exc.status_code,
            media_type="application/json",
        )
    return _page(
        request, "error.html", who, exc.status_code, status=exc.status_code, message=exc.detail
    )


async def _server_error(request: Request, exc: Exception) -> Response:
    _log.exception("unexpected error on %s", request.url.path, exc_info=exc)
    return HTMLResponse(
        "<!doctype html><title>Something went wrong</title><h1>Something went wrong</h1>"
        "<p>The request could not be completed. The server log has the details; "
        '<a href="/chat">back to the app</a>.</p>',
        status_code=500,
    )


# ---------------------------------------------------------------------------- the app


class _SessionMiddleware:
    """Reads the session cookie into the scope; writes it back when it changed or was new,
    and adds the security headers to every response."""

    def __init__(self, app: ASGIApp, state: _State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        session = self.state.codec.decode(request.cookies.get(COOKIE_NAME))
        if session is None:
            session = SessionData.fresh(self.state.config.clock())
            scope[_SESSION_CHANGED] = True
        scope[_SESSION] = session
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                for name, value in SECURITY_HEADERS.items():
                    headers.append((name.lower().encode(), value.encode()))
                if scope.get(_SESSION_CHANGED):
                    headers.append((b"set-cookie", self._cookie(scope[_SESSION], secure).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _cookie(self, session: SessionData, secure: bool) -> str:
        value = self.state.codec.encode(session)
        attributes = f"{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax"
        attributes += f"; Max-Age={int(self.state.codec.max_age_s)}"
        return attributes + ("; Secure" if secure else "")


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Times and days are shown in the zone of the page's hotel: each page is rendered with its
    # own `formats` (see `_page`); UTC where a page has none (an error before start-up).
    utc_formats = Formats(ZoneInfo("UTC"))

    def formats_of(context: Context) -> Formats:
        found = context.get("formats")
        return found if isinstance(found, Formats) else utc_formats

    env.filters.update(
        points=Formats.points,
        money=Formats.money,
        when=pass_context(lambda context, value: formats_of(context).when(value)),
        day=pass_context(lambda context, value: formats_of(context).day(value)),
    )
    env.globals["zone"] = pass_context(lambda context: formats_of(context).zone())
    env.globals["markdown"] = render_markdown
    return env


def create_app(config: WebConfig) -> Starlette:
    state = _State(
        config=config,
        codec=SessionCodec(config.secret, clock=config.clock),
        throttle=SignInThrottle(),
        templates=_templates(),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with config.open_runtime() as runtime, anyio.create_task_group() as group:
            state.runtime = runtime
            runtime.store.migrate([WEB_CHAT])
            state.properties = await read_properties(runtime.mews, runtime.policy.tz)
            state.templates.globals.update(names.lookups(runtime.programs))
            state.chat = ChatService(
                runtime, config.chat_server(runtime), config.model_factory, group
            )
            try:
                yield
            finally:
                group.cancel_scope.cancel()  # runs still going when the server stops
                state.runtime = state.chat = None

    routes = [
        Route("/", home),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/property", choose_property, methods=["POST"]),
        Route("/chat", chat_page, methods=["GET"]),
        Route("/chat", chat_ask, methods=["POST"]),
        Route("/chat/reset", chat_reset, methods=["POST"]),
        Route("/chat/proposals/{proposal_id}", chat_proposal, methods=["POST"]),
        Route("/members", members_page, methods=["GET"]),
        Route("/members/{customer_id}", member_page, methods=["GET"]),
        Route("/members/{customer_id}/{action}", member_act, methods=["POST"]),
        Route("/approvals", approvals_page, methods=["GET"]),
        Route("/approvals/bulk", approvals_bulk, methods=["POST"]),
        Route("/approvals/{approval_id}", approvals_decide, methods=["POST"]),
        Route("/audit", audit_page, methods=["GET"]),
        Route("/dashboard", dashboard_page, methods=["GET"]),
        Route("/dashboard/export/{kind}.csv", dashboard_export, methods=["GET"]),
        Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.web = state
    app.add_middleware(_SessionMiddleware, state=state)
    return app
