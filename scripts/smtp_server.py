#!/usr/bin/env python3
"""A real SMTP server for Weft's notification tests (weft-notify).

Runs aiosmtpd on HOST:PORT and stores every message it accepts in the Maildir MAILDIR.
When WEFT_SMTP_USER and WEFT_SMTP_PASSWORD are set, clients must authenticate (AUTH PLAIN
or LOGIN, allowed without TLS) with exactly those. Prints "listening on HOST:PORT" once it
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
    controller = Controller(Mailbox(maildir), hostname=host, port=port, **auth)
    controller.start()
    print(f"listening on {host}:{port}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
