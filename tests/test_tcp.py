"""ui/tcp.py: TCP_NODELAY on the server's sockets, the owner's descriptors left open."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from ui import tcp


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback listener made as Streamlit makes its own: protocol number 0."""
    sock = socket.socket(socket.AF_INET)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    assert sock.proto == 0
    yield sock
    sock.close()


def _no_delay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_accepted_connections_inherit_it_from_the_listener(listener: socket.socket) -> None:
    assert _no_delay(listener) == 0
    assert tcp.set_no_delay([listener.fileno()]) == 1
    with socket.create_connection(listener.getsockname()) as client:
        accepted, _ = listener.accept()
        with accepted:
            assert _no_delay(accepted) == 1
            assert _no_delay(client) == 0  # only the descriptors it was given


def test_open_connections_get_it_too(listener: socket.socket) -> None:
    with socket.create_connection(listener.getsockname()) as client:
        accepted, _ = listener.accept()
        with accepted:
            assert tcp.set_no_delay([accepted.fileno()]) == 1
            assert _no_delay(accepted) == 1
            accepted.sendall(b"still open")
            assert client.recv(16) == b"still open"


def test_other_descriptors_are_skipped_and_left_open(listener: socket.socket) -> None:
    read, write = os.pipe()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    closed = os.dup(read)
    os.close(closed)
    try:
        assert tcp.set_no_delay([read, write, udp.fileno(), closed, listener.fileno()]) == 1
        os.write(write, b"x")
        assert os.read(read, 1) == b"x"
        assert udp.fileno() != -1 and listener.fileno() != -1
    finally:
        os.close(read)
        os.close(write)
        udp.close()


def test_this_process_once(listener: socket.socket) -> None:
    tcp.no_delay_in_this_process.cache_clear()
    try:
        assert tcp.no_delay_in_this_process() >= 1  # the listener, at least
        assert _no_delay(listener) == 1
    finally:
        tcp.no_delay_in_this_process.cache_clear()
