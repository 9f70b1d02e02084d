"""A local stand-in for Twilio's REST API: answers ``Calls.create`` in Twilio's JSON shape
and records every request (path, auth, form), so a test can assert what was sent."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Sent:
    method: str
    path: str
    authorization: str
    form: dict[str, str]


class TwilioRestMock:
    def __init__(self, status: int = 201) -> None:
        self.requests: list[Sent] = []
        self.status = status
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                auth = self.headers.get("Authorization", "")
                mock.requests.append(Sent("POST", self.path, auth, form))
                self._answer(*mock.answer(form))

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.status >= 400:
            return self.status, {
                "code": 21211,
                "message": f"The 'To' number {form.get('To')} is not a valid phone number.",
                "more_info": "https://www.twilio.com/docs/errors/21211",
                "status": self.status,
            }
        sid = "CA" + uuid.uuid4().hex
        return 201, {
            "sid": sid,
            "account_sid": "AC" + "0" * 32,
            "to": form.get("To"),
            "from": form.get("From"),
            "status": "queued",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/AC{'0' * 32}/Calls/{sid}.json",
        }

    def __enter__(self) -> TwilioRestMock:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
