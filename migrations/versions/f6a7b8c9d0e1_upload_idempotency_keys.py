"""upload idempotency keys

Revision ID: f6a7b8c9d0e1
Revises: e5f6a7b8c9d0
Create Date: 2026-11-29 17:00:00

A new table only: existing rows are not touched.
"""
from alembic import op
import sqlalchemy as sa


revision = 'f6a7b8c9d0e1'
down_revision = 'e5f6a7b8c9d0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('upload_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('analysis_ids', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'key', name='uq_upload_keys_user_id_key')
    )
    op.create_index(op.f('ix_upload_keys_user_id'), 'upload_keys', ['user_id'], unique=False)
    op.create_index(op.f('ix_upload_keys_created_at'), 'upload_keys', ['created_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_upload_keys_created_at'), table_name='upload_keys')
    op.drop_index(op.f('ix_upload_keys_user_id'), table_name='upload_keys')
    op.drop_table('upload_keys')
