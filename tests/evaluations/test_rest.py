"""The evaluation routes over HTTP: 201 with a Location, problem answers naming the field, the
compare query, and who may record (``evaluations:record``: developers and admins) and read."""

from __future__ import annotations

import pytest

from tests.access.rest import running
from tests.api.conftest import problem
from tests.evaluations.conftest import dataset, model, suite

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
SUBJECT = "model:acme/support-bot@1.0.0"


def test_record_read_compare_and_refusals(location: str) -> None:
    with running(location) as server:
        c, admin = server.client, server.headers("admin")
        for collection, document in (("models", model("1.0.0")), ("models", model("1.1.0")),
                                     ("test-suites", suite("2.0.0")), ("datasets", dataset())):
            assert c.post(f"/v1/{collection}", json=document, headers=admin).status_code == 201
        body = {"subject": SUBJECT, "suite": "acme/support-evals@^2", "dataset": "acme/tickets",
                "metrics": {"accuracy": 0.8}, "details": {"cases": 3}}
        created = c.post("/v1/evaluations", json=body, headers=admin)
        assert created.status_code == 201, created.text
        recorded = created.json()
        assert created.headers["location"] == f"/v1/evaluations/{recorded['id']}"
        assert (recorded["suite"], recorded["dataset"], recorded["created_by"]) == (
            "test_suite:acme/support-evals@2.0.0", "dataset:acme/tickets@1.0.0", "admin1")
        assert c.get(created.headers["location"], headers=admin).json() == recorded
        later = c.post("/v1/evaluations", json={**body, "subject": "model:acme/support-bot@1.1.0",
                                                 "metrics": {"accuracy": 0.9}}, headers=admin).json()

        page = c.get("/v1/evaluations", params={"suite": "test_suite:acme/support-evals", "limit": 1},
                     headers=admin).json()
        assert [e["id"] for e in page["items"]] == [later["id"]]
        rest = c.get("/v1/evaluations", params={"suite": "", "subject": "", "cursor": page["next_cursor"]},
                     headers=admin).json()
        assert [e["id"] for e in rest["items"]] == [recorded["id"]]
        compared = c.get("/v1/evaluations/compare", headers=admin, params={
            "ref": [SUBJECT, "model:acme/support-bot@1.1.0"], "suite": "test_suite:acme/support-evals"}).json()
        assert [v["differences"] for v in compared["versions"]] == [{"accuracy": 0.0}, {"accuracy": 0.1}]

        problem(c.post("/v1/evaluations", json={**body, "metrics": {"accuracy": "high"}}, headers=admin), 422,
                "invalid_parameter", "metrics.accuracy")
        problem(c.post("/v1/evaluations", json={**body, "metrics": {}}, headers=admin), 422,
                "invalid_parameter", "metrics")
        problem(c.post("/v1/evaluations", json={**body, "suite": SUBJECT}, headers=admin), 422,
                "invalid_reference", "suite")
        problem(c.post("/v1/evaluations", json={**body, "extra": 1}, headers=admin), 422,
                "invalid_parameter", "extra")
        problem(c.post("/v1/evaluations", json={**body, "subject": "model:acme/none"}, headers=admin), 404,
                "asset_not_found", "subject")
        problem(c.get("/v1/evaluations/01J00000000000000000000000", headers=admin), 404, "evaluation_not_found",
                "id")
        problem(c.get("/v1/evaluations/compare", params={"suite": "acme/support-evals"}, headers=admin), 422,
                "invalid_reference", "ref")
        problem(c.get("/v1/evaluations/compare", params={"suite": "acme/support-evals", "ref": "model:a/" + "b" * 260},
                      headers=admin), 422, "invalid_reference", "ref")


def test_developers_and_admins_record_every_reader_reads(location: str) -> None:
    with running(location) as server:
        c = server.client
        assert c.post("/v1/models", json=model("1.0.0"), headers=server.headers("user")).status_code == 201
        assert c.post("/v1/test-suites", json=suite("2.0.0"), headers=server.headers("user")).status_code == 201
        body = {"subject": SUBJECT, "suite": "acme/support-evals", "metrics": {"accuracy": 0.8}}
        for who in ("user", "viewer"):  # a user may not record, even about what it registered
            problem(c.post("/v1/evaluations", json=body, headers=server.headers(who)), 403, "forbidden")
        problem(c.post("/v1/evaluations", json=body), 401, "unauthenticated")
        for who in ("developer", "admin"):
            assert c.post("/v1/evaluations", json=body, headers=server.headers(who)).status_code == 201
        for who in ("viewer", "user"):
            listed = c.get("/v1/evaluations", params={"subject": SUBJECT}, headers=server.headers(who))
            assert [e["created_by"] for e in listed.json()["items"]] == ["admin1", "developer1"]

        # A granted namespace is its grantees' (and admins') to record about.
        assert c.put("/v1/namespace-grants/acme/admin1", headers=server.headers("admin")).status_code == 200
        problem(c.post("/v1/evaluations", json=body, headers=server.headers("developer")), 403, "forbidden",
                "namespace")
