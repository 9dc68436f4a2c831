"""keep-my-photos setting on users, analysis_photos table for the kept copies, deleted_items for undo

Revision ID: c7e8f9a0b1d2
Revises: b1d2e3f4a5c6
Create Date: 2026-11-23 19:50:00

``deleted_items`` holds what a delete removed for a few minutes, so that it can be undone.

Existing users get keep_photos = false (the server default), so nothing changes for them until
they turn the setting on; existing analyses simply have no photo.

The column is added and dropped with plain ALTER TABLE, not Alembic's batch mode: on SQLite batch
mode copies ``users`` into a new table and drops the old one, and with foreign keys on, dropping
``users`` would cascade and delete every analysis and webcam session.
"""
from alembic import op
import sqlalchemy as sa


revision = 'c7e8f9a0b1d2'
down_revision = 'b1d2e3f4a5c6'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('keep_photos', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table('analysis_photos',
    sa.Column('analysis_id', sa.Integer(), nullable=False),
    sa.Column('jpeg', sa.LargeBinary(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['analysis_id'], ['analyses.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('analysis_id')
    )
    op.create_table('deleted_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('photo', sa.LargeBinary(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_deleted_items_user_id'), 'deleted_items', ['user_id'], unique=False)
    op.create_index(op.f('ix_deleted_items_deleted_at'), 'deleted_items', ['deleted_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_deleted_items_deleted_at'), table_name='deleted_items')
    op.drop_index(op.f('ix_deleted_items_user_id'), table_name='deleted_items')
    op.drop_table('deleted_items')
    op.drop_table('analysis_photos')
    op.drop_column('users', 'keep_photos')  # SQLite >= 3.35 drops a column in place
