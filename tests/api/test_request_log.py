"""Structured logs against a real server app: request ids in and out, one JSON line per
request and per command, and nothing secret in any line."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tenfour.api.logs import configure_logging, default_format, formatter
from tests.nodes import Node, wait_for

from .conftest import PASSWORD, Server

HERE = {"lat": 37.7925893, "lon": -122.3958821}


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Every log line of the process, rendered as ``serve --log-format json`` does."""
    captured = io.StringIO()
    undo = configure_logging("json", stream=captured)
    try:
        yield captured
    finally:
        undo()


#: The test's own HTTP client logs its URLs (ids, tracking codes): not the server's lines.
CLIENT_LOGGERS = ("httpx", "httpx2", "httpcore")


def parsed(captured: io.StringIO) -> list[dict[str, Any]]:
    """The server's log lines (every line is JSON; the test client's are left out)."""
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    return [line for line in lines if line.get("logger", "").split(".")[0] not in CLIENT_LOGGERS]


def server_text(captured: io.StringIO) -> str:
    return "\n".join(json.dumps(line) for line in parsed(captured))


def test_an_incoming_request_id_is_echoed_and_logged(
    server: Server, log_lines: io.StringIO
) -> None:
    desk = server.account("claw", "dispatcher")
    answer = server.client.get(
        "/api/incidents/I-77",
        headers={"Authorization": f"Bearer {desk}", "X-Request-ID": "trace-42.a:b"},
    )
    assert answer.status_code == 404
    assert answer.headers["x-request-id"] == "trace-42.a:b"
    lines = [line for line in parsed(log_lines) if line.get("request_id") == "trace-42.a:b"]
    request = next(line for line in lines if line["event"] == "request")
    assert request["method"] == "GET"
    assert request["path"] == "/api/incidents/{incident}"  # the template, not the id
    assert request["status"] == 404
    assert request["duration_ms"] >= 0
    assert request["level"] == "info" and request["logger"] == "tenfour.requests"
    assert "I-77" not in server_text(log_lines)


@pytest.mark.parametrize("offered", ["two words", "x" * 129, "<script>", "-starts-with-dash", ""])
def test_a_malformed_request_id_is_replaced(server: Server, offered: str) -> None:
    answer = server.client.get("/api/health", headers={"X-Request-ID": offered})
    given = answer.headers["x-request-id"]
    assert given != offered and len(given) == 32 and int(given, 16) >= 0


def test_each_request_gets_its_own_id(server: Server) -> None:
    ids = {server.client.get("/api/health").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


def test_a_command_is_logged_with_its_outcome_under_the_request_id(
    server: Server, log_lines: io.StringIO
) -> None:
    desk = server.account("claw", "dispatcher")
    body = {"type": "BURGLARY", "priority": 2, "location": HERE, "text": "tip-text-never-logged"}
    answer = server.client.post(
        "/api/commands",
        json={"do": "incident.create", "with": body},
        headers={"Authorization": f"Bearer {desk}", "X-Request-ID": "cmd-1"},
    )
    assert answer.status_code == 200, answer.text
    seq = answer.json()["events"][-1]["seq"]
    refused = server.client.post(
        "/api/commands",
        json={"do": "incident.close", "with": {"incident": "I-404", "disposition": "X"}},
        headers={"Authorization": f"Bearer {desk}", "X-Request-ID": "cmd-2"},
    )
    assert refused.status_code == 404
    server.rt.service.settle()  # the policies' answers, logged by the reactor's thread
    # Run on the group commit's writer thread, and logged under the request's id.
    commands = [line for line in parsed(log_lines) if line["event"] == "command"]
    created = [line for line in commands if line["type"] == "incident.create"]
    assert [
        (line["outcome"], line["seq"], line["code"], line["request_id"]) for line in created
    ] == [("accepted", seq, None, "cmd-1")]
    closed = [line for line in commands if line["type"] == "incident.close"]
    assert [
        (line["outcome"], line["seq"], line["code"], line["request_id"]) for line in closed
    ] == [("rejected", None, "not_found", "cmd-2")]
    # A policy's command (the recommendation the new incident asked for) is no request's.
    policies = [line for line in commands if line["type"] == "recommendation.make"]
    assert policies and all("request_id" not in line for line in policies)
    assert all(line["logger"] == "tenfour.commands" for line in commands)
    assert "tip-text-never-logged" not in server_text(log_lines)


def test_no_password_or_token_reaches_the_log(server: Server, log_lines: io.StringIO) -> None:
    token = server.account("claw", "dispatcher")  # a login, with its password
    server.get(token, "/api/board")
    tip = server.client.post("/api/tips", json={"text": "a-tip-nobody-logs", "location": HERE})
    assert tip.status_code == 201
    server.client.get(f"/api/tips/{tip.json()['tracking_code']}")
    text = server_text(log_lines)
    assert '"path": "/api/login"' in text  # the requests were logged
    for secret in (PASSWORD, token, "a-tip-nobody-logs", tip.json()["tracking_code"]):
        assert secret not in text


def test_fields_named_like_secrets_are_blanked() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    line = formatter("json").format(record)
    assert json.loads(line)["event"] == "m"
    captured = io.StringIO()
    undo = configure_logging("json", stream=captured)
    try:
        from tenfour.api.logs import _log

        _log.info("login", password="hunter2", token="abc", user="claw")
    finally:
        undo()
    line = json.loads(captured.getvalue())
    assert line["password"] == line["token"] == "[redacted]" and line["user"] == "claw"


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_a_traceback_leaves_the_frames_locals_out(fmt: str) -> None:
    def check(password: str) -> None:
        raise ValueError("wrong")

    captured = io.StringIO()
    undo = configure_logging(fmt, stream=captured)
    try:
        try:
            check("hunter2" + "-in-a-frame")  # as the value, not the source, would show
        except ValueError:
            logging.getLogger("tenfour.test").exception("login failed")
    finally:
        undo()
    text = captured.getvalue()
    assert "login failed" in text and "ValueError" in text and "check" in text
    assert "hunter2-in-a-frame" not in text


def test_the_default_format_is_console_only_at_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert default_format(Tty()) == "console"
    assert default_format(io.StringIO()) == "json"
    with pytest.raises(ValueError, match="log format 'xml'"):
        formatter("xml")


def test_serve_writes_every_line_as_json_with_the_request_id(tmp_path: Path) -> None:
    token_file = tmp_path / "metrics.token"
    token_file.write_text("0123456789abcdef0123456789abcdef\n", encoding="utf-8")
    options = ["--log-format", "json", "--metrics-token-file", str(token_file)]
    node = Node(str(tmp_path / "tenfour.db"), options=options)
    try:
        node.wait_ready()
        answer = node.client.get("/api/commands", headers={"X-Request-ID": "from-nginx-1"})
        assert answer.headers["x-request-id"] == "from-nginx-1"
        scraped = node.client.get(
            "/metrics", headers={"Authorization": "Bearer 0123456789abcdef0123456789abcdef"}
        )
        assert scraped.status_code == 200
        lines = wait_for(
            lambda: [
                json.loads(line)
                for line in node.log().splitlines()
                if line.startswith("{") and "from-nginx-1" in line
            ],
            10,
            "the request's log line",
        )
        text = node.log()
    finally:
        node.stop()
    assert lines[0]["event"] == "request" and lines[0]["path"] == "/api/commands"
    assert lines[0]["status"] == 405
    # uvicorn's own lines come out as JSON too; the scrape token nowhere.
    log = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(line["logger"].startswith("uvicorn") for line in log)
    assert "0123456789abcdef0123456789abcdef" not in text


def test_new_request_ids_never_repeat_and_a_forked_process_draws_its_own() -> None:
    from tenfour.api.logs import request_id

    ids = [request_id({"headers": []}) for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(len(rid) == 32 and int(rid, 16) >= 0 for rid in ids)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        os.write(write, request_id({}).encode())
        os._exit(0)
    os.waitpid(child, 0)
    theirs = os.read(read, 64).decode()
    os.close(read)
    os.close(write)
    assert len(theirs) == 32 and theirs[:16] != ids[-1][:16]


def test_a_value_json_cannot_hold_is_written_as_its_repr() -> None:
    class Odd:
        def __repr__(self) -> str:
            return "<odd 7>"

    captured = io.StringIO()
    undo = configure_logging("json", stream=captured)
    try:
        from tenfour.api.logs import _log

        _log.info("request", status=200, thing=Odd(), text_ok="é")
    finally:
        undo()
    line = json.loads(captured.getvalue())
    assert line["thing"] == "<odd 7>" and line["status"] == 200 and line["text_ok"] == "é"
    assert line["event"] == "request" and line["level"] == "info" and "timestamp" in line


def test_records_skip_what_no_line_shows_until_the_setup_is_undone() -> None:
    before = (logging.logThreads, logging.logProcesses, logging._srcfile)
    undo = configure_logging("json", stream=io.StringIO())
    try:
        # No renderer writes a record's thread, process or calling line: not collected.
        assert (logging.logThreads, logging.logProcesses, logging._srcfile) == (
            False,
            False,
            None,
        )
    finally:
        undo()
    assert (logging.logThreads, logging.logProcesses, logging._srcfile) == before
