"""A small OpenAI-compatible HTTP server on 127.0.0.1 for tests: the real `openai` client talks
to it, so nothing reaches the internet.

The requested model picks the behaviour:
  any name          a completion echoing the last user message ("reply to: ...")
  "needs-key"       401 unless the key is GOOD_KEY
  "busy-once"       429 (Retry-After: 0) the first time, then a completion
  "busy"            429 every time
  "slow"            answers after SLOW_SECONDS
  "garbage"         200 with a body that is not JSON
  "no-choices"      200 with JSON that has no choices
  "no-stream-options"  400 when asked to stream with `stream_options` (older local servers)
With "stream": true, the completion arrives as server-sent events, a word per chunk, then (when
`stream_options.include_usage` asks for it, as OpenAI's API does) a usage chunk. `canned` maps a
piece of the last user message to the reply to give instead of the echo, for programs that
need a particular answer (a mode to pick, say).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GOOD_KEY = "sk-test-0123456789abcdef"
SLOW_SECONDS = 3.0
MODELS = ["alpha-chat", "beta-chat"]


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.busy_once_seen = False
        self.canned: dict[str, str] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path.rstrip("/").endswith("/models"):
                    data = [{"id": m, "object": "model", "owned_by": "test"} for m in MODELS]
                    self._json(200, {"object": "list", "data": data})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                model = body.get("model", "")
                if (
                    model == "needs-key"
                    and self.headers.get("Authorization") != f"Bearer {GOOD_KEY}"
                ):
                    self._json(401, {"error": {"message": "Incorrect API key provided"}})
                    return
                if model == "busy" or (model == "busy-once" and not fake.busy_once_seen):
                    fake.busy_once_seen = True
                    self._json(
                        429,
                        {"error": {"message": "Rate limit reached"}},
                        {"Retry-After": "0"},
                    )
                    return
                if model == "no-stream-options" and "stream_options" in body:
                    self._json(400, {"error": {"message": "Unrecognized argument: stream_options"}})
                    return
                if model == "slow":
                    time.sleep(SLOW_SECONDS)
                if model == "garbage":
                    data = b"<html>definitely not json</html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if model == "no-choices":
                    self._json(200, {"id": "x", "object": "chat.completion", "model": model})
                    return
                last = next(
                    (m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), ""
                )
                text = next(
                    (reply for needle, reply in fake.canned.items() if needle in last),
                    f"reply to: {last}",
                )
                usage = {"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15}
                if body.get("stream"):
                    wants_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                    self._stream(model, text, usage if wants_usage else None)
                    return
                self._json(
                    200,
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": usage,
                    },
                )

            def _stream(self, model: str, text: str, usage: dict[str, int] | None) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()

                def send(payload: Any) -> None:
                    self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                    self.wfile.flush()

                base = {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 0}
                words = text.split(" ")
                for i, word in enumerate(words):
                    piece = word if i == len(words) - 1 else word + " "
                    send(
                        {
                            **base,
                            "model": model,
                            "choices": [
                                {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                            ],
                        }
                    )
                if usage is not None:
                    send({**base, "model": model, "choices": [], "usage": usage})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler
