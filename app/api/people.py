"""Users and teams (admins only), and a read-only directory for designers."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.api.schemas import TeamSchema, UserSchema
from app.auth import require_roles
from app.db import db
from core.people import Role, Team, TeamMember, User, create_team, create_user

blp = Blueprint("people", __name__, url_prefix="/api/v1", description="Users and teams.")
admins_only = require_roles(Role.ADMIN)


@blp.route("/users")
class Users(MethodView):
    @blp.response(200, UserSchema(many=True))
    @admins_only
    def get(self) -> Any:
        """All users."""
        return db().scalars(select(User).order_by(User.email)).all()

    @blp.arguments(UserSchema)
    @blp.response(201, UserSchema)
    @admins_only
    def post(self, body: dict[str, Any]) -> Any:
        """Create a user (409 if the email is taken)."""
        user = create_user(session=db(), email=body["email"], name=body["name"],
                           role=Role(body["role"]), password=body.get("password"),
                           team_keys=tuple(body["teams"]))
        db().commit()
        return user


@blp.route("/teams")
class Teams(MethodView):
    @blp.response(200, TeamSchema(many=True))
    @admins_only
    def get(self) -> Any:
        """All teams with their members."""
        return db().scalars(
            select(Team).options(selectinload(Team.members).selectinload(TeamMember.user))
            .order_by(Team.key)
        ).all()

    @blp.arguments(TeamSchema)
    @blp.response(201, TeamSchema)
    @admins_only
    def post(self, body: dict[str, Any]) -> Any:
        """Create a team (409 if the key is taken)."""
        team = create_team(session=db(), key=body["key"], name=body["name"])
        db().commit()
        return team


class DirectoryUserSchema(Schema):
    """An active user as designers may see them: no credentials, no attributes."""

    email = fields.String()
    name = fields.String()
    role = fields.String()


class DirectoryTeamSchema(Schema):
    """A team and who leads it."""

    key = fields.String()
    name = fields.String()
    leads = fields.List(fields.String(), metadata={"description": "Emails of the team leads"})
    size = fields.Integer(metadata={"description": "Number of members"})


class DirectorySchema(Schema):
    """Who flows may name: users by email, teams by key, roles by name."""

    users = fields.List(fields.Nested(DirectoryUserSchema))
    teams = fields.List(fields.Nested(DirectoryTeamSchema))
    roles = fields.List(fields.String())


@blp.get("/directory")
@blp.response(200, DirectorySchema)
@require_roles(Role.DESIGNER)
def directory() -> Any:
    """Active users, teams and roles, for pickers in the flow designer (designers, admins)."""
    users = db().scalars(select(User).where(User.active.is_(True)).order_by(User.email)).all()
    teams = db().scalars(
        select(Team).options(selectinload(Team.members).selectinload(TeamMember.user))
        .order_by(Team.key)
    ).all()
    return {
        "users": users,
        "teams": [{"key": team.key, "name": team.name, "size": len(team.members),
                   "leads": sorted(m.user.email for m in team.members if m.lead)}
                  for team in teams],
        "roles": [role.value for role in Role],
    }
