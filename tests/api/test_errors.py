"""The one error renderer (app/api/errors.py): every refusal says what to fix, in its
message as well as its details, since many clients (the CLI, a log line, a curl in a
terminal) show the message alone."""

import httpx


async def test_an_invalid_request_names_the_field_in_its_message(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/runs", params={"status": "bogus", "limit": 0})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"].startswith("The request is not valid: query.status: Input should be")
    assert "'failed'" in error["message"]
    assert error["message"].endswith("(and 1 more)")
    assert [detail["loc"] for detail in error["details"]] == [
        ["query", "status"],
        ["query", "limit"],
    ]


async def test_an_event_of_the_wrong_type_names_the_field_in_its_message(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/events", json={"type": 5})
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert message == "The request is not valid: body.type: Input should be a valid string"


async def test_a_json_body_sent_as_a_form_says_to_send_it_as_json(
    client: httpx.AsyncClient,
) -> None:
    # What `curl -X POST ... -d '{...}'` sends: JSON under a form's content type.
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = b'{"conditions": [{"field": "total", "operator": "exists"}], "payload": {}}'
    response = await client.post("/api/rules/test", content=body, headers=form)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"].startswith(
        "The body was not read as JSON: its Content-Type is 'application/x-www-form-urlencoded'"
    )
    assert "-H 'Content-Type: application/json'" in error["message"]
    assert error["details"] == [
        {"loc": ["header", "content-type"], "msg": "must be application/json for this body"}
    ]
    as_json = await client.post(
        "/api/rules/test", content=body, headers={"Content-Type": "application/json"}
    )
    assert as_json.status_code == 200, as_json.text


async def test_a_json_body_sent_without_a_content_type_is_read_as_json_on_every_route(
    client: httpx.AsyncClient,
) -> None:
    """What a client that names no type sends (httpx's ``content=``, curl's
    ``--data-binary`` with ``-H 'Content-Type:'``): events and workflow documents were
    read as JSON, the other routes' bodies refused as "not a JSON object"."""
    rule = b'{"conditions": [{"field": "total", "operator": "exists"}], "payload": {}}'
    workflow = (
        b'{"workflow_id": "w", "name": "W", "trigger": {"type": "t"},'
        b' "actions": [{"type": "log", "data": {"message": "hi"}}]}'
    )
    sent = {
        "/api/rules/test": (rule, 200),
        "/api/runs/bulk": (b'{"action": "cancel", "filter": {}, "dry_run": true}', 200),
        "/api/events": (b'{"type": "signup"}', 202),
        "/api/workflows": (workflow, 201),
    }
    for path, (body, status) in sent.items():
        response = await client.post(path, content=body)
        assert "content-type" not in response.request.headers
        assert response.status_code == status, (path, response.text)
    malformed = await client.post("/api/rules/test", content=b'{"conditions": [}')
    assert malformed.json()["error"]["details"] == [
        {"loc": ["body"], "msg": "line 1 column 17: Expecting value"}
    ]
    # Signing in needs no key: a body another site's page may post unasked is not read.
    signing_in = await client.post("/api/session", content=b'{"api_key": "atm_x"}')
    assert signing_in.status_code == 422
    assert signing_in.json()["error"]["message"].startswith(
        "The body was not read as JSON: it has no Content-Type. Send it with Content-Type: "
        "application/json"
    )


async def test_a_field_that_is_not_an_object_is_told_so_in_the_callers_words(
    client: httpx.AsyncClient,
) -> None:
    # "Input should be a valid dictionary": Python's word, and not what was sent instead.
    single = await client.post("/api/events", json={"type": "signup", "user": "u1"})
    assert single.json()["error"]["details"] == [
        {"loc": ["body", "user"], "msg": "should be a JSON object, not text"}
    ]
    batch = await client.post("/api/events/batch", json={"events": [{"type": "a", "data": [1]}]})
    assert batch.json()["error"]["details"] == [
        {"loc": ["body", "events", 0, "data"], "msg": "should be a JSON object, not a list"}
    ]


async def test_a_body_that_is_not_an_object_is_told_so_in_the_callers_words(
    client: httpx.AsyncClient,
) -> None:
    listed = await client.post("/api/events", json=[{"type": "signup"}])
    assert listed.status_code == 422
    assert listed.json()["error"]["details"] == [
        {"loc": ["body"], "msg": "should be a JSON object, not a list"}
    ]
    text = await client.post("/api/runs/bulk", json="cancel")
    assert text.json()["error"]["details"][0]["msg"] == "should be a JSON object, not text"
    empty = await client.post("/api/events", headers={"Content-Type": "application/json"})
    assert empty.json()["error"]["message"] == (
        "The request is not valid: body: empty: send a JSON object"
    )


async def test_a_refusal_quotes_only_the_start_of_a_long_name_the_caller_sent(
    client: httpx.AsyncClient,
) -> None:
    # A request may carry megabytes: each place an error names a key or a header would
    # send it back whole (an unknown event field's name four times over).
    name = "k" * 20_000
    event = await client.post("/api/events", json={"type": "signup", name: 1})
    assert event.status_code == 422
    assert len(event.content) < 2_000
    error = event.json()["error"]
    assert error["message"].startswith(f"The request is not valid: body: {'k' * 100}… (20000 ")
    assert "is not an event field: put an event's own fields under data" in error["message"]
    bulk = await client.post("/api/runs/bulk", json={"action": "retry", "filter": {}, name: 1})
    assert bulk.json()["error"]["details"] == [
        {
            "loc": ["body", f"{'k' * 100}… (20000 characters)"],
            "msg": "Extra inputs are not permitted",
        }
    ]
    typed = {"Content-Type": "text/plain; x=" + "x" * 5_000}
    body = b'{"conditions": [], "payload": {}}'
    header = await client.post("/api/rules/test", content=body, headers=typed)
    assert header.status_code == 422
    assert len(header.content) < 2_000
    assert "… (5014 characters)'. Send it with Content-Type: application/json" in header.text
