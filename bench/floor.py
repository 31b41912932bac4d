"""The floor: the least a page of this site can cost. A bare Flask + SQLAlchemy + Jinja app
with the site's layout (the same header, navigation and footer markup, the same CSS and
scripts) that finds the logged-in person the way the site does: Flask's signed session
cookie -> the login token -> one statement for the LoginSession and the Person. It answers
one page, /floor. `make bench` serves it with gunicorn beside the site, with the same
settings, and reports each page's throughput as a share of this one's.

Run: DATABASE_URL=… SECRET_KEY=… gunicorn -w 2 bench.floor:app
"""

from __future__ import annotations

import hashlib
import os

from flask import Flask, abort, render_template_string, session
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"].replace(
    "postgresql://", "postgresql+psycopg://", 1)
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
db = SQLAlchemy(app)

LOOKUP = text("""
    SELECT person.id, person.display_name, person.department_id
    FROM login_session JOIN person ON person.id = login_session.person_id
    WHERE login_session.token_hash = :token AND login_session.revoked_at IS NULL
      AND person.active""")

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Floor · perfsite</title>
  <link rel="stylesheet" href="/static/css/site.css">
  <link rel="icon" href="/static/img/icon.svg" type="image/svg+xml">
  <script src="/static/js/site.js" defer></script>
</head>
<body>
  <a class="skip-link" href="#main">Skip to content</a>
  <header class="site-header">
    <div class="brand"><a href="/">perfsite</a></div>
    <nav aria-label="Main" class="site-nav">
      <ul>
        {% for label, href in nav %}<li><a href="{{ href }}">{{ label }}</a></li>{% endfor %}
      </ul>
    </nav>
    <div class="header-tools">
      <span class="whoami">{{ person.display_name }}</span>
      <a href="/account/password">Password</a>
    </div>
  </header>
  <main id="main" tabindex="-1">
    <h1>Hello, {{ person.display_name }}</h1>
    <p>The floor: the layout and the session lookup, nothing else.</p>
  </main>
  <footer class="site-footer"><p>perfsite · Performance management</p></footer>
</body>
</html>"""

NAV = [("Home", "/"), ("Planning", "/planning/"), ("Check-ins", "/coaching/"),
       ("To-dos", "/coaching/todos"), ("People", "/people"), ("Departments", "/departments")]


@app.get("/floor")
def floor():
    token = session.get("_user_id")
    if not token:
        abort(401)
    person = db.session.execute(
        LOOKUP, {"token": hashlib.sha256(token.encode()).hexdigest()}).first()
    if person is None:
        abort(401)
    return render_template_string(PAGE, person=person, nav=NAV)
