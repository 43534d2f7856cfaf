"""The OpenAPI document and reference page (issue 6 item 8), and a schemathesis run over it
(docs/security.md#errors): no 5xx and no response that violates the document, for anonymous and
signed-in
callers, with generated valid and invalid input."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest

from authkit.endpoints.registry import Endpoint, endpoint
from authkit.openapi import generate, open_api
from authkit.plugins.base import Plugin

from .support.clients import make_client
from .support.fixtures import sign_up

SCHEMA = "/api/auth/open-api/generate-schema"


class EchoPlugin(Plugin):
    """A plugin endpoint, to show plugin routes are documented under their own tag."""

    id = "echo"
    error_codes: ClassVar[dict[str, str]] = {"ECHO_FAILED": "Echo failed"}

    def endpoints(self) -> Sequence[Endpoint]:
        return [endpoint("echo_item", "/echo/:item", "GET", lambda ctx: {"item": "x"},
                         summary="Echo", plugin=self.id, error_codes=("ECHO_FAILED",))]


@pytest.fixture
def doc_auth(make_auth: Any) -> Any:
    return make_auth(plugins=[open_api(), EchoPlugin()], disabled_paths=["/sign-out"])


def test_document_served_and_shaped(doc_auth, kind):
    res = make_client(kind, doc_auth).get(SCHEMA)
    assert res.status == 200 and res.header("content-type") == "application/json"
    doc = res.json
    assert doc["openapi"].startswith("3.1")
    assert doc["servers"] == [{"url": "http://localhost:3000/api/auth"}]
    assert {"User", "Session"} <= set(doc["components"]["schemas"])
    assert doc["components"]["securitySchemes"]["apiKeyCookie"]["name"] == \
        "better-auth.session_token"


def test_every_routed_endpoint_is_documented(doc_auth):
    doc = generate(doc_auth)
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    for ep in doc_auth.registry:
        if ep.path is None or ep.plugin == "open-api" or ep.path == "/sign-out":
            continue
        path = "/".join(f"{{{s[1:]}}}" if s.startswith(":") else s for s in ep.path.split("/"))
        assert (ep.method, path) in documented, ep.name
    assert "/sign-out" not in doc["paths"]  # disabled paths are not advertised


def test_request_bodies_parameters_and_error_codes(doc_auth):
    doc = generate(doc_auth)
    sign_in = doc["paths"]["/sign-in/email"]["post"]
    body = sign_in["requestBody"]["content"]
    assert set(body) == {"application/json", "application/x-www-form-urlencoded"}
    assert body["application/json"]["schema"]["required"] == ["email", "password"]
    assert sign_in["x-error-codes"]["INVALID_EMAIL_OR_PASSWORD"] == "Invalid email or password"
    assert sign_in["operationId"] == "signInEmail"
    assert sign_in["responses"]["200"]["content"]["application/json"]["schema"][
        "properties"]["user"] == {"$ref": "#/components/schemas/User"}
    names = [p["name"] for p in doc["paths"]["/get-session"]["get"]["parameters"]]
    assert names == ["disableCookieCache", "disableRefresh"]
    echo = doc["paths"]["/echo/{item}"]["get"]
    assert echo["tags"] == ["Echo"] and echo["x-error-codes"] == {"ECHO_FAILED": "Echo failed"}
    assert echo["parameters"] == [{"name": "item", "in": "path", "required": True,
                                   "schema": {"type": "string"}}]
    assert {"name": "Echo", "description": "Endpoints of the echo plugin."} in doc["tags"]


def test_additional_fields_in_user_schema(make_auth):
    from authkit.storage import FieldSpec

    auth = make_auth(plugins=[open_api()], user={"additional_fields": [
        FieldSpec("nickname", "string"), FieldSpec("secretNote", "string", returned=False)]})
    user = generate(auth)["components"]["schemas"]["User"]
    assert user["properties"]["nickname"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert "secretNote" not in user["properties"]


def test_reference_page_is_self_contained(doc_auth, kind):
    res = make_client(kind, doc_auth).get("/api/auth/reference")
    assert res.status == 200 and res.header("content-type").startswith("text/html")
    assert "default-src 'none'" in res.header("content-security-policy")
    page = res.body.decode()
    assert "<script" not in page and "https://" not in page.replace(
        "http://localhost:3000", "")
    assert "/sign-in/email" in page and "INVALID_EMAIL_OR_PASSWORD" in page


def test_plugin_off_by_default_like_better_auth(auth, kind):
    client = make_client(kind, auth)
    assert client.get(SCHEMA).status == 404
    assert client.get("/api/auth/reference").status == 404


def test_reference_can_be_disabled_or_moved(make_auth, kind):
    auth = make_auth(plugins=[open_api(path="/docs")])
    client = make_client(kind, auth)
    assert client.get("/api/auth/docs").status == 200
    auth = make_auth(plugins=[open_api(disable_default_reference=True)])
    client = make_client(kind, auth)
    assert client.get("/api/auth/reference").status == 404
    assert client.get(SCHEMA).status == 200


def test_document_is_json_serialisable_without_base_url(make_auth):
    auth = make_auth(base_url=None, plugins=[open_api()])
    doc = generate(auth, "http://example.test")
    assert doc["servers"][0]["url"] == "http://example.test/api/auth"
    json.dumps(doc)


# -- schemathesis ------------------------------------------------------------------------------
# Bounded so the run stays well inside a couple of minutes on 2 cores.
MAX_EXAMPLES = 15


def _fuzz(app: Any, headers: dict[str, str] | None, modes: Sequence[Any]) -> list[str]:
    schemathesis = pytest.importorskip(
        "schemathesis", reason="schemathesis is not installed: pip install schemathesis")
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error, response_schema_conformance

    schema = schemathesis.openapi.from_wsgi(SCHEMA, app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        op = result.ok()
        for mode in modes:
            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck), derandomize=True)
            @given(case=op.as_strategy(generation_mode=mode, headers=headers))
            def run(case: Any) -> None:
                response = case.call()
                try:
                    case.validate_response(
                        response, checks=[not_a_server_error, response_schema_conformance])
                except Exception as exc:
                    # run() is called right below, inside this iteration: the names are current.
                    failures.append(f"{op.label} [{mode.value}]: {str(exc)[:400]}")  # noqa: B023
                    raise

            try:
                run()
            except Exception:  # noqa: BLE001, S110 - recorded in failures; one report for all
                pass
    return failures


def test_schemathesis_finds_no_5xx_and_no_schema_violation(make_auth):  # docs/security.md#errors
    schemathesis = pytest.importorskip(
        "schemathesis", reason="schemathesis is not installed: pip install schemathesis")
    from schemathesis.generation import GenerationMode

    auth = make_auth(plugins=[open_api()])
    anonymous = _fuzz(auth.wsgi_app(), None, [GenerationMode.POSITIVE,
                                              GenerationMode.NEGATIVE])
    client = make_client("wsgi", auth)
    sign_up(client)
    signed_in = _fuzz(auth.wsgi_app(), {"Cookie": client.cookie_header(),
                                        "Origin": "http://localhost:3000"},
                      [GenerationMode.POSITIVE])
    assert schemathesis is not None
    assert anonymous + signed_in == []
