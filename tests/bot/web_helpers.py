"""Shared pieces of the web tests: a Buddy built from fakes and a real uvicorn on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from core.answers import AnswerBook
from core.classify.base import FixedClassifier
from core.handoff.service import HandoffService
from core.pipeline import Buddy
from core.storage.writer import LogWriter

SLEEP = "요즘 잠을 잘 못 자요"
SLEEP_ANSWER = "잠이 오지 않는 밤은 길게 느껴지죠. 요즘 잠들기 전에 어떤 생각이 드세요?"
WORRY = "시험 때문에 너무 불안해요"
WORRY_ANSWER = "시험을 앞두면 마음이 조마조마하죠. 어떤 점이 가장 걱정되세요?"
CRISIS = "요즘 너무 힘들어서 죽고 싶어요"


def make_buddy(writer: LogWriter | None, cls: type[Buddy] = Buddy,
               handoff: HandoffService | None = None) -> Buddy:
    """The core with a lookup-table classifier: known texts get answers, others fall back."""
    classifier = FixedClassifier({SLEEP: "증상/불면", WORRY: "감정/불안"}, default="일반대화",
                                 confidence=0.9, default_confidence=0.1)
    answers = AnswerBook({"증상/불면": [SLEEP_ANSWER], "감정/불안": [WORRY_ANSWER]}, seed=1)
    return cls(classifier=classifier, answers=answers, pseudonym_secret=b"web-test",
                 writer=writer, handoff=handoff)


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """Run ``app`` under a real uvicorn on 127.0.0.1 (a free port) in this event loop."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> None:
        while not server.started:
            if task.done():
                task.result()  # raises the startup error
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(started(), 20)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
