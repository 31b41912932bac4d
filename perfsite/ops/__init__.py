"""Running the site on a server: what the commands of perfsite/cli.py do.

admin.py    the first run: `flask create-admin`, and what the empty site says
deploy.py   `flask check-deploy`: what is wrong for production, in plain words
backup.py   `flask backup` / `flask restore`: one archive with everything a restore needs
startup.py  `flask serve-demo` (`make run`): migrate when behind, seed when empty, serve
"""
