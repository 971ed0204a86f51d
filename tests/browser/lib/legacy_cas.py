"""A legacy department system that signs people in over CAS 3.0 with python-cas (PyPI), as such systems
do: /login sends the browser to the CAS server and validates the ticket it comes back with; a POST to
/login carrying a SAML LogoutRequest ends the session its ticket started (single logout);
/validate-again presents the session's ticket once more, as a replay would.

    CAS_SERVER=http://localhost:8080/cas/ PORT=3000 python legacy_cas.py
"""

import html
import http.server
import os
import secrets
import urllib.parse

from cas import CASClient

PORT = int(os.environ["PORT"])
BASE = os.environ.get("PUBLIC_URL", f"http://127.0.0.1:{PORT}")
CAS = CASClient(version=3, service_url=f"{BASE}/login", server_url=os.environ["CAS_SERVER"])
SESSIONS = {}  # session cookie → {"user", "attributes", "ticket"}
ENDED_BY_CAS = []  # tickets single logout named


class Handler(http.server.BaseHTTPRequestHandler):
    def session(self):
        for part in self.headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "legacy":
                return value, SESSIONS.get(value)
        return None, None

    def send(self, status, body, headers=()):
        page = f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>旧系统</title></head><body>{body}</body></html>'
        data = page.encode()
        self.send_response(status)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, location, headers=()):
        self.send_response(302)
        self.send_header("location", location)
        self.send_header("content-length", "0")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        _, session = self.session()
        if url.path == "/":
            if session is None:
                return self.send(200, f'<h1 id="signed-out">未登录</h1><a id="login" href="/login">登录</a><p id="ended">{len(ENDED_BY_CAS)}</p>')
            attributes = session["attributes"] or {}
            return self.send(
                200,
                f'<h1>已登录：<span id="name">{html.escape(attributes.get("name", ""))}</span></h1>'
                f'<p id="user">{html.escape(session["user"])}</p><p id="acr">{html.escape(attributes.get("acr", ""))}</p>'
                '<a id="logout" href="/logout">退出</a>',
            )
        if url.path == "/login":
            ticket = query.get("ticket")
            if not ticket:
                return self.redirect(CAS.get_login_url())
            user, attributes, _ = CAS.verify_ticket(ticket)
            if not user:
                return self.send(401, '<h1 id="failure">the ticket did not validate</h1>')
            cookie = secrets.token_urlsafe(16)
            SESSIONS[cookie] = {"user": user, "attributes": attributes, "ticket": ticket}
            return self.redirect("/", [("set-cookie", f"legacy={cookie}; Path=/; HttpOnly")])
        if url.path == "/validate-again":
            # What a replayed ticket gets: python-cas reads the refusal and finds no user.
            user, _, _ = CAS.verify_ticket(session["ticket"]) if session else (None, None, None)
            return self.send(200, f'<p id="again">{html.escape(user or "refused")}</p>')
        if url.path == "/logout":
            cookie, _ = self.session()
            SESSIONS.pop(cookie, None)
            return self.redirect(CAS.get_logout_url(redirect_url=f"{BASE}/"))
        return self.send(404, "<h1>未找到</h1>")

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        indexes = CAS.get_saml_slos(form.get("logoutRequest", "")) if "logoutRequest" in form else None
        if not indexes:
            return self.send(400, "<h1>not a logout request</h1>")
        ticket = indexes[0].text
        for cookie, session in list(SESSIONS.items()):
            if CAS.verify_logout_request(form["logoutRequest"], session["ticket"]):
                del SESSIONS[cookie]
        ENDED_BY_CAS.append(ticket)
        return self.send(200, "ok")

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
