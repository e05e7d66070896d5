#!/usr/bin/env python3
"""A real SMTP server for the connector's tests, built on aiosmtpd (not our code).

Usage: smtp_server.py --dir OUT [--cert C --key K] [--implicit-tls] [--auth USER:PASS]

Listens on 127.0.0.1, port 0, and prints "ready PORT" once it accepts connections. Every message
it accepts is written to OUT/<n>.json: the envelope, the AUTH login, whether the session used TLS,
the raw message, and Python's own parse of it (headers decoded per RFC 2047, text and html parts).
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, out):
        self.out = out
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {}
        for part in message.walk():
            if part.get_content_maintype() == "text":
                parts[part.get_content_type()] = part.get_content()
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "login": login_of(session),
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            "raw": raw.decode("utf-8", "replace"),
            "headers": {k: str(v) for k, v in message.items()},
            "raw_subject": raw_header(raw, b"Subject"),
            "content_type": message.get_content_type(),
            "parts": parts,
        }
        path = os.path.join(self.out, "%d.json" % self.count)
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 OK queued as fixture-%d" % self.count


def login_of(session):
    data = getattr(session, "auth_data", None)
    if isinstance(data, LoginPassword):
        return data.login.decode()
    return None


def raw_header(raw, name):
    """The header's value as sent (unfolded, not decoded)."""
    lines = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    value = None
    for line in lines:
        if value is not None and line[:1] in (b" ", b"\t"):
            value += line
        elif value is not None:
            break
        elif line.lower().startswith(name.lower() + b":"):
            value = line[len(name) + 1:].strip()
    return (value or b"").decode("ascii", "replace")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--auth")
    args = parser.parse_args()

    context = None
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

    authenticator = None
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False, auth_data=auth_data)

    recorder = Recorder(args.dir)

    def factory():
        kwargs = dict(hostname="fixture.test", authenticator=authenticator, auth_require_tls=True)
        if authenticator is None:
            kwargs["auth_exclude_mechanism"] = ["LOGIN", "PLAIN"]
        if context is not None and not args.implicit_tls:
            kwargs["tls_context"] = context
        return SMTP(recorder, **kwargs)

    async def serve():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(factory, "127.0.0.1", 0,
                                          ssl=context if args.implicit_tls else None)
        port = server.sockets[0].getsockname()[1]
        print("ready %d" % port, flush=True)
        async with server:
            await server.serve_forever()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
