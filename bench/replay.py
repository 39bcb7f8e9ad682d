"""Record Mews answers once, then serve them again at wire speed (for benchmarks only).

A benchmark that scans a sandbox on the same 2-core machine measures the sandbox as much as the
client: generating 260 MB of order-item JSON costs the sandbox about a minute of CPU. To see
whether the *client* keeps up with Mews' rate limit, a scan is recorded once through
`RecordingTransport` (each answer stored in a folder under the hash of its request) and then
replayed by `python -m bench.replay --folder DIR --port N`, a tiny HTTP/1.1 server that answers
each POST with the stored bytes (404 for a request never recorded).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
from pathlib import Path

import httpx

__all__ = ["RecordingTransport", "request_key"]


def request_key(path: str, body: bytes) -> str:
    """The file name of an answer: the hash of the request's path and body."""
    return hashlib.sha256(path.encode() + b"\n" + body).hexdigest()


class RecordingTransport(httpx.AsyncBaseTransport):
    """Sends through `inner` and stores every successful answer's body in `folder`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, folder: Path) -> None:
        self.inner = inner
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        if response.status_code == 200:
            (self.folder / request_key(request.url.path, body)).write_bytes(content)
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _serve_connection(
    folder: Path, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length)
            stored = folder / request_key(path, body)
            if stored.exists():
                status, content = "200 OK", stored.read_bytes()
            else:
                status, content = "404 Not Found", b'{"Message":"not recorded"}'
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(content)}\r\n\r\n".encode()
                + content
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve(folder: Path, port: int) -> None:
    server = await asyncio.start_server(
        lambda r, w: _serve_connection(folder, r, w), "127.0.0.1", port
    )
    print(f"replaying {folder} on 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(_serve(args.folder, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
