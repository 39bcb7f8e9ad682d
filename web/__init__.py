"""The staff web app (`loyalty web`): chat with the assistant, member card, approvals, audit.

    config = WebConfig(users=load_users(users_path()), open_runtime=..., model_factory=...,
                       chat_server=...)
    app = create_app(config)

Modules: `app` (routes, session middleware), `chat` (per-user conversations and streamed runs),
`members` (member card and approval decisions through the MCP server), `security` (signed
session cookies, CSRF, sign-in throttling, headers), `users` (the accounts file and password
hashes), `templates/` and `static/` (jinja2 pages, CSS, one small script; no build step).
"""

from web.app import WebConfig, create_app
from web.users import User, UsersFileError, hash_password, load_users, save_user, users_path

__all__ = [
    "User",
    "UsersFileError",
    "WebConfig",
    "create_app",
    "hash_password",
    "load_users",
    "save_user",
    "users_path",
]
