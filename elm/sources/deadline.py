"""A deadline for a whole HTTP request made with requests: connecting, the headers and every byte of the body.

requests' ``timeout`` bounds each wait on the socket (the connect, then each read), not the request: a server
that sends one byte every few seconds keeps a request going for as long as it likes. :class:`Deadline` starts a
timer with the request; when it passes, it shuts down the socket the request reads from, so that the read
blocked on it returns at once (requests then raises a ConnectionError or a ChunkedEncodingError) and
``Deadline.passed`` says why. Shutting a socket down is safe from another thread, where interrupting the
reading thread is not.

The timer learns the socket from the connections of :class:`DeadlineAdapter` (mounted on the session): as one
starts reading a reply, it hands its socket to the deadline running in its thread. The socket, not the
connection, is kept: for a reply that ends with the connection, http.client lets go of the connection's socket
once the headers are in, and reads the body through its own reference.
"""
from __future__ import annotations

import socket
import threading
import time

from requests.adapters import HTTPAdapter
from urllib3 import poolmanager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_running = threading.local()  # .deadline: the Deadline of the request this thread is making, if any


class Deadline:
    """``with Deadline(seconds):`` around a request (made with ``stream=True``) and the reading of its body."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.passed = False
        self._end = time.monotonic() + seconds
        self._socket = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        _running.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        _running.deadline = None

    def timeouts(self) -> tuple[float, float]:
        """requests' (connect, read) timeouts: the time left, so that no single wait outlasts the deadline."""
        left = max(0.001, self._end - time.monotonic())
        return left, left

    def hold(self, sock) -> None:
        """Note the socket the request reads its reply from (shut at once if the deadline has passed)."""
        with self._lock:
            self._socket = sock
            if self.passed:
                _shut(sock)

    def _cut(self) -> None:
        with self._lock:
            self.passed = True
            if self._socket is not None:
                _shut(self._socket)


def _shut(sock) -> None:
    """Shut ``sock`` down, waking whatever read is blocked on it. The plain socket's own shutdown, also for
    a TLS socket: its override would drop the TLS state under the reading thread's feet."""
    if isinstance(sock, socket.socket):
        try:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass  # already closed: nothing is blocked on it


class _Watched:
    """For urllib3's connections: hand the socket to the running deadline as the reply starts to be read."""

    def getresponse(self, *args, **kwargs):
        deadline = getattr(_running, "deadline", None)
        if deadline is not None:
            deadline.hold(self.sock)
        return super().getresponse(*args, **kwargs)


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections tell a running :class:`Deadline` which socket to shut."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if manager.pool_classes_by_scheme is poolmanager.pool_classes_by_scheme:  # not a SOCKS proxy's own pools
            manager.pool_classes_by_scheme = POOLS
        return manager
