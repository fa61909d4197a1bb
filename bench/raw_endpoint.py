"""The baseline for bench/http_write.py: the least a FastAPI endpoint can do to store a
recovery, one INSERT of one row through raw asyncpg, with no validation or auth; and to
search serials, one indexed equality on a key folded the simplest way (upper case,
separators dropped), with no look-alikes, transliteration, edits, patterns or audit."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
from fastapi import FastAPI, Request, Response

DSN = os.environ["RAW_ENDPOINT_DSN"]
SEPARATORS = re.compile(r"[\s\-/._]")


def serial_key(serial: str) -> str:
    return SEPARATORS.sub("", serial.upper())


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(DSN, min_size=10, max_size=10)
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.post("/raw/recoveries", status_code=201)
async def insert(request: Request) -> Response:
    body = json.loads(await request.body())
    recovery_id = uuid.uuid4()
    async with request.app.state.pool.acquire() as connection:
        await connection.execute(
            "INSERT INTO raw_recoveries (id, case_reference, recovered_at, country, serial, "
            "serial_key) VALUES ($1, $2, $3, $4, $5, $6)",
            recovery_id,
            body["case_reference"],
            datetime.fromisoformat(body["recovered_at"]),
            body["location"]["country"],
            body["items"][0]["serial"],
            serial_key(body["items"][0]["serial"]),
        )
    return Response(
        json.dumps({"id": str(recovery_id)}), status_code=201, media_type="application/json"
    )


@app.get("/raw/search/serials")
async def search(serial: str, request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        rows = await connection.fetch(
            "SELECT id, case_reference, serial FROM raw_recoveries WHERE serial_key = $1 "
            "ORDER BY id LIMIT 50",
            serial_key(serial),
        )
    matches = [
        {"recovery_id": str(r["id"]), "case_reference": r["case_reference"], "serial": r["serial"]}
        for r in rows
    ]
    return Response(json.dumps({"matches": matches}), media_type="application/json")
