"""`/export/<kind>.csv`: the rows checked against the test's own commands, streamed page by
page, for the roles allowed, with each personal column opened only for those who may read it;
on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient

from api import cli
from api.app import create_app
from api.auth import Role, issue_token
from api.export.kinds import KINDS
from application.app import CareLedger
from application.settings import Settings
from projections.catalog import projections
from projections.engine.keyset import keyset_scan
from projections.engine.store import ViewStore
from projections.views.personal_data_reads import PersonalDataReadsProjection, reads_of_customer
from tests.api.export_script import Script
from tests.projections.catch_up import Project
from tests.support import meta

EMPTY_COMPLAINT = dict.fromkeys(KINDS["complaints"].header, "")
FRONT = "customer_service"


@pytest.fixture
def script(app: CareLedger, project: Project) -> Script:
    done = Script(app).run()
    project(*projections())
    return done


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The service without its lifespan: nothing projects or sweeps behind the test's back
    (the script projected once, above)."""
    service = create_app(settings)
    try:
        yield TestClient(service)
    finally:
        service.state.services.views.close()
        service.state.services.ledger.close()


Get = Callable[..., Any]


@pytest.fixture
def get(client: TestClient, settings: Settings) -> Get:
    def fetch(
        kind: str,
        role: Role = Role.ANALYST,
        params: dict[str, str] | None = None,
        subject: str = "u-1",
        department: str | None = None,
    ) -> Any:
        token = issue_token(settings, role, subject, department=department)
        return client.get(
            f"/export/{kind}.csv", params=params, headers={"Authorization": f"Bearer {token}"}
        )

    return fetch


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_complaints_are_the_rows_the_commands_made(script: Script, get: Get) -> None:
    answer = get("complaints", params=script.window())
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["cache-control"] == "no-store"
    assert "attachment" in answer.headers["content-disposition"]
    expected = [
        {**EMPTY_COMPLAINT, **row, "content": "[sealed]", "content_access": "sealed:role"}
        for row in script.complaints
    ]
    # the window's three, in the order they were received; the one before it and the one at
    # its end left out
    assert rows(answer.text) == expected


def test_orders_and_surveys_are_the_rows_the_commands_made(script: Script, get: Get) -> None:
    orders = get("orders", params=script.window())
    assert orders.status_code == 200, orders.text
    assert rows(orders.text) == [
        {**row, "address": "[sealed]", "address_access": "sealed:role"}
        for row in script.order_rows()
    ]
    surveys = get("surveys", params=script.window())
    assert rows(surveys.text) == [
        {**script.survey_row(), "comment": "[sealed]", "comment_access": "sealed:role"}
    ]


def test_personal_columns_open_only_for_who_may_read_them(script: Script, get: Get) -> None:
    a, b, c = (row["complaint_id"] for row in script.complaints)

    def contents(answer: Any) -> dict[str, tuple[str, str]]:
        assert answer.status_code == 200, answer.text
        return {r["complaint_id"]: (r["content"], r["content_access"]) for r in rows(answer.text)}

    sealed = ("[sealed]", "sealed:not_handling")
    # a supervisor of technical reads the complaint handed there (closed 31 minutes in: within
    # the grace period), not those still queued in customer service
    technical = get("complaints", Role.SUPERVISOR, script.window(), department="technical")
    assert contents(technical) == {
        a: (script.contents[a], "opened:department"),
        b: sealed,
        c: sealed,
    }
    # the agent it was assigned to, as a supervisor of another desk: by assignment
    assigned = get("complaints", Role.SUPERVISOR, script.window(), subject="agent-9")
    assert contents(assigned)[a] == (script.contents[a], "opened:assigned")
    # customer service's supervisor reads the two queued there
    front = get("complaints", Role.SUPERVISOR, script.window(), department=FRONT)
    assert contents(front) == {
        a: sealed,
        b: (script.contents[b], "opened:department"),
        c: (script.contents[c], "opened:department"),
    }
    # every order is queued in customer service: its supervisor reads both addresses (the
    # delivered one within the grace period, as text a spreadsheet will not evaluate); the
    # kitchen's assignee reads the order assigned to them, not the other
    one, two = (str(script.order), str(script.delivered))
    addresses = {
        r["order_id"]: (r["address"], r["address_access"])
        for r in rows(get("orders", Role.SUPERVISOR, script.window(), department=FRONT).text)
    }
    assert addresses == {
        one: ("1 Road", "opened:department"),
        two: ("'=2 Lane", "opened:department"),
    }
    chef = rows(get("orders", Role.SUPERVISOR, script.window(), subject="chef-3").text)
    assert [(r["address"], r["address_access"]) for r in chef] == [
        ("[sealed]", "sealed:not_handling"),
        ("'=2 Lane", "opened:assigned"),
    ]
    # a compliance officer without a privacy case reads neither
    officer = get("complaints", Role.COMPLIANCE_OFFICER, script.window())
    assert set(contents(officer).values()) == {("[sealed]", "sealed:no_privacy_case")}
    (survey,) = rows(get("surveys", Role.COMPLIANCE_OFFICER, script.window()).text)
    assert (survey["comment"], survey["comment_access"]) == ("[sealed]", "sealed:no_privacy_case")
    # the survey's comment opens as the complaint it asks about does, shown as text a
    # spreadsheet will not evaluate
    (survey,) = rows(get("surveys", Role.SUPERVISOR, script.window(), department="technical").text)
    assert (survey["comment"], survey["comment_access"]) == ("'=1+1 cold", "opened:department")


@pytest.mark.parametrize("role", [Role.AGENT, Role.CUSTOMER, Role.INCIDENT_COMMANDER])
def test_roles_not_allowed_are_refused(script: Script, get: Get, role: Role) -> None:
    for kind in KINDS:
        answer = get(kind, role, script.window())
        assert answer.status_code == 403, answer.text
        assert answer.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_bad_requests_are_typed_refusals(script: Script, get: Get, client: TestClient) -> None:
    def code(answer: Any) -> tuple[int, str]:
        return answer.status_code, answer.json()["errors"][0]["extensions"]["code"]

    window = script.window()
    backwards = {"from": window["to"], "to": window["from"]}
    assert code(get("complaints", params=backwards)) == (400, "VALIDATION_FAILED")
    assert code(get("complaints", params={"to": window["to"]})) == (400, "VALIDATION_FAILED")
    assert code(get("complaints", params={**window, "from": "soon"})) == (400, "VALIDATION_FAILED")
    assert code(get("incidents", params=window)) == (400, "UNKNOWN_EXPORT")
    anonymous = client.get("/export/complaints.csv", params=window)
    assert code(anonymous) == (401, "UNAUTHENTICATED")


# each filter a column of the rows the script expects: the complaint's labels, its assignee
COMPLAINT_FILTERS = [
    {"channel": "app"},
    {"category": "logistics"},
    {"department": "technical", "agent": "agent-9"},
    {"channel": "phone", "category": "logistics"},
    {"department": "technical", "channel": "phone"},  # no complaint has both
]
COLUMN = {"department": "department", "agent": "assignee", "channel": "channel"}


@pytest.mark.parametrize("only", COMPLAINT_FILTERS, ids=lambda f: "+".join(f.values()))
def test_filtered_complaints_are_those_with_every_value(
    script: Script, get: Get, only: dict[str, str]
) -> None:
    # when an analyst exports the window with filters, AND-ed
    answer = get("complaints", params={**script.window(), **only})
    assert answer.status_code == 200, answer.text
    # then the rows are those of the script's complaints with every value, in the same order
    kept = [
        row
        for row in script.complaints
        if all(row.get(COLUMN.get(name, name)) == value for name, value in only.items())
    ]
    assert rows(answer.text) == [
        {**EMPTY_COMPLAINT, **row, "content": "[sealed]", "content_access": "sealed:role"}
        for row in kept
    ]


def test_filtered_orders_by_region_and_channel(script: Script, get: Get) -> None:
    # both orders were placed in chaoyang through the app: all or nothing of them is kept
    for only, kept in (
        ({"region": "chaoyang"}, 2),
        ({"region": "chaoyang", "channel": "app"}, 2),
        ({"region": "haidian"}, 0),
        ({"region": "chaoyang", "channel": "phone"}, 0),
    ):
        answer = get("orders", params={**script.window(), **only})
        assert answer.status_code == 200, answer.text
        expected = [
            {**row, "address": "[sealed]", "address_access": "sealed:role"}
            for row in script.order_rows()
            if all(row[name] == value for name, value in only.items())
        ]
        assert rows(answer.text) == expected and len(expected) == kept


def test_bad_filters_are_refused_before_any_row(script: Script, get: Get) -> None:
    window = script.window()
    for kind, params, field, message in (
        ("complaints", {"department": "marketing"}, "department", "'marketing' is not one of"),
        ("complaints", {"channel": "pigeon"}, "channel", "'pigeon' is not one of"),
        ("complaints", {"category": "weather"}, "category", "'weather' is not one of"),
        ("complaints", {"agent": " "}, "agent", "must not be blank"),
        ("complaints", {"region": "chaoyang"}, "region", "complaints take no such filter"),
        ("surveys", {"channel": "sms"}, "channel", "surveys take no such filter; they take: none"),
        ("orders", {"department": "quality"}, "department", "they take: channel, region"),
    ):
        answer = get(kind, params={**window, **params})
        assert answer.status_code == 400, answer.text
        (error,) = answer.json()["errors"]
        assert error["extensions"]["code"] == "VALIDATION_FAILED"
        assert error["message"].startswith(f"{field}: ") and message in error["message"]
    # and a filter given twice is refused, not read as either value
    twice = get("complaints", params=[*window.items(), ("channel", "app"), ("channel", "web")])
    assert twice.status_code == 400 and "more than once" in twice.text


def test_the_rows_stream_a_page_at_a_time(
    script: Script, client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pages of one row: each page read, then sent, before the next is read
    events: list[str] = []

    def logged_scan(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for page in keyset_scan(*args, **{**kwargs, "batch": 1}):
            events.append(f"read {page[0][0]}")
            yield page

    monkeypatch.setattr("api.export.csv_stream.keyset_scan", logged_scan)
    bodies = asgi_get(client, settings, "/export/complaints.csv", script.window(), events)
    ids = [row["complaint_id"] for row in script.complaints]
    assert events == [
        "sent header",
        *(step for complaint in ids for step in (f"read {complaint}", f"sent {complaint}")),
        "sent end",
    ]
    assert rows(b"".join(bodies).decode())[0]["complaint_id"] == ids[0]


def asgi_get(
    client: TestClient, settings: Settings, path: str, params: dict[str, str], events: list[str]
) -> list[bytes]:
    """GETs `path` from the ASGI app itself, noting each body message as it is sent (the test
    client would hand back the whole body at once)."""
    token = issue_token(settings, Role.ANALYST, "u-1").encode()
    query = "&".join(f"{k}={v}" for k, v in params.items()).replace("+", "%2B").encode()
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"authorization", b"Bearer " + token), (b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    bodies: list[bytes] = []

    async def receive() -> dict[str, Any]:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200
        if message["type"] != "http.response.body":
            return
        body = message.get("body", b"")
        bodies.append(body)
        if not body:
            events.append("sent end")
        elif body.startswith(b"complaint_id,"):
            events.append("sent header")
        else:
            events.append(f"sent {body.decode().split(',')[0]}")

    async def call() -> None:
        await client.app(scope, receive, send)

    anyio.run(call)
    return bodies


def test_the_command_line_writes_the_same_rows_without_personal_columns(
    script: Script, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "complaints.csv"
    window = script.window()
    argv = ["export", "complaints", "--from", window["from"], "--to", window["to"]]
    args = cli.build_parser().parse_args([*argv, "--out", str(out)])
    assert args.run(settings, args) == 0
    assert rows(out.read_text(encoding="utf-8")) == [
        {**EMPTY_COMPLAINT, **row} for row in script.complaints
    ]
    assert "3 complaints written" in capsys.readouterr().out
    # a window ending before it starts changes nothing and says why
    backwards = cli.build_parser().parse_args(
        ["export", "orders", "--from", window["to"], "--to", window["from"], "--out", str(out)]
    )
    assert backwards.run(settings, backwards) == 2
    assert "`to` must be after `from`" in capsys.readouterr().err
    # and with filters, the script's complaint by phone alone; a bad one changes nothing
    filtered = cli.build_parser().parse_args(
        [*argv, "--out", str(out), "--channel", "phone", "--category", "logistics"]
    )
    assert filtered.run(settings, filtered) == 0
    assert [r["complaint_id"] for r in rows(out.read_text(encoding="utf-8"))] == [
        row["complaint_id"] for row in script.complaints if row["channel"] == "phone"
    ]
    written = out.read_text(encoding="utf-8")
    bad = cli.build_parser().parse_args([*argv, "--out", str(out), "--department", "marketing"])
    assert bad.run(settings, bad) == 2
    assert "department: 'marketing' is not one of" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == written


def test_before_its_view_is_installed_the_export_is_unavailable(get: Get) -> None:
    # nothing projected yet: a coded 503 before any byte of CSV
    answer = get("complaints", params={"from": "2026-12-01", "to": "2026-12-02"})
    assert answer.status_code == 503
    assert answer.json()["errors"][0]["extensions"]["code"] == "VIEW_NOT_READY"


def test_an_erased_customers_text_reads_erased(script: Script, app: CareLedger, get: Get) -> None:
    # the customer is erased after the rows were written: the rows stay, the text is gone
    app.erase_customer(meta(script.at(59)), script.customer)
    front = get("complaints", Role.SUPERVISOR, script.window(), department=FRONT)
    opened = {r["complaint_id"]: r["content"] for r in rows(front.text)}
    assert set(opened.values()) == {"[sealed]", "[erased]"}
    assert opened[script.complaints[1]["complaint_id"]] == "[erased]"


def test_what_an_export_opens_is_on_the_record_one_record_a_page(
    script: Script, get: Get, project: Project, views: ViewStore
) -> None:
    # a supervisor of customer service exports the complaints: two open for them
    answer = get("complaints", Role.SUPERVISOR, script.window(), subject="sup-1", department=FRONT)
    assert answer.status_code == 200
    project(PersonalDataReadsProjection())
    reads, more = reads_of_customer(views, str(script.customer))
    assert not more
    assert [(r.actor_id, r.entity_type, r.fields, r.basis, r.operation) for r in reads] == [
        ("sup-1", "Complaint", ("content",), "department", "export/complaints")
    ] * 2
    # in one record (the page's), and an analyst's export, opening nothing, records nothing
    assert len({r.position for r in reads}) == 1
    assert get("complaints", Role.ANALYST, script.window()).status_code == 200
    project(PersonalDataReadsProjection())
    assert reads_of_customer(views, str(script.customer))[0] == reads
