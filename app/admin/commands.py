"""`flask --app app create-admin USERNAME`: make an operator account, or promote one."""
import click
from flask import Flask

from app.admin import service
from app.auth.service import AccountError, find_account, register_user


def find_user_or_fail(username: str):
    user = find_account(username)
    if user is None:
        raise click.ClickException(f"No account named {username!r}.")
    return user


def register(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.argument("username")
    @click.option("--promote", is_flag=True, help="Make an existing account an admin instead of creating one.")
    @click.option("--email", help="E-mail of the new account (default USERNAME@localhost).")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
                  prompt_required=False, default=None, help="Asked for when not given (new accounts only).")
    def create_admin(username, promote, email, password):
        """Create an admin account USERNAME, or --promote an existing one."""
        if promote:
            user = find_user_or_fail(username)
        else:
            if not password:
                password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
            if len(password) < 8:
                raise click.ClickException("Use a password of at least 8 characters.")
            try:
                user = register_user(username, email or f"{username}@localhost", password)
            except AccountError as error:
                raise click.ClickException(f"{error.message} (use --promote for an existing account)") from None
        service.promote(user, actor=None)
        click.echo(f"{user.username} is an admin. The console is at /admin.")
