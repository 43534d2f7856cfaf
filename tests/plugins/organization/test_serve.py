"""``AUTHKIT_PLUGINS=organization``: knobs, the access-control JSON, reserved slugs, and the
invitation mail (outbox line and real SMTP)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from authkit import AuthKit
from authkit.errors import ConfigError
from authkit.mail.smtp import SMTPSender
from authkit.plugins.organization import OrganizationPlugin
from authkit.plugins.organization.serve import KNOBS, configure
from authkit.plugins.serve_registry import ServeContext
from authkit.settings import check_names

from ...mail.smtp_server import smtp_server
from ...support.clients import make_client


def _plugin(env: dict[str, str], **ctx: Any) -> OrganizationPlugin:
    result = configure(ServeContext(env=env, base_url="http://auth.test", **ctx))
    [plugin] = result.plugins
    assert isinstance(plugin, OrganizationPlugin)
    return plugin


def test_defaults_are_better_auths() -> None:
    opts = _plugin({}).options
    assert (opts.membership_limit, opts.invitation_limit, opts.invitation_expires_in) == (
        100, 100, 172800)
    assert opts.organization_limit is None and not opts.disable_organization_deletion
    assert opts.teams.enabled and opts.teams.default_team and opts.teams.maximum_teams is None
    assert opts.dynamic_access_control.enabled and opts.ac is not None
    assert set(opts.ac.statements) == {"organization", "member", "invitation", "team", "ac"}


def test_knobs_are_read() -> None:
    opts = _plugin({"AUTHKIT_ORG_MEMBERSHIP_LIMIT": "3", "AUTHKIT_ORG_MAX_TEAMS": "2",
                    "AUTHKIT_ORG_DEFAULT_TEAM": "off", "AUTHKIT_ORG_DISABLE_DELETION": "on",
                    "AUTHKIT_ORG_INVITATION_EXPIRES_IN": "60",
                    "AUTHKIT_ORG_MAX_ROLES": "4"}).options
    assert opts.membership_limit == 3 and opts.teams.maximum_teams == 2
    assert not opts.teams.default_team and opts.disable_organization_deletion
    assert opts.invitation_expires_in == 60
    assert opts.dynamic_access_control.maximum_roles_per_organization == 4
    check_names({k: "1" for k in KNOBS})  # every knob is a known AUTHKIT_* name


@pytest.mark.parametrize("env", [
    {"AUTHKIT_ORG_ALLOW_CREATE": "some"},
    {"AUTHKIT_ORG_MEMBERSHIP_LIMIT": "many"},
    {"AUTHKIT_ORG_ACCESS_CONTROL": "not json"},
    {"AUTHKIT_ORG_ACCESS_CONTROL": '{"roles": {"member": {"project": ["read"]}}}'},
    {"AUTHKIT_ORG_ACCESS_CONTROL": '{"statements": {"project": "read"}}'},
])
def test_bad_values_are_refused_at_start(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        _plugin(env)


def test_access_control_json_is_merged_over_the_defaults() -> None:
    plugin = _plugin({"AUTHKIT_ORG_ACCESS_CONTROL": json.dumps({
        "statements": {"project": ["read", "write"]},
        "roles": {"member": {"project": ["read"]}, "auditor": {"project": ["read"]}}})})
    roles = plugin.roles
    assert roles["member"].authorize({"project": ["read"], "ac": ["read"]}).success
    assert not roles["member"].authorize({"project": ["write"]}).success
    assert roles["owner"].authorize({"organization": ["delete"]}).success
    assert roles["auditor"].authorize({"project": ["read"]}).success


@pytest.fixture
def served(make_auth: Callable[..., AuthKit], tmp_path: Path) -> Callable[..., Any]:
    def make(env: dict[str, str], **ctx: Any) -> Any:
        auth = make_auth(plugins=[_plugin(env, outbox_path=str(tmp_path / "outbox.jsonl"),
                                          **ctx)])
        return auth, tmp_path / "outbox.jsonl"

    return make


def _signed_up(auth: AuthKit, name: str) -> Any:
    client = make_client("wsgi", auth)
    res = client.post("/api/auth/sign-up/email", json={
        "email": f"{name}@example.com", "password": "correct-horse-1", "name": name})
    assert res.status == 200
    return client


def test_reserved_slugs_are_refused_and_none_by_default(served: Callable[..., Any]) -> None:
    auth, _ = served({"AUTHKIT_ORG_RESERVED_SLUGS": "admin, API"})
    client = _signed_up(auth, "olivia")
    res = client.post("/api/auth/organization/create", json={"name": "X", "slug": "Api"})
    assert res.status == 400 and res.json == {
        "message": "This organization slug is reserved", "code": "ORGANIZATION_SLUG_RESERVED"}
    made = client.post("/api/auth/organization/create", json={"name": "X", "slug": "ok"}).json
    res = client.post("/api/auth/organization/update", json={"data": {"slug": "admin"}})
    assert res.status == 400 and res.json["code"] == "ORGANIZATION_SLUG_RESERVED"
    assert made["slug"] == "ok"
    auth2, _ = served({})
    client2 = _signed_up(auth2, "olivia")
    assert client2.post("/api/auth/organization/create",
                        json={"name": "X", "slug": "admin"}).status == 200


def test_invitation_mail_goes_to_the_outbox_and_smtp(served: Callable[..., Any]) -> None:
    with smtp_server() as (inbox, port):
        sender = SMTPSender("127.0.0.1", port, from_address="auth@example.com",
                              security="none")
        auth, outbox = served({}, mail_sender=sender, app_name="Acme App")
        client = _signed_up(auth, "olivia")
        client.post("/api/auth/organization/create", json={"name": "Acme", "slug": "acme"})
        inv = client.post("/api/auth/organization/invite-member",
                          json={"email": "Ivy@Example.com", "role": "member"}).json
        [received] = inbox.wait(1)
    line = json.loads(outbox.read_text().splitlines()[-1])
    url = f"http://auth.test/accept-invitation/{inv['id']}"
    assert line == {"type": "invitation", "email": "ivy@example.com", "url": url,
                    "token": inv["id"], "invitationId": inv["id"],
                    "organizationId": inv["organizationId"], "organizationName": "Acme",
                    "organizationSlug": "acme", "role": "member",
                    "inviterEmail": "olivia@example.com", "teamId": None}
    assert received.rcpt_tos == ["ivy@example.com"] and url in received.text
    assert "Acme" in received.message["Subject"]
