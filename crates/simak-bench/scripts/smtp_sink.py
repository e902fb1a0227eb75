"""A real SMTP server (aiosmtpd) for `simak bench alerts`: accepts every message and records,
for each, the X-Simak-Mention header and the time the server accepted it (after DATA)."""
import asyncio
import email
import sys
import time

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, path):
        self.out = open(path, "a", buffering=1)

    async def handle_DATA(self, server, session, envelope):
        accepted = time.time()
        msg = email.message_from_bytes(envelope.content)
        self.out.write(f"{msg.get('X-Simak-Mention', '')}\t{accepted:.6f}\n")
        return "250 OK"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    c = Controller(Recorder(path), hostname="127.0.0.1", port=port)
    c.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        c.stop()


if __name__ == "__main__":
    main()
