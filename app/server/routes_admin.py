"""Organizations, projects, members, roles, tokens and privacy settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.server import accounts
from app.server.auth import (
    Caller,
    CallerDep,
    Db,
    ProjectGrant,
    caller_may,
    org_access,
    project_access,
)
from app.server.errors import Conflict, NotFound
from app.server.models import Account, ApiToken, Membership, Organization, Project
from app.server.models import ProjectRole as ProjectRoleRow
from app.server.privacy_settings import policy_from_json, policy_to_json
from app.server.roles import (
    OrgAction,
    OrgRole,
    ProjectAction,
    ProjectRole,
    effective_project_role,
    plan_named,
)
from app.server.schemas import (
    AccountOut,
    ErrorOut,
    MemberInvite,
    MemberInvited,
    MemberOut,
    MemberUpdate,
    MeOut,
    OrganizationOut,
    PlanIn,
    PrivacyIn,
    ProjectCreate,
    ProjectMemberOut,
    ProjectOut,
    ProjectRoleIn,
    ProjectUpdate,
    TokenCreate,
    TokenCreated,
    TokenOut,
)

ERRORS = {401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut},
          409: {"model": ErrorOut}, 422: {"model": ErrorOut}}
router = APIRouter(prefix="/api/v1", responses=ERRORS)

InOrg = Annotated[Caller, Depends(org_access())]
OrgAdmin = Annotated[Caller, Depends(org_access(OrgAction.MANAGE_MEMBERS))]
OrgCreator = Annotated[Caller, Depends(org_access(OrgAction.CREATE_PROJECT))]
OrgBilling = Annotated[Caller, Depends(org_access(OrgAction.MANAGE_BILLING))]
TokenOwner = Annotated[Caller, Depends(caller_may(OrgAction.MANAGE_OWN_TOKENS))]
Viewer = Annotated[ProjectGrant, Depends(project_access(ProjectAction.VIEW))]
Manager = Annotated[ProjectGrant, Depends(project_access(ProjectAction.MANAGE))]


# -- who am I, organizations ---------------------------------------------------------------------

@router.get("/me", response_model=MeOut, tags=["organizations"],
            summary="The member this token acts for")
def get_me(who: CallerDep, db: Db) -> MeOut:
    with db.read() as session:
        return MeOut(account=AccountOut(id=who.account_id, email=who.email),
                     organization=_organization_out(session, who), member_id=who.membership_id,
                     token_id=who.token_id)


@router.get("/organizations", response_model=list[OrganizationOut], tags=["organizations"],
            summary="Organizations this token may see")
def get_organizations(who: CallerDep, db: Db) -> list[OrganizationOut]:
    """A token belongs to one membership, so this lists one organization; a person in
    several organizations holds a token for each."""
    with db.read() as session:
        return [_organization_out(session, who)]


@router.get("/organizations/{org_id}", response_model=OrganizationOut, tags=["organizations"])
def get_organization(who: InOrg, db: Db) -> OrganizationOut:
    with db.read() as session:
        return _organization_out(session, who)


@router.put("/organizations/{org_id}/plan", response_model=OrganizationOut,
            tags=["organizations"], summary="Change the plan (Admin, Accountant)")
def put_plan(who: OrgBilling, db: Db, body: PlanIn) -> OrganizationOut:
    with db.write() as session:
        accounts.set_plan(session, _organization(session, who), body.plan)
    with db.read() as session:
        return _organization_out(session, who)


# -- projects ------------------------------------------------------------------------------------

@router.get("/organizations/{org_id}/projects", response_model=list[ProjectOut],
            tags=["projects"], summary="Projects the caller may see")
def get_projects(who: InOrg, db: Db) -> list[ProjectOut]:
    with db.read() as session:
        assigned = {project_id: role for project_id, role in session.execute(
            select(ProjectRoleRow.project_id, ProjectRoleRow.role)
            .where(ProjectRoleRow.membership_id == who.membership_id))}
        out = []
        for project in session.scalars(select(Project).where(
                Project.organization_id == who.organization_id).order_by(Project.name)):
            role = effective_project_role(
                who.org_role, ProjectRole(assigned[project.id]) if project.id in assigned
                else None)
            if role is not ProjectRole.NONE:
                out.append(_project_out(project, role))
        return out


@router.post("/organizations/{org_id}/projects", response_model=ProjectOut, status_code=201,
             tags=["projects"], summary="Create a project (Admin, Member)")
def post_project(who: OrgCreator, db: Db, body: ProjectCreate) -> ProjectOut:
    """Refused with 403 `plan_limit` when the organization's plan has no project left."""
    with db.write() as session:
        creator = session.get(Membership, who.membership_id)
        project = accounts.create_project(session, _organization(session, who), body.name,
                                          body.kind, creator)
        return _project_out(project, ProjectRole.MANAGER)


@router.get("/projects/{project_id}", response_model=ProjectOut, tags=["projects"])
def get_project(grant: Viewer, db: Db) -> ProjectOut:
    with db.read() as session:
        return _project_out(_project(session, grant), grant.role)


@router.patch("/projects/{project_id}", response_model=ProjectOut, tags=["projects"],
              summary="Rename a project (Manager)")
def patch_project(grant: Manager, db: Db, body: ProjectUpdate) -> ProjectOut:
    with db.write() as session:
        project = _project(session, grant)
        if session.scalar(select(Project.id).where(
                Project.organization_id == project.organization_id, Project.name == body.name,
                Project.id != project.id)) is not None:
            raise Conflict(f"there is already a project named {body.name!r}")
        project.name = body.name
        return _project_out(project, grant.role)


@router.delete("/projects/{project_id}", status_code=204, tags=["projects"],
               summary="Delete a project and all its recordings (Manager)")
def delete_project(grant: Manager, db: Db) -> Response:
    with db.write() as session:
        session.delete(_project(session, grant))
    return Response(status_code=204)


@router.get("/projects/{project_id}/privacy", response_model=PrivacyIn, tags=["projects"],
            summary="The project's privacy policy")
def get_privacy(grant: Viewer, db: Db) -> PrivacyIn:
    with db.read() as session:
        return PrivacyIn.model_validate(_project(session, grant).privacy)


@router.put("/projects/{project_id}/privacy", response_model=PrivacyIn, tags=["projects"],
            summary="Change the privacy policy (Manager)")
def put_privacy(grant: Manager, db: Db, body: PrivacyIn) -> PrivacyIn:
    """Applies to what is ingested from now on; stored recordings stay as they were masked.
    A selector this server cannot match is refused with 422 naming the rule."""
    policy = policy_from_json(body.model_dump())
    with db.write() as session:
        _project(session, grant).privacy = policy_to_json(policy)
    return PrivacyIn.model_validate(policy_to_json(policy))


@router.get("/projects/{project_id}/members", response_model=list[ProjectMemberOut],
            tags=["projects"], summary="Members' roles in the project (Manager)")
def get_project_members(grant: Manager, db: Db) -> list[ProjectMemberOut]:
    with db.read() as session:
        project = _project(session, grant)
        return [_project_member_out(session, membership, project.id)
                for membership in _members(session, project.organization_id)]


@router.put("/projects/{project_id}/members/{member_id}", response_model=ProjectMemberOut,
            tags=["projects"], summary="Set a member's project role (Manager)")
def put_project_member(grant: Manager, db: Db, member_id: int,
                       body: ProjectRoleIn) -> ProjectMemberOut:
    with db.write() as session:
        project = _project(session, grant)
        membership = _membership(session, project.organization_id, member_id)
        accounts.set_project_role(session, membership, project, ProjectRole(body.role))
        session.flush()
        return _project_member_out(session, membership, project.id)


# -- members ---------------------------------------------------------------------------------------

@router.get("/organizations/{org_id}/members", response_model=list[MemberOut],
            tags=["members"], summary="Members (Admin)")
def get_members(who: OrgAdmin, db: Db) -> list[MemberOut]:
    with db.read() as session:
        return [_member_out(m) for m in _members(session, who.organization_id)]


@router.post("/organizations/{org_id}/members", response_model=MemberInvited, status_code=201,
             tags=["members"], summary="Invite a member (Admin)")
def post_member(who: OrgAdmin, db: Db, body: MemberInvite) -> MemberInvited:
    """Adds the address with the given role and returns an API token for them, shown once."""
    with db.write() as session:
        membership = accounts.add_member(session, _organization(session, who), body.email,
                                         OrgRole(body.role))
        _, plain = accounts.issue_token(session, membership, "invitation")
        return MemberInvited(member=_member_out(membership), token=plain)


@router.patch("/organizations/{org_id}/members/{member_id}", response_model=MemberOut,
              tags=["members"], summary="Change a member's organization role (Admin)")
def patch_member(who: OrgAdmin, db: Db, member_id: int, body: MemberUpdate) -> MemberOut:
    with db.write() as session:
        membership = _membership(session, who.organization_id, member_id)
        accounts.set_org_role(session, membership, OrgRole(body.role))
        return _member_out(membership)


@router.delete("/organizations/{org_id}/members/{member_id}", status_code=204,
               tags=["members"], summary="Remove a member and their tokens (Admin)")
def delete_member(who: OrgAdmin, db: Db, member_id: int) -> Response:
    with db.write() as session:
        accounts.remove_member(session, _membership(session, who.organization_id, member_id))
    return Response(status_code=204)


@router.post("/organizations/{org_id}/members/{member_id}/tokens", response_model=TokenCreated,
             status_code=201, tags=["members"], summary="Issue a token for a member (Admin)")
def post_member_token(who: OrgAdmin, db: Db, member_id: int,
                      body: TokenCreate) -> TokenCreated:
    with db.write() as session:
        membership = _membership(session, who.organization_id, member_id)
        token, plain = accounts.issue_token(session, membership, body.name)
        return TokenCreated(token=plain, info=_token_out(token))


# -- the caller's own tokens -------------------------------------------------------------------

@router.get("/tokens", response_model=list[TokenOut], tags=["tokens"],
            summary="The caller's tokens (never their secrets)")
def get_tokens(who: CallerDep, db: Db) -> list[TokenOut]:
    with db.read() as session:
        return [_token_out(t) for t in session.scalars(select(ApiToken).where(
            ApiToken.membership_id == who.membership_id).order_by(ApiToken.id))]


@router.post("/tokens", response_model=TokenCreated, status_code=201, tags=["tokens"],
             summary="Issue another token for the caller")
def post_token(who: TokenOwner, db: Db, body: TokenCreate) -> TokenCreated:
    with db.write() as session:
        membership = session.get(Membership, who.membership_id)
        assert membership is not None
        token, plain = accounts.issue_token(session, membership, body.name)
        return TokenCreated(token=plain, info=_token_out(token))


@router.delete("/tokens/{token_id}", status_code=204, tags=["tokens"],
               summary="Revoke one of the caller's tokens")
def delete_token(who: TokenOwner, db: Db, token_id: int) -> Response:
    with db.write() as session:
        token = session.get(ApiToken, token_id)
        if token is None or token.membership_id != who.membership_id:
            raise NotFound(f"you have no token {token_id}")
        session.delete(token)
    return Response(status_code=204)


# -- helpers ---------------------------------------------------------------------------------------

def _organization(session: Session, who: Caller) -> Organization:
    organization = session.get(Organization, who.organization_id)
    assert organization is not None  # a membership cannot outlive its organization
    return organization


def _organization_out(session: Session, who: Caller) -> OrganizationOut:
    organization = _organization(session, who)
    plan = plan_named(organization.plan)
    return OrganizationOut(id=organization.id, name=organization.name, plan=plan.name,
                           max_projects=plan.max_projects, retention_days=plan.retention_days,
                           role=who.org_role.value)


def _project(session: Session, grant: ProjectGrant) -> Project:
    project = session.get(Project, grant.project_id)
    if project is None:
        raise NotFound(f"no project {grant.project_id}")
    return project


def _project_out(project: Project, role: ProjectRole) -> ProjectOut:
    return ProjectOut(id=project.id, organization_id=project.organization_id, name=project.name,
                      kind=project.kind, role=role.value,  # type: ignore[arg-type]
                      key=project.key if role is ProjectRole.MANAGER else None,
                      change_seq=project.change_seq, created_ms=project.created_ms)


def _members(session: Session, organization_id: int) -> list[Membership]:
    return list(session.scalars(select(Membership).join(Account).where(
        Membership.organization_id == organization_id).order_by(func.lower(Account.email))))


def _membership(session: Session, organization_id: int, member_id: int) -> Membership:
    membership = session.get(Membership, member_id)
    if membership is None or membership.organization_id != organization_id:
        raise NotFound(f"no member {member_id}")
    return membership


def _member_out(membership: Membership) -> MemberOut:
    return MemberOut(id=membership.id, email=membership.account.email,
                     role=membership.role,  # type: ignore[arg-type]
                     created_ms=membership.created_ms)


def _project_member_out(session: Session, membership: Membership,
                        project_id: int) -> ProjectMemberOut:
    return ProjectMemberOut(member_id=membership.id, email=membership.account.email,
                            org_role=membership.role,  # type: ignore[arg-type]
                            role=accounts.project_role_of(session, membership,
                                                          project_id).value)


def _token_out(token: ApiToken) -> TokenOut:
    return TokenOut(id=token.id, name=token.name, hint=token.hint, created_ms=token.created_ms,
                    last_used_ms=token.last_used_ms)
