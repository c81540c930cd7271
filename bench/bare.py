"""The baseline: a bare FastAPI endpoint parsing a JSON body, on the same uvicorn set-up
(uvloop, httptools) as the service. ``python -m bench.bare PORT``."""

import sys
from typing import Any

import uvicorn
import uvloop
from fastapi import FastAPI

app = FastAPI()


@app.post("/api/events", status_code=202)
async def accept(event: dict[str, Any]) -> dict[str, str]:
    return {"event_id": "evt"}


if __name__ == "__main__":
    uvloop.install()
    config = uvicorn.Config(
        app, port=int(sys.argv[1]), log_level="warning", loop="none", http="httptools"
    )
    uvicorn.Server(config).run()
