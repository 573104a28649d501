"""`python -m trust_web` (`make serve`): serve the skill over HTTP on loopback with a threaded dev server.

For production run it under gunicorn behind a TLS proxy instead (see README).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from werkzeug.serving import make_server

from trust_web.logs import configure_json_logging
from trust_web.wiring import SKILL_ID_ENV, build_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
PORT_ENV = "TRUST_WEB_PORT"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m trust_web", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get(PORT_ENV, DEFAULT_PORT)),
        help=f"port to bind (default ${PORT_ENV} or {DEFAULT_PORT}; 0 picks a free port)",
    )
    parser.add_argument(
        "--skill-id",
        default=os.environ.get(SKILL_ID_ENV),
        help=f"the skill ID requests must carry (default ${SKILL_ID_ENV})",
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="DEVELOPMENT ONLY: accept unsigned requests (logged loudly at start-up)",
    )
    args = parser.parse_args(argv)
    if not args.no_verify and not args.skill_id:
        parser.error(f"a skill ID is required to verify requests: pass --skill-id or set {SKILL_ID_ENV}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log = configure_json_logging(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # our JSON log has one line per request already
    app = build_app(args.skill_id, verify=not args.no_verify)
    server = make_server(args.host, args.port, app, threaded=True)
    log.info(
        "serving",
        extra={
            "url": f"http://{args.host}:{server.port}/",
            "verification": "off" if args.no_verify else "on",
        },
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
