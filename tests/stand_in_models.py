"""Stand-ins for model servers, not models: real HTTP servers on 127.0.0.1 (pytest-httpserver)
speaking OpenAI's chat completions and Anthropic's messages wire formats, answering scripted
replies and keeping every request. No model can be downloaded here; the provider code under
test is the real one, and these check what it sends."""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

OPENAI_PATH = "/v1/chat/completions"
ANTHROPIC_PATH = "/v1/messages"


@dataclass(frozen=True)
class Refusal:
    """A scripted error reply."""

    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


# A scripted reply: text, a JSON value (sent as its text, or as Anthropic's tool input),
# a refusal, or a function of the request's JSON body giving one of those.
Scripted = str | dict[str, Any] | Refusal | Callable[[dict[str, Any]], Any]


def words(value: Any) -> int:
    """The stand-in's token count: words in the text of ``value``."""
    return len(json.dumps(value).split()) if not isinstance(value, str) else len(value.split())


class StandInServer:
    """Answers each request with the next scripted reply (the last one repeats)."""

    def __init__(self, httpserver: HTTPServer, replies: list[Scripted], model: str) -> None:
        self.httpserver = httpserver
        self.replies = replies
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.headers: list[Mapping[str, str]] = []

    def _next(self, body: dict[str, Any]) -> Any:
        reply = self.replies[min(len(self.requests) - 1, len(self.replies) - 1)]
        return reply(body) if callable(reply) else reply

    def _take(self, request: Request) -> tuple[dict[str, Any], Any]:
        body = request.json
        assert isinstance(body, dict)
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        return body, self._next(body)


class StandInOpenAI(StandInServer):
    """A stand-in for an OpenAI-compatible server (OpenAI, vLLM, llama.cpp's server)."""

    def __init__(self, httpserver: HTTPServer, replies: list[Scripted], model: str = "stand-in"):
        super().__init__(httpserver, replies, model)
        httpserver.expect_request(OPENAI_PATH, method="POST").respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        return self.httpserver.url_for("/v1")

    def handle(self, request: Request) -> Response:
        body, reply = self._take(request)
        if isinstance(reply, Refusal):
            return _json(reply.body, reply.status, reply.headers)
        content = reply if isinstance(reply, str) else json.dumps(reply)
        answer = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "model": body.get("model", self.model),
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content},
                }
            ],
            "usage": {
                "prompt_tokens": words(body["messages"]),
                "completion_tokens": words(content),
                "total_tokens": words(body["messages"]) + words(content),
            },
        }
        return _json(answer)


class StandInAnthropic(StandInServer):
    """A stand-in for Anthropic's messages API: a JSON reply to a request with tools comes
    back as the forced tool's input, as Anthropic's does."""

    def __init__(self, httpserver: HTTPServer, replies: list[Scripted], model: str = "stand-in"):
        super().__init__(httpserver, replies, model)
        httpserver.expect_request(ANTHROPIC_PATH, method="POST").respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        return self.httpserver.url_for("/")

    def handle(self, request: Request) -> Response:
        body, reply = self._take(request)
        if isinstance(reply, Refusal):
            return _json(reply.body, reply.status, reply.headers)
        if isinstance(reply, dict) and body.get("tools"):
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": "toolu_1",
                "name": body["tools"][0]["name"],
                "input": reply,
            }
        else:
            text = reply if isinstance(reply, str) else json.dumps(reply)
            block = {"type": "text", "text": text}
        answer = {
            "id": f"msg_{len(self.requests)}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [block],
            "stop_reason": "end_turn",
            "usage": {
                "input_tokens": words(body["messages"]) + words(body.get("system", "")),
                "output_tokens": words(block.get("input", block.get("text"))),
            },
        }
        return _json(answer)


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body),
        status=status,
        headers=dict(headers or {}),
        content_type="application/json",
    )
