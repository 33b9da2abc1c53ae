"""A TCP proxy between the app and PostgreSQL, to play outages without touching the
server (which other work shares): ``freeze()`` stops forwarding (a frozen server or a
cut network: the connections stay open and nothing comes back), ``thaw()`` forwards
again what was held (by itself after a while: see ``freeze``), ``cut()`` closes every
connection and refuses new ones (a server that is down).
"""

from __future__ import annotations

import select
import socket
import threading
import time


class TcpProxy:
    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.mode = "forward"  # or "frozen", "cut"
        self._threads: list[threading.Thread] = []
        self._start(self._accept)

    def _start(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while self.mode != "cut":
            ready, _, _ = select.select([self.listener], [], [], 0.05)
            if not ready or self.mode == "cut":
                continue
            client, _ = self.listener.accept()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            self._start(self._pump, client, upstream)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        other = {client: upstream, upstream: client}
        try:
            while self.mode != "cut":
                if self.mode == "frozen":
                    time.sleep(0.02)
                    continue
                ready, _, _ = select.select(list(other), [], [], 0.05)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    other[sock].sendall(data)
        except OSError:
            return
        finally:
            for sock in other:
                sock.close()

    def freeze(self, at_most: float = 20) -> None:
        """Stop forwarding; forward again after ``at_most`` seconds, so that a client
        that would wait forever makes its test fail instead of hang."""
        self.mode = "frozen"
        timer = threading.Timer(at_most, lambda: self.mode == "frozen" and self.thaw())
        timer.daemon = True
        timer.start()

    def thaw(self) -> None:
        self.mode = "forward"

    def cut(self) -> None:
        """Close every connection, and the port: new connections are refused."""
        self.mode = "cut"
        for thread in self._threads:
            thread.join(timeout=5)
        self.listener.close()

    def url(self, database_url: str) -> str:
        """``database_url`` through this proxy."""
        from sqlalchemy.engine import make_url

        parsed = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return parsed.render_as_string(hide_password=False)
