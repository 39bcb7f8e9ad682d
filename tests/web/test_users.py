"""Staff accounts: hashes, the users file, and the `loyalty web` commands that use them."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from web.security import SessionCodec, SessionData
from web.users import (
    User,
    UsersFileError,
    check_users,
    hash_password,
    load_users,
    save_user,
    verify_password,
)

ROLES = {"viewer": {}, "staff": {}, "manager": {}}


def test_a_password_hash_verifies_the_password_and_nothing_else() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("scrypt$16384$8$1$")
    assert "correct horse" not in stored
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse battery!", stored)
    assert not verify_password("anything", None)
    assert not verify_password("anything", "scrypt$broken")
    assert hash_password("same") != hash_password("same")  # salted


def test_saved_users_load_back_from_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "users.toml"
    assert save_user(path, User("carol", "staff", hash_password("carol-password")))
    assert not save_user(path, User("carol", "manager", hash_password("new-password")))
    save_user(path, User("alice", "manager", hash_password("alice-password")))

    users = load_users(path)
    assert sorted(users) == ["alice", "carol"]
    assert users["carol"].role == "manager"
    assert verify_password("new-password", users["carol"].password_hash)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[users.carol]\nrole = "staff"\npassword = "hunter2hunter2"\n', "never the password"),
        ('[users.carol]\nrole = "staff"\n', "needs exactly `role` and `password`"),
        ('[users.Carol]\nrole = "staff"\npassword = "x"\n', "names are lower-case"),
        ("[people]\n", "unknown key(s) people"),
        ("[users\n", "cannot read the users file"),
    ],
)
def test_a_bad_users_file_is_refused_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "users.toml"
    path.write_text(text)
    with pytest.raises(UsersFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_users(path)


def test_a_missing_users_file_says_how_to_create_the_first_account(tmp_path: Path) -> None:
    with pytest.raises(UsersFileError, match=r"loyalty web add-user NAME --role manager"):
        load_users(tmp_path / "none.toml")


def test_roles_must_exist_and_agree_with_the_policy_principals() -> None:
    carol = User("carol", "staff", "h")
    check_users({"carol": carol}, ROLES, {"carol": "staff"})
    with pytest.raises(UsersFileError, match="role 'chef', which the policy does not define"):
        check_users({"carol": User("carol", "chef", "h")}, ROLES, {})
    with pytest.raises(UsersFileError, match="the policy names carol as 'staff'"):
        check_users({"carol": User("carol", "manager", "h")}, ROLES, {"carol": "staff"})


def test_sessions_expire_and_forged_ones_are_ignored() -> None:
    now = [1000.0]
    codec = SessionCodec(b"k" * 32, max_age_s=60, clock=lambda: now[0])
    session = SessionData.fresh(now[0], user="carol", fingerprint="f")
    cookie = codec.encode(session)
    assert codec.decode(cookie) == session
    assert SessionCodec(b"x" * 32).decode(cookie) is None
    assert codec.decode("garbage") is None
    now[0] += 61
    assert codec.decode(cookie) is None


# ---------------------------------------------------------------------------- commands


def test_loyalty_web_refuses_to_start_without_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOYALTY_WEB_USERS", str(tmp_path / "users.toml"))
    result = CliRunner().invoke(app, ["web", "--port", str(free_port())])
    assert result.exit_code == 2
    assert "no users file at" in result.output
    assert "loyalty web add-user NAME --role manager" in result.output
    assert "loyalty web --demo" in result.output


def test_add_user_prompts_for_the_password_and_stores_its_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "users.toml"
    monkeypatch.setenv("LOYALTY_WEB_USERS", str(path))
    monkeypatch.delenv("LOYALTY_POLICY_FILE", raising=False)
    result = CliRunner().invoke(
        app, ["web", "add-user", "mira", "--role", "manager"], input="s3cret-pass-word\n" * 2
    )
    assert result.exit_code == 0, result.output
    assert f"added mira (manager) in {path}" in result.output
    stored = path.read_text()
    assert "s3cret-pass-word" not in stored
    assert verify_password("s3cret-pass-word", load_users(path)["mira"].password_hash)


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["Mira!", "--role", "staff"], "long-enough-pw", "names are lower-case letters"),
        (["mira", "--role", "chef"], "long-enough-pw", "role 'chef', which the policy"),
        (["carol", "--role", "manager"], "long-enough-pw", "the policy names carol as 'staff'"),
        (["mira", "--role", "staff"], "short", "the password is too short"),
    ],
)
def test_add_user_explains_what_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], password: str, message: str
) -> None:
    monkeypatch.setenv("LOYALTY_WEB_USERS", str(tmp_path / "users.toml"))
    monkeypatch.delenv("LOYALTY_POLICY_FILE", raising=False)
    result = CliRunner().invoke(app, ["web", "add-user", *args], input=f"{password}\n" * 2)
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "users.toml").exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_taken_port_is_reported_before_any_banner_or_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["web", "--demo", "--port", str(port)])
    assert result.exit_code == 2
    assert result.output == (
        f"error: port {port} on 127.0.0.1 is already in use (another `loyalty web`?): "
        f"stop that one or pick a free port with --port {port + 1}\n"
    )
