"""Command line tools: `flask --app app analyze PHOTO...`, `tokens create`, `create-admin`."""
import json
from pathlib import Path

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("analyze")
    @click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
    def analyze(paths):
        """Print the faces and emotions found in image files as JSON (nothing is stored)."""
        from app.analysis.service import find_faces
        from app.vision import InvalidImage, decode_picture

        for path in paths:
            try:
                picture = decode_picture(Path(path).read_bytes(), max_pixels=app.config["MAX_IMAGE_PIXELS"])
            except InvalidImage as error:
                click.echo(json.dumps({"file": path, "error": str(error)}))
                continue
            faces = [face.to_dict() for face in find_faces(picture)]
            click.echo(json.dumps({"file": path, "faces": faces, "width": picture.width,
                                   "height": picture.height}))

    register_account_commands(app)


def register_account_commands(app: Flask) -> None:
    """`flask --app app tokens create USERNAME`, `flask --app app create-admin USERNAME`."""
    from app.admin import commands as admin_commands
    from app.auth import tokens

    @app.cli.group("tokens")
    def tokens_group():
        """Personal access tokens for scripts."""

    @tokens_group.command("create")
    @click.argument("username")
    @click.option("--name", required=True, help="What the token is for (shown in the account's token list).")
    @click.option("--scope", type=click.Choice(["read", "write"]), default="read", show_default=True,
                  help="write can also upload and delete.")
    @click.option("--expires-in-days", type=click.IntRange(1, tokens.MAX_EXPIRY_DAYS), default=None,
                  help="Days until it stops working (default: never).")
    def create_token(username, name, scope, expires_in_days):
        """Print a new access token of USERNAME (it is shown this once)."""
        user = admin_commands.find_user_or_fail(username)
        try:
            made = tokens.create_token(user, name, [scope], expires_in_days)
        except tokens.TokenError as error:
            raise click.ClickException(str(error)) from None
        click.echo(made.secret)

    admin_commands.register(app)
