"""The stack's ceiling: a bare aiohttp handler that reads the request and answers a fixed JSON body.

Run with the same runner settings as the emulator, so the ratio measures the emulator's own work.
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

BODY = (b'{"RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"OK","Message":"OK",'
        b'"BizId":"900619746936498440^0"}')


async def handle(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=BODY, content_type="application/json")


async def main(port: int) -> None:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, max_line_size=64 * 1024, max_field_size=64 * 1024)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2] == "uvloop":     # the same loop as the emulator it is compared with
        import uvloop

        uvloop.run(main(int(sys.argv[1])))
    else:
        asyncio.run(main(int(sys.argv[1])))
