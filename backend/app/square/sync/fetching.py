"""Pages fetched from Square in background threads while the writer works, and garbage collection
per page while they flow.
"""

from __future__ import annotations

import contextlib
import gc
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_DONE = object()


def prefetched(pages: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Iterate `pages` in a background thread, `depth` pages ahead, so fetching and decoding the
    next page overlaps with writing this one. Errors are raised in the consumer."""
    buffer: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        buffer.put(page, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put(_DONE)
        except BaseException as exc:  # handed to the consumer
            buffer.put(exc)

    thread = threading.Thread(target=produce, name="square-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            del item  # the page is freed once the consumer is done with it
    finally:
        stop.set()
        thread.join(timeout=60)


# Garbage collection while pages flow. A page of 1,000 orders decodes into a few hundred
# thousand dicts and lists, and writing it builds as many rows again: all acyclic, freed by
# reference counting once the page is written. Python's automatic collector, triggered every 700
# allocations, still ran ~33 young collections a page, scanning those objects again as they were
# promoted, and from time to time a full collection of every page held in memory (measured on a
# backfill page: ~30 ms of the writer's ~140 ms of Python per 1,000 orders). While orders are
# synced it is off; one young collection after each page, and a full one every
# FULL_COLLECTION_PAGES pages, free what cycles there are (sessions, tracebacks).
FULL_COLLECTION_PAGES = 50
_gc_lock = threading.Lock()
_gc_users = 0
_gc_was_enabled = True


@contextlib.contextmanager
def _collect_per_page() -> Iterator[Callable[[], None]]:
    """Automatic garbage collection off (in the whole process) until the block ends; the block
    calls the given function after each page. Nests and overlaps across threads."""
    global _gc_users, _gc_was_enabled
    with _gc_lock:
        if _gc_users == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_users += 1
    pages = 0

    def after_page() -> None:
        nonlocal pages
        pages += 1
        gc.collect(2 if pages % FULL_COLLECTION_PAGES == 0 else 1)

    try:
        yield after_page
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0 and _gc_was_enabled:
                gc.enable()


def merged(
    sources: list[tuple[str, Iterator[T]]], *, fetchers: int, depth: int = 8
) -> Iterator[tuple[str, T]]:
    """Iterate several tagged sources at once on `fetchers` threads, yielding (tag, item) as they
    arrive. Errors are raised in the consumer; the rest are stopped."""
    work: queue.Queue[tuple[str, Iterator[T]]] = queue.Queue()
    for source in sources:
        work.put(source)
    out: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def fetch() -> None:
        try:
            while not stop.is_set():
                try:
                    tag, items = work.get_nowait()
                except queue.Empty:
                    break
                for item in items:
                    if stop.is_set():
                        return
                    out.put((tag, item))
        except BaseException as exc:  # handed to the consumer
            out.put(exc)
        finally:
            out.put(_DONE)

    threads = [
        threading.Thread(target=fetch, name=f"square-fetch-{i}", daemon=True)
        for i in range(max(1, min(fetchers, len(sources))))
    ]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            item = out.get()
            if item is _DONE:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        stop.set()
        # Unblock fetchers waiting on a full queue, then let them finish.
        while any(t.is_alive() for t in threads):
            with contextlib.suppress(queue.Empty):
                out.get(timeout=0.1)
