"""Sign-in, sessions, CSRF, rate limits, API tokens and security headers."""

from __future__ import annotations

from datetime import timedelta

from flask.cli import ScriptInfo
from sqlalchemy import select

from app import create_app
from app.cli import main
from core.people import TOKEN_TOUCH_INTERVAL, ApiToken, Role, get_user_by_email
from tests.conftest import PASSWORD, csrf_token


def test_login_with_password_then_logout(client, make_user):
    """The right password signs in and lands on the portal; logout ends the session."""
    user = make_user(Role.REQUESTER)
    token = csrf_token(client)
    response = client.post("/login", data={"email": user.email.upper(), "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal")
    assert client.get("/portal").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal")})
    assert client.get("/portal").status_code == 302


def test_login_wrong_password_is_refused(client, make_user):
    """A wrong password shows the form again with 401 and no session."""
    user = make_user(Role.REQUESTER)
    response = client.post("/login", data={"email": user.email, "password": "nope",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 401
    assert client.get("/portal").status_code == 302


def test_login_without_csrf_token_is_400(client, make_user):
    """Browser forms need their CSRF token."""
    user = make_user(Role.REQUESTER)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400


def test_login_next_only_goes_to_local_paths(client, make_user):
    """?next= never sends the user to another site."""
    user = make_user(Role.REQUESTER)
    response = client.post("/login?next=//evil.example/x", data={
        "email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"].endswith("/portal")


def test_pages_redirect_strangers_to_login(client):
    """Pages send a stranger to /login with the page to come back to."""
    response = client.get("/portal/tickets")
    assert response.status_code == 302
    assert "/login?next=/portal/tickets" in response.headers["Location"]


def test_login_is_rate_limited(session_factory, make_user, tmp_path):
    """The eleventh login attempt in a minute from one address is 429."""
    app = create_app({"TESTING": True, "UPLOAD_ROOT": str(tmp_path), "RATELIMIT_ENABLED": True,
                      "LOGIN_RATE_LIMIT": "3 per minute"}, session_factory=session_factory)
    client = app.test_client()
    user = make_user(Role.REQUESTER)
    token = csrf_token(client)
    answers = [client.post("/login", data={"email": user.email, "password": "x",
                                           "csrf_token": token}) for _ in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    assert "Too many sign-in attempts" in answers[-1].get_data(as_text=True)
    assert client.get("/login").status_code == 200  # the page itself is never limited


def test_password_is_stored_as_argon2id(make_user):
    """Passwords are never stored in clear; the hash is Argon2id."""
    user = make_user(Role.REQUESTER)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_api_token_is_stored_hashed_and_works(client, make_user, bearer, session):
    """Only a digest of the token is kept; the token authenticates API calls."""
    user = make_user(Role.DESIGNER)
    headers = bearer(user)
    token = headers["Authorization"].split()[1]
    digests = session.scalars(select(ApiToken.digest)).all()
    assert token not in digests and all(len(d) == 64 for d in digests)
    assert client.get("/api/v1/forms", headers=headers).status_code == 200


def test_api_token_use_is_recorded_at_most_every_few_minutes(client, make_user, bearer,
                                                             session):
    """The first use stamps last_used_at; uses soon after leave it; a revoked token fails."""
    headers = bearer(make_user(Role.DESIGNER))
    token = session.scalars(select(ApiToken)).one()
    assert token.last_used_at is None
    assert client.get("/api/v1/forms", headers=headers).status_code == 200
    session.refresh(token)
    first = token.last_used_at
    assert first is not None
    assert client.get("/api/v1/forms", headers=headers).status_code == 200
    session.refresh(token)
    assert token.last_used_at == first
    token.last_used_at = first - TOKEN_TOUCH_INTERVAL - timedelta(seconds=1)
    session.commit()
    assert client.get("/api/v1/forms", headers=headers).status_code == 200
    session.refresh(token)
    assert token.last_used_at > first
    token.revoked = True
    session.commit()
    assert client.get("/api/v1/forms", headers=headers).status_code == 401


def test_cookie_api_writes_need_the_csrf_header(client, make_user, login):
    """A signed-in browser calling the API must send X-CSRFToken on writes."""
    login(make_user(Role.DESIGNER))
    body = {"key": "csrf", "title": "T"}
    assert client.post("/api/v1/forms", json=body).status_code == 400
    token = csrf_token(client, "/portal")
    assert client.post("/api/v1/forms", json=body,
                       headers={"X-CSRFToken": token}).status_code == 201
    assert client.get("/api/v1/forms").status_code == 200


def test_security_headers_on_pages_and_api(app):
    """CSP, nosniff and frame options on every response; cookies HttpOnly and SameSite."""
    cookie = app.test_client().get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    client = app.test_client()
    for path in ("/login", "/api/v1/forms", "/healthz"):
        response = client.get(path)
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_cli_creates_users_and_tokens(app, session):
    """`docket users create` and `docket tokens create` work against the app's database."""
    runner = app.test_cli_runner()
    info = ScriptInfo(create_app=lambda: app)
    created = runner.invoke(main, ["users", "create", "--email", "Ops@Example.com", "--role",
                                   "admin", "--password", "long-enough-pw"], obj=info)
    assert created.exit_code == 0, created.output
    user = get_user_by_email(session=session, email="ops@example.com")
    assert user is not None and user.role == Role.ADMIN and user.check_password("long-enough-pw")
    token = runner.invoke(main, ["tokens", "create", "--user", "ops@example.com"], obj=info)
    assert token.exit_code == 0 and token.output.startswith("dkt_")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token.output.strip()}"}
    assert client.get("/api/v1/users", headers=auth).status_code == 200
    duplicate = runner.invoke(main, ["users", "create", "--email", "ops@example.com", "--role",
                                     "agent", "--password", "long-enough-pw"], obj=info)
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output


def test_admin_api_users_and_teams(client, as_role):
    """Admins create teams and users; everybody else gets 403."""
    admin = as_role(Role.ADMIN)
    assert client.post("/api/v1/teams", json={"key": "it", "name": "IT"},
                       headers=admin).status_code == 201
    created = client.post("/api/v1/users", json={
        "email": "new@example.com", "name": "New", "role": "agent", "password": "password1",
        "teams": ["it"]}, headers=admin)
    assert created.status_code == 201 and "password" not in created.json
    teams = client.get("/api/v1/teams", headers=admin).json
    assert teams[0]["members"] == [{"email": "new@example.com", "lead": False}]
    assert client.post("/api/v1/users", json={"email": "bad", "name": "", "role": "boss"},
                       headers=admin).status_code == 422
    for role in (Role.AGENT, Role.DESIGNER, Role.REQUESTER):
        assert client.get("/api/v1/users", headers=as_role(role)).status_code == 403
