"""The webhook signer and its delivery to a real local HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hub.jobs.webhook import EVENT_HEADER, SIGNATURE_HEADER, check_url, deliver, signature, verify
from tests.helpers import free_port

SECRET = "s3cret"


class _Flaky(BaseHTTPRequestHandler):
    """Answers 500 to the first call and 200 to the next; keeps what it received."""

    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers.items()), body))
        self.send_response(500 if len(self.received) == 1 else 200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def flaky() -> Iterator[str]:
    _Flaky.received = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    httpd.shutdown()
    httpd.server_close()


def test_a_signature_verifies_only_with_its_secret_body_and_time() -> None:
    body = b'{"type": "job.completed"}'
    header = signature(SECRET, 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64
    assert verify(SECRET, header, body, now=1_700_000_100)
    assert not verify("other", header, body, now=1_700_000_100)
    assert not verify(SECRET, header, body + b" ", now=1_700_000_100)
    assert not verify(SECRET, header, body, now=1_700_000_000 + 301)
    for broken in ("", "v1=abc", "t=x,v1=abc", "t=1700000000"):
        assert not verify(SECRET, broken, body, now=1_700_000_000)


async def test_delivery_is_retried_until_the_receiver_takes_it(flaky: str) -> None:
    payload = {"type": "job.completed", "job": {"id": "job_1"}}
    assert await deliver(flaky, "job.completed", payload, SECRET, timeout=5, attempts=2)
    assert len(_Flaky.received) == 2
    for headers, body in _Flaky.received:
        assert json.loads(body) == payload and headers[EVENT_HEADER] == "job.completed"
        assert verify(SECRET, headers[SIGNATURE_HEADER], body)


async def test_an_unreachable_receiver_is_a_logged_failure_without_the_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook?token=private-token"
    assert not await deliver(url, "job.failed", {}, SECRET, timeout=2, attempts=1)
    assert "127.0.0.1" in caplog.text
    assert SECRET not in caplog.text and "private-token" not in caplog.text


@pytest.mark.parametrize("url", ["ftp://host/x", "/relative", "http://", "javascript:alert(1)"])
def test_only_absolute_http_urls_are_webhooks(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        check_url(url)
    assert check_url("https://example.com/hook?x=1") == "https://example.com/hook?x=1"
