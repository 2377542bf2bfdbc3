"""In-process publish/subscribe for the screen's server-sent events."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class Subscription:
    queue: queue.Queue[tuple[str, dict[str, Any]]] = field(
        default_factory=lambda: queue.Queue(maxsize=100)
    )


class EventBus:
    """Fan-out of kiosk events (scan results, camera and printer state) to page streams.

    A slow subscriber loses its oldest events; it never slows down the publisher
    (the scanning thread).
    """

    def __init__(self) -> None:
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self._last: dict[str, dict[str, Any]] = {}

    def subscribe(self) -> Subscription:
        sub = Subscription()
        with self._lock:
            self._subs.add(sub)
            # A new page learns the current device states straight away.
            for kind, data in self._last.items():
                sub.queue.put_nowait((kind, data))
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def publish(self, kind: str, data: dict[str, Any], *, sticky: bool = False) -> None:
        with self._lock:
            if sticky:
                self._last[kind] = data
            subs = list(self._subs)
        for sub in subs:
            while True:
                try:
                    sub.queue.put_nowait((kind, data))
                    break
                except queue.Full:
                    try:
                        sub.queue.get_nowait()
                    except queue.Empty:
                        pass

    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subs)


def sse_stream(bus: EventBus, sub: Subscription, heartbeat: float = 15.0) -> Iterator[str]:
    """Server-sent event frames for one page; a comment line keeps idle connections alive."""
    try:
        yield "retry: 1000\n\n"
        while True:
            try:
                kind, data = sub.queue.get(timeout=heartbeat)
            except queue.Empty:
                yield ": keep-alive\n\n"
                continue
            yield f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
    finally:
        bus.unsubscribe(sub)
