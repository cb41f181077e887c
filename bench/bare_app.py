"""Baseline A3: a bare FastAPI endpoint on uvicorn, run like ``gridreg serve`` (same server,
same log level, access log on), answering ``POST /graphql`` with the exact bytes the real
service answered for the same request body: HTTP, framework and server cost without GraphQL
or a store.

    python -m bench.bare_app --responses FILE --port PORT

``FILE`` is JSON: a list of ``[request body, response body]`` pairs (text).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

UNKNOWN = b'{"errors":[{"message":"bench.bare_app: unknown request body"}]}'


def create_app(answers: dict[bytes, bytes]) -> FastAPI:
    """The bare app: each known request body gets its recorded response bytes."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/graphql")
    async def graphql(request: Request) -> Response:
        answer = answers.get(await request.body())
        if answer is None:
            return Response(UNKNOWN, status_code=400, media_type="application/json")
        return Response(answer, media_type="application/json")

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "answers": len(answers)})

    return app


def main(argv: list[str] | None = None) -> None:
    """Serve the recorded answers on 127.0.0.1."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    pairs = json.loads(args.responses.read_text())
    answers = {request.encode(): response.encode() for request, response in pairs}
    uvicorn.run(create_app(answers), host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":
    main()
