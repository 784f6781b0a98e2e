"""`tapeview serve` and `tapeview server ...`: run the reference server and set it up.

The shell has the rights of whoever can open the database, so these commands act without a
token: that is how the first Admin's token comes to exist. Secrets (tokens, project keys) are
printed alone on stdout, so scripts can capture them; everything else goes to stderr.
Only argparse (and the settings' plain dataclass) is imported up front: the GUI's command
line must not need the server extra.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from app.server.settings import ServerSettings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEFAULT_PORT = 8470
KINDS = ("web", "mobile", "combined")
ORG_ROLES = ("admin", "member", "accountant", "guest")
PROJECT_ROLES = ("manager", "editor", "viewer", "none")


def add_server_commands(commands: argparse._SubParsersAction) -> None:
    """Add `serve` and `server` to the `tapeview` command's sub-commands."""
    serve = commands.add_parser(
        "serve", help="run the reference server (needs the 'server' extra)",
        description="Serve ingest and the read API over HTTP. The database is created or "
                    "upgraded on start; see `tapeview server init` for the first Admin.")
    _add_db(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on "
                       "(default 127.0.0.1; put a TLS proxy in front for the internet)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help=f"port (default {DEFAULT_PORT})")
    limits = serve.add_argument_group(
        "ingest rate limits", "Beyond these a tracker is answered 429 with Retry-After and "
        "sends the batch again later. All of a site's visitors share its project key.")
    defaults = ServerSettings()
    limits.add_argument("--key-rate", type=_positive(float), metavar="N",
                        default=defaults.rate_per_second,
                        help="requests a second per project key (default %(default)g)")
    limits.add_argument("--key-burst", type=_positive(int), metavar="N",
                        default=defaults.rate_burst,
                        help="requests a key may send at once (default %(default)d)")
    limits.add_argument("--visitor-rate", type=_positive(float), metavar="N",
                        default=defaults.visitor_rate_per_second,
                        help="requests a second per visitor (default %(default)g; a tab "
                             "sends one every 2 seconds or so)")
    limits.add_argument("--visitor-burst", type=_positive(int), metavar="N",
                        default=defaults.visitor_rate_burst,
                        help="requests a visitor may send at once (default %(default)d)")
    serve.set_defaults(server_handler=_serve)

    server = commands.add_parser(
        "server", help="set up the reference server: organization, projects, members, tokens")
    actions = server.add_subparsers(dest="server_command", metavar="ACTION", required=True)

    init = actions.add_parser("init", help="create an organization and its first Admin; "
                                           "prints the Admin's API token")
    _add_db(init)
    init.add_argument("--org", required=True, metavar="NAME", help="organization name")
    init.add_argument("--admin", required=True, metavar="EMAIL", help="the Admin's e-mail")
    init.add_argument("--plan", default=None, help="plan: free, team (default) or business")
    init.set_defaults(server_handler=_init)

    project = actions.add_parser("project", help="create or list projects")
    project_actions = project.add_subparsers(dest="project_command", metavar="ACTION",
                                             required=True)
    create = project_actions.add_parser("create", help="create a project; prints its key")
    _add_db(create)
    _add_org(create)
    create.add_argument("--name", required=True)
    create.add_argument("--kind", choices=KINDS, default="web")
    create.set_defaults(server_handler=_project_create)
    listing = project_actions.add_parser("list", help="list projects and their keys")
    _add_db(listing)
    _add_org(listing)
    listing.set_defaults(server_handler=_project_list)

    invite = actions.add_parser("invite", help="add a member; prints their API token")
    _add_db(invite)
    _add_org(invite)
    invite.add_argument("--email", required=True)
    invite.add_argument("--role", choices=ORG_ROLES, default="member",
                        help="organization role (default member)")
    invite.set_defaults(server_handler=_invite)

    token = actions.add_parser("token", help="issue another API token for a member")
    _add_db(token)
    _add_org(token)
    token.add_argument("--email", required=True)
    token.add_argument("--name", default="cli", help="a label for the token")
    token.set_defaults(server_handler=_token)

    access = actions.add_parser("access", help="set a member's role in one project")
    _add_db(access)
    _add_org(access)
    access.add_argument("--email", required=True)
    access.add_argument("--project", required=True, metavar="NAME_OR_ID")
    access.add_argument("--role", required=True, choices=PROJECT_ROLES)
    access.set_defaults(server_handler=_access)


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH_OR_URL",
                        help="SQLite file or SQLAlchemy URL, e.g. postgresql+psycopg://u@h/db "
                             "(default: $TAPEVIEW_SERVER_DB, else server.sqlite3 in the user "
                             "data directory)")


def _add_org(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--org", required=True, metavar="NAME_OR_ID", help="organization")


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """An argparse type for a finite number above 0 (a rate of 0 would refuse everything)."""
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"not a{' whole' if kind is int else ''} number: {text!r}") from None
        if not 0 < value < math.inf:
            raise argparse.ArgumentTypeError(f"must be a number above 0, not {text}")
        return value

    return parse


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from app.server.app import create_app
    except ImportError as exc:
        print(f"tapeview: the server needs its extra ({exc.name} is missing): "
              "pip install 'tapeview[server]'", file=sys.stderr)
        return 2
    from app.server.database import DatabaseOpenError, ServerDatabase

    try:
        db = ServerDatabase(args.db)
    except DatabaseOpenError as exc:
        print(f"tapeview: {exc}", file=sys.stderr)
        return 2
    print(f"Tapeview server on http://{args.host}:{args.port} (database {db.description}); "
          f"API documentation at /docs", file=sys.stderr)
    try:
        # No access log: it would keep every visitor's IP address.
        settings = ServerSettings(rate_per_second=args.key_rate, rate_burst=args.key_burst,
                                  visitor_rate_per_second=args.visitor_rate,
                                  visitor_rate_burst=args.visitor_burst)
        uvicorn.run(create_app(db, settings), host=args.host, port=args.port,
                    access_log=False)
    finally:
        db.close()
    return 0


@contextmanager
def _unit_of_work(args: argparse.Namespace) -> Iterator[Session]:
    from app.server.database import ServerDatabase

    db = ServerDatabase(args.db)
    try:
        with db.write() as session:
            yield session
    finally:
        db.close()


def _run(args: argparse.Namespace, work: Callable[[Session], str]) -> int:
    """Run `work` in one transaction; print its secret to stdout, or the error to stderr."""
    from app.server.database import DatabaseOpenError
    from app.server.errors import ServerError

    try:
        with _unit_of_work(args) as session:
            output = work(session)
    except DatabaseOpenError as exc:
        print(f"tapeview: {exc}", file=sys.stderr)
        return 2
    except ServerError as exc:
        print(f"tapeview: {exc}", file=sys.stderr)
        return 1
    print(output)
    return 0


def _init(args: argparse.Namespace) -> int:
    from app.server import accounts
    from app.server.roles import DEFAULT_PLAN

    def work(session: Session) -> str:
        organization, membership = accounts.create_organization(
            session, args.org, args.admin, args.plan or DEFAULT_PLAN)
        _, token = accounts.issue_token(session, membership, "init")
        print(f"Created organization {organization.name!r} (id {organization.id}, plan "
              f"{organization.plan}) with Admin {membership.account.email}. Their API token, "
              "shown this once:", file=sys.stderr)
        return token

    return _run(args, work)


def _project_create(args: argparse.Namespace) -> int:
    from app.server import accounts

    def work(session: Session) -> str:
        organization = accounts.find_organization(session, args.org)
        project = accounts.create_project(session, organization, args.name, args.kind)
        print(f"Created {project.kind} project {project.name!r} (id {project.id}) in "
              f"{organization.name}. Its project key, for the tracking code:", file=sys.stderr)
        return project.key

    return _run(args, work)


def _project_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.server import accounts
    from app.server.models import Project

    def work(session: Session) -> str:
        organization = accounts.find_organization(session, args.org)
        projects = session.scalars(select(Project).where(
            Project.organization_id == organization.id).order_by(Project.name))
        lines = [f"{'ID':>5}  {'KIND':8}  {'KEY':36}  NAME"]
        lines += [f"{p.id:>5}  {p.kind:8}  {p.key:36}  {p.name}" for p in projects]
        return "\n".join(lines)

    return _run(args, work)


def _invite(args: argparse.Namespace) -> int:
    from app.server import accounts
    from app.server.roles import OrgRole

    def work(session: Session) -> str:
        organization = accounts.find_organization(session, args.org)
        membership = accounts.add_member(session, organization, args.email,
                                         OrgRole(args.role))
        _, token = accounts.issue_token(session, membership, "invitation")
        print(f"Added {membership.account.email} to {organization.name} as {args.role}. "
              "Their API token, shown this once:", file=sys.stderr)
        return token

    return _run(args, work)


def _token(args: argparse.Namespace) -> int:
    from app.server import accounts

    def work(session: Session) -> str:
        organization = accounts.find_organization(session, args.org)
        membership = accounts.find_membership(session, organization, args.email)
        _, token = accounts.issue_token(session, membership, args.name)
        print(f"New API token for {membership.account.email} in {organization.name}, shown "
              "this once:", file=sys.stderr)
        return token

    return _run(args, work)


def _access(args: argparse.Namespace) -> int:
    from app.server import accounts
    from app.server.roles import ProjectRole

    def work(session: Session) -> str:
        organization = accounts.find_organization(session, args.org)
        membership = accounts.find_membership(session, organization, args.email)
        project = accounts.find_project(session, organization, args.project)
        accounts.set_project_role(session, membership, project, ProjectRole(args.role))
        return f"{membership.account.email} is now {args.role} in {project.name}"

    return _run(args, work)
