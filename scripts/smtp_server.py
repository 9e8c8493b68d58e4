#!/usr/bin/env python3
"""A real SMTP server for Weft's notification tests (weft-notify).

Runs aiosmtpd on HOST:PORT and stores every message it accepts in the Maildir MAILDIR.
When WEFT_SMTP_USER and WEFT_SMTP_PASSWORD are set, clients must authenticate (AUTH PLAIN
or LOGIN, allowed without TLS) with exactly those. WEFT_SMTP_FAIL_FIRST=N answers the first N
messages "451 try again later"; WEFT_SMTP_REJECT_DOMAIN=D answers "550 no such mailbox" to
recipients at D. Prints "listening on HOST:PORT" once it
accepts connections, then runs until killed.

Usage: smtp_server.py HOST PORT MAILDIR
"""

import logging
import os
import signal
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False)

    return check


class Handler(Mailbox):
    """Stores messages in a Maildir, after the scripted refusals."""

    def __init__(self, maildir, fail_first, reject_domain):
        super().__init__(maildir)
        self.fail_first = fail_first
        self.reject_domain = reject_domain

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject_domain and address.endswith("@" + self.reject_domain):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.fail_first > 0:
            self.fail_first -= 1
            return "451 4.3.0 try again later"
        return await super().handle_DATA(server, session, envelope)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    host, port, maildir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    user = os.environ.get("WEFT_SMTP_USER")
    password = os.environ.get("WEFT_SMTP_PASSWORD")
    auth = {}
    if user is not None and password is not None:
        auth = dict(
            authenticator=authenticator(user, password),
            auth_required=True,
            auth_require_tls=False,
        )
    # AUTH without TLS is deliberate here (a test server on loopback): keep its warnings quiet.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    handler = Handler(
        maildir,
        int(os.environ.get("WEFT_SMTP_FAIL_FIRST", "0")),
        os.environ.get("WEFT_SMTP_REJECT_DOMAIN", ""),
    )
    controller = Controller(handler, hostname=host, port=port, **auth)
    controller.start()
    print(f"listening on {host}:{port}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
