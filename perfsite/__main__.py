"""The `perfsite` command (pyproject.toml's console script; also `python -m perfsite`):
Flask's command line with this site's app, so that `perfsite db upgrade` is
`flask --app perfsite db upgrade`. The commands are in perfsite/cli.py."""

from flask.cli import FlaskGroup

from . import create_app


def main() -> None:
    FlaskGroup(create_app=create_app, help="perfsite: the site's commands "
               "(the same as `flask --app perfsite …`).").main(prog_name="perfsite")


if __name__ == "__main__":
    main()
