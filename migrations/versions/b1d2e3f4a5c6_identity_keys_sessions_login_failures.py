"""identity keys on users, server-side login sessions, failed-login counters

Revision ID: b1d2e3f4a5c6
Revises: 2107198ba287
Create Date: 2026-11-23 19:40:00

* ``users.username_key`` / ``users.email_key``: the name and e-mail after Unicode NFKC
  normalisation and case folding, each with a unique index, so that "Alice", "ALICE" and the
  NFC/NFD spellings of one e-mail are one account for the database itself.
* ``user_sessions``: one row per login (the SHA-256 of the random token in the cookie); logging out
  deletes the row, changing the password deletes all of the user's rows.
* ``login_failures``: failed-login counters shared by every worker and instance.

Existing accounts whose keys collide (look-alikes registered before the keys existed, e.g. a
race between "bob" and "BOB", or one e-mail in NFC and in NFD): the OLDEST account (lowest id)
keeps the key; every younger one gets NULL for that key (a unique index allows several NULLs).
Nothing is deleted and no migration fails: the younger account can no longer be logged into by
that colliding name or e-mail (which was ambiguous anyway), only by its other, unique identifier.
Each such account is reported in the migration log so an administrator can rename it.
"""
import logging
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = 'b1d2e3f4a5c6'
down_revision = '2107198ba287'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def identity_key(value):
    """A frozen copy of app.auth.identity.identity_key (migrations must not import the app)."""
    value = unicodedata.normalize("NFKC", value.strip())
    return unicodedata.normalize("NFKC", value.casefold())


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username_key', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('email_key', sa.String(length=320), nullable=True))

    connection = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('username', sa.String),
                     sa.column('email', sa.String), sa.column('username_key', sa.String),
                     sa.column('email_key', sa.String))
    seen = {'username_key': {}, 'email_key': {}}
    rows = connection.execute(sa.select(users.c.id, users.c.username, users.c.email).order_by(users.c.id)).all()
    for user_id, username, email in rows:
        values = {}
        for column, raw in (('username_key', username), ('email_key', email)):
            key = identity_key(raw)
            if key in seen[column]:
                log.warning(
                    "users.%s: account %s collides with older account %s after normalisation; "
                    "it keeps no %s (rename it to give it one)",
                    column, user_id, seen[column][key], column,
                )
                values[column] = None
            else:
                seen[column][key] = user_id
                values[column] = key
        connection.execute(users.update().where(users.c.id == user_id).values(**values))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_username_key'), ['username_key'], unique=True)
        batch_op.create_index(batch_op.f('ix_users_email_key'), ['email_key'], unique=True)

    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('login_failures',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade():
    op.drop_table('login_failures')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_user_sessions_token_hash'))
    op.drop_table('user_sessions')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_email_key'))
        batch_op.drop_index(batch_op.f('ix_users_username_key'))
        batch_op.drop_column('email_key')
        batch_op.drop_column('username_key')
