"""A department system that signs citizens in through yimen with Authlib and Flask: the authorization
code flow with PKCE, state and nonce (Authlib checks the ID token), UserInfo, refreshing the tokens, and
logging out at yimen. It keeps its sessions in memory, which a real system would keep in its own store.

    YIMEN_ISSUER=http://localhost:8080 CLIENT_ID=… CLIENT_SECRET=… PORT=3000 python app.py

Register it first: yimen client add --name 示例系统 --redirect-uri http://localhost:3000/callback \\
    --post-logout-redirect-uri http://localhost:3000/ --scope "openid profile"
"""

import html
import os
import secrets
from urllib.parse import urlencode

from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, request, session


def page(title, body, status=200):
    document = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width"><title>{title}</title></head><body>{body}</body></html>'
    )
    return document, status, {"content-type": "text/html; charset=utf-8", "cache-control": "no-store"}


def create_app(issuer, client_id, client_secret, public_url, scope="openid profile"):
    """The system at `public_url`, signing in through the yimen at `issuer` as `client_id`."""
    app = Flask(__name__)
    app.secret_key = secrets.token_bytes(32)
    oauth = OAuth(app)
    # Authlib sends the secret with HTTP Basic (client_secret_basic), as yimen registers systems by default;
    # with code_challenge_method it adds PKCE (S256), and with scope openid a nonce it checks in the ID token.
    oauth.register(
        "yimen",
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": scope, "code_challenge_method": "S256"},
    )
    signed_in = {}  # the session's random id → {"token", "claims", "userinfo"}

    def current():
        return signed_in.get(session.get("sid", ""))

    @app.get("/")
    def home():
        person = current()
        if person is None:
            return page("示例系统", '<h1 id="signed-out">未登录</h1><p><a id="login" href="/login">用统一身份认证平台登录</a></p>')
        return page(
            "示例系统",
            f'<h1>已登录：<span id="name">{html.escape(person["userinfo"].get("name", ""))}</span></h1>'
            f'<p>acr <code id="acr">{html.escape(person["claims"]["acr"])}</code></p>'
            '<p><a id="refresh" href="/refresh">刷新令牌</a> · <a id="logout" href="/logout">退出登录</a></p>',
        )

    @app.get("/login")
    def login():
        return oauth.yimen.authorize_redirect(f"{public_url}/callback")

    @app.get("/callback")
    def callback():
        if "error" in request.args:
            error = html.escape(request.args["error"])
            return page("未登录", f'<h1 id="error">{error}</h1><a href="/login">重新登录</a>', 400)
        # Checks state, exchanges the code with the PKCE verifier, and verifies the ID token (signature
        # from the JWKS, issuer, audience, expiry, nonce).
        token = oauth.yimen.authorize_access_token()
        userinfo = oauth.yimen.userinfo(token=token)
        if userinfo["sub"] != token["userinfo"]["sub"]:
            return page("出错了", "<h1>UserInfo is about someone else</h1>", 502)
        sid = secrets.token_urlsafe(24)
        signed_in[sid] = {"token": token, "claims": token["userinfo"], "userinfo": userinfo}
        session["sid"] = sid
        return redirect("/")

    @app.get("/refresh")
    def refresh():
        person = current()
        if person is None:
            return redirect("/")
        person["token"] = oauth.yimen.fetch_access_token(
            grant_type="refresh_token", refresh_token=person["token"]["refresh_token"]
        )
        person["userinfo"] = oauth.yimen.userinfo(token=person["token"])
        return page("示例系统", '<h1 id="refreshed">令牌已刷新</h1><p><a href="/">返回</a></p>')

    @app.get("/logout")
    def logout():
        person = signed_in.pop(session.pop("sid", ""), None)
        if person is None:
            return redirect("/")
        metadata = oauth.yimen.load_server_metadata()
        query = urlencode({"id_token_hint": person["token"]["id_token"], "post_logout_redirect_uri": f"{public_url}/"})
        return redirect(f"{metadata['end_session_endpoint']}?{query}")

    @app.errorhandler(Exception)
    def failure(error):
        # Authlib puts the server's error code and description on the error it raises.
        said = f"{getattr(error, 'error', '')}: {getattr(error, 'description', '')}\n"
        return page("出错了", f'<pre id="failure">{html.escape(said + repr(error))}</pre>', 500)

    return app


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "3000"))
    app = create_app(
        issuer=os.environ.get("YIMEN_ISSUER", "http://localhost:8080"),
        client_id=os.environ["CLIENT_ID"],
        client_secret=os.environ["CLIENT_SECRET"],
        public_url=os.environ.get("PUBLIC_URL", f"http://localhost:{port}"),
    )
    print(f"the example system is at http://localhost:{port}", flush=True)
    app.run(host="127.0.0.1", port=port)
