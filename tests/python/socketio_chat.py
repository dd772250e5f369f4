"""A python-socketio client in an ECB thread on the serverless stack.

Joins with `auth: {token}`, runs getThread, sends one message, waits for
one pushed `message` from someone else, then prints what it saw as one
JSON line for the Node test that runs it: python-socketio is the second
stock Socket.IO client ECB's serverless deployment is checked with.

Usage: socketio_chat.py URL STAGE USER_TOKEN THREAD_TOKEN
"""

import json
import sys
import threading

import socketio


def main() -> None:
    url, stage, user_token, thread_token = sys.argv[1:5]
    pushed = threading.Event()
    seen = {}
    client = socketio.Client(reconnection=False)

    @client.on("message")
    def on_message(body):
        seen["pushed"] = body
        pushed.set()

    client.connect(
        url,
        socketio_path=stage,
        transports=["websocket"],
        auth={"token": user_token},
        wait_timeout=20,
    )
    seen["thread"] = client.call("getThread", {"threadToken": thread_token}, timeout=20)
    seen["sent"] = client.call(
        "sendMessage",
        {"threadToken": thread_token, "message": {"type": "text", "data": "hello from python"}},
        timeout=20,
    )
    seen["unknown"] = client.call("fly", {}, timeout=20)
    # The Node side answers once it saw our message; say we are ready for it.
    print(json.dumps({"ready": True}), flush=True)
    seen["gotPush"] = pushed.wait(20)
    client.disconnect()
    print(json.dumps(seen), flush=True)


if __name__ == "__main__":
    main()
