"""Where rendered tracking pages are kept (``page.rendered`` decides what and under which key):
a bounded in-process LRU by default, Redis when ``REDIS_URL`` is set (every worker shares one
copy; ``RENDER_CACHE = "memory"`` keeps it in-process anyway, ``"off"`` renders every view;
``"redis"`` without ``REDIS_URL`` is in-process).

Entries expire on their own (``set(…, expires_at)``): the keys say what the page depends on, the
expiry what changes with time alone. A Redis that does not answer is a miss, logged once per
process, never an error page.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Protocol

from flask import Flask

from tracking.monitoring import metrics

log = logging.getLogger(__name__)
PREFIX = "todoku:page:"


class Store(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, expires_at: float) -> None: ...

    def clear(self) -> None: ...


class MemoryStore:
    """At most ``size`` entries, least recently used out first; thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[bytes, float]] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[1] <= time.time():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return item[0]

    def set(self, key: str, value: bytes, expires_at: float) -> None:
        with self._lock:
            self._items[key] = (value, expires_at)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class RedisStore:
    """``SET key value EX ttl``; Redis's own ``maxmemory`` policy bounds it."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._warned = False

    def _failed(self, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            log.warning("Render cache: Redis did not answer (%s); rendering every view", exc)

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get(PREFIX + key)
        except Exception as exc:  # noqa: BLE001 (any Redis failure is a miss)
            self._failed(exc)
            return None

    def set(self, key: str, value: bytes, expires_at: float) -> None:
        ttl = int(expires_at - time.time())
        if ttl <= 0:
            return
        try:
            self.client.set(PREFIX + key, value, ex=ttl)
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)

    def clear(self) -> None:
        for keys in _batches(self.client.scan_iter(PREFIX + "*", count=1000), 1000):
            self.client.delete(*keys)


def _batches(items, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def store_for(app: Flask) -> Store | None:
    """The app's store, made on first use; None when the cache is off."""
    if "todoku_render_cache" not in app.extensions:
        kind = app.config["RENDER_CACHE"]
        if kind == "off":
            store = None
        elif kind in ("auto", "redis") and app.config["REDIS_URL"]:
            store = RedisStore(app.config["REDIS_URL"])
        else:
            store = MemoryStore(int(app.config["RENDER_CACHE_SIZE"]))
        app.extensions["todoku_render_cache"] = store
    return app.extensions["todoku_render_cache"]


def lookup(app: Flask, key: str) -> bytes | None:
    """The entry under ``key``, counted as a hit or a miss (nothing when the cache is off)."""
    store = store_for(app)
    if store is None:
        return None
    raw = store.get(key)
    metrics.RENDER_CACHE.labels("miss" if raw is None else "hit").inc()
    return raw


def keep(app: Flask, key: str, value: bytes, expires_at: float) -> None:
    store = store_for(app)
    if store is not None:
        store.set(key, value, expires_at)


def forget_all(app: Flask) -> None:
    """Drop every rendered page (after a restore: the restored orders' data versions may
    repeat numbers the cache already holds for other data)."""
    store = store_for(app)
    if store is not None:
        store.clear()
