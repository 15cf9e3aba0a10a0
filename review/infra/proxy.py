"""What the app believes of the proxy in front of it, and the address its links start with.

Behind PROXY_HOPS proxies, Werkzeug's ProxyFix takes the client address, scheme and host from
the X-Forwarded-* headers those proxies set (and only from the last PROXY_HOPS of them, so a
client cannot forge its address). Without a fixed PUBLIC_BASE_URL (the embedded default), links
in email follow the host and port the app is actually served on.
"""

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    hops = app.config["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if app.config.get("PUBLIC_BASE_URL_FOLLOWS_REQUESTS"):
        app.before_request(_follow_served_address)


def _follow_served_address() -> None:
    base = request.host_url.rstrip("/")
    if current_app.config["PUBLIC_BASE_URL"] != base:
        current_app.config["PUBLIC_BASE_URL"] = base
