"""One mechanism for every process-wide object (settings, the LLM gateway, the rate limiter)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar, overload

T = TypeVar("T")
U = TypeVar("U")


class ProcessWide(Generic[T]):
    """Calls `factory` once, on first use and under a lock; `cache_clear()` drops the instance
    (after `close` is called on it) so the next call builds it anew from the current settings."""

    def __init__(self, factory: Callable[[], T], close: Callable[[T], None] | None = None) -> None:
        self._factory, self._close = factory, close
        self._instance: T | None = None
        self._lock = threading.Lock()
        self.__doc__ = factory.__doc__

    def __call__(self) -> T:
        with self._lock:
            if self._instance is None:
                self._instance = self._factory()
            return self._instance

    def cache_clear(self) -> None:
        with self._lock:
            instance, self._instance = self._instance, None
        if instance is not None and self._close is not None:
            self._close(instance)


class _AnyFactory(Protocol):
    """What `@process_wide()` returns: generic in the type its factory makes."""

    def __call__(self, factory: Callable[[], U], /) -> ProcessWide[U]: ...


@overload
def process_wide() -> _AnyFactory: ...
@overload
def process_wide(close: Callable[[T], None]) -> Callable[[Callable[[], T]], ProcessWide[T]]: ...
def process_wide(
    close: Callable[[T], None] | None = None,
) -> Callable[[Callable[[], T]], ProcessWide[T]]:
    """Decorator form: `@process_wide()` over a zero-argument factory."""

    def wrap(factory: Callable[[], T]) -> ProcessWide[T]:
        return ProcessWide(factory, close)

    return wrap
