"""Send the server's replies at once: TCP_NODELAY on the app process's TCP sockets.

Streamlit binds its listening socket itself as ``socket.socket(family)``, whose protocol
number is 0; asyncio turns Nagle's algorithm off only on sockets whose protocol reads
``IPPROTO_TCP`` (``asyncio.base_events._set_nodelay``), so every connection the server
accepts keeps it on. The server writes a reply's headers and body separately; with Nagle
the body waits for the browser's acknowledgement of the headers, which the browser
delays by about 40 ms (delayed ACK). Every static file and every reply after the first on
a connection, and websocket messages sent close together, waited so: 44 ms for a
two-byte health check on a kept-alive connection, and about 140 files on a new visitor's
first page load over the browser's six connections.

Linux copies TCP_NODELAY from a listening socket to the connections it accepts, so
setting it once on the listener covers every later connection; connections already open
get it too.
"""

from __future__ import annotations

import functools
import os
import socket

FD_DIR = "/proc/self/fd"
"""The process's open file descriptors (Linux); elsewhere nothing is changed."""


def set_no_delay(fds: list[int]) -> int:
    """Turn Nagle's algorithm off on those of ``fds`` that are TCP sockets; return how many.

    Each descriptor is duplicated and the duplicate wrapped, so the owner's own stays
    open; one closed meanwhile, or not a socket, is skipped.
    """
    done = 0
    for fd in fds:
        try:
            dup = os.dup(fd)
        except OSError:
            continue
        try:
            sock = socket.socket(fileno=dup)
        except OSError:  # not a socket
            os.close(dup)
            continue
        with sock:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and (
                sock.type == socket.SOCK_STREAM
            ):
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    done += 1
                except OSError:
                    pass
    return done


@functools.cache
def no_delay_in_this_process() -> int:
    """:func:`set_no_delay` on every descriptor of this process, once per process (the
    app's first script run; later connections inherit it from the listener)."""
    try:
        fds = [int(name) for name in os.listdir(FD_DIR)]
    except OSError:
        return 0
    return set_no_delay(fds)
