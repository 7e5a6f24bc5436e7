"""Serving the judge app (uvicorn): who can reach it, which Host names it answers, and a deadline for
receiving each request.

A bind is loopback when every address its name stands for is a loopback address (127.0.0.1, ::1,
localhost): only this machine reaches it, and the app answers only to the names that reach it (localhost,
127.0.0.1, [::1] and the bound name, with the port), so a page on another site that points its own name at
this machine (DNS rebinding) is refused. Any other bind opens the app to every machine that reaches that
address, under any Host name.

uvicorn closes a connection idle between requests (timeout_keep_alive) and bounds a request's line and
headers (h11_max_incomplete_event_size), but it has no deadline for receiving a request: a client sending
a request a byte at a time (slowloris) holds its connection for ever. ``deadline_protocol`` adds one.
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
UNSPECIFIED = ("", "0.0.0.0", "::")  # every address of this machine
KEEP_ALIVE = 5  # seconds a connection may stay idle between two requests (uvicorn's default, set here to be seen)
MAX_HEAD = 16 * 1024  # bytes of a request's line and headers (h11's default; a browser's are well under 2 KiB)
RECEIVED = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR)  # the client's states once a request is in


def literal(host: str) -> str:
    """``host`` as written in a URL or a Host header: an IPv6 address in brackets."""
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


def url(host: str, port: int) -> str:
    return f"http://{literal(host)}:{port}/"


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` stands for is a loopback address (a name that does not resolve: no)."""
    if host in UNSPECIFIED:
        return False
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError):
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def host_names(host: str, port: int) -> list[str] | None:
    """The Host header values the app bound to ``host`` answers: for a loopback bind, the names that reach
    it with the port (and without it on port 80, where browsers leave it out); None (any) for other binds."""
    if not is_loopback(host):
        return None
    names = list(dict.fromkeys([*LOOPBACK_NAMES, literal(host).lower()]))
    return [f"{name}:{port}" for name in names] + (names if port == 80 else [])


def reach(host: str, port: int) -> str:
    """Who can reach the app bound to ``host``, in words, for the line it prints when it starts."""
    if is_loopback(host):
        return "loopback: only this machine can reach it"
    where, machine = ("every address of this machine", "this machine") if host in UNSPECIFIED else (host, host)
    return (f"bound to {where}: every machine that can reach {machine} on port {port} (your network, and beyond "
            f"it if a router forwards the port) can read the test posts and answer under any name, over plain "
            f"HTTP; see --help")


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline: a client has ``request_timeout`` seconds from connecting (or
    from the previous response) to send a whole request, line, headers and body, or its connection is
    closed. Sending slowly does not move the deadline; the app's own work is not timed. Closing a half-sent
    request is logged; closing an idle connection (a browser opens some ahead of need) is not."""

    request_timeout: float = 10.0
    _deadline: asyncio.TimerHandle | None = None
    _half_sent = False  # bytes of a request arrived since the deadline started

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._start_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state in RECEIVED:
            self._stop_deadline()
        else:
            self._half_sent = True

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may start on a request the client sent ahead (pipelining)
        if not self.transport.is_closing() and self.conn.their_state not in RECEIVED:
            self._start_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_deadline()
        super().connection_lost(exc)

    def _start_deadline(self) -> None:
        self._stop_deadline()
        self._half_sent = False
        self._deadline = self.loop.call_later(self.request_timeout, self._too_slow)

    def _stop_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._half_sent:
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
            self.logger.warning(f"closed the connection of {client}: it sent part of a request, not all of it "
                                f"within {self.request_timeout:g} s")
        self.transport.close()


def deadline_protocol(request_timeout: float) -> type[DeadlineH11Protocol]:
    """``DeadlineH11Protocol`` with its deadline set, as uvicorn's ``http`` (uvicorn makes one per connection)."""
    return type("DeadlineH11Protocol", (DeadlineH11Protocol,), {"request_timeout": request_timeout})


def serve(app, host: str, port: int, request_timeout: float) -> None:
    """Run ``app`` on ``host``:``port`` until Ctrl+C, h11 with the request deadline, uvicorn's limits explicit."""
    uvicorn.run(app, host=host, port=port, log_level="warning", http=deadline_protocol(request_timeout),
                timeout_keep_alive=KEEP_ALIVE, h11_max_incomplete_event_size=MAX_HEAD)
