"""videos (jobs, uploaded chunks, track thumbnails), analyses.video_id, webcam tracker state

Revision ID: e5f6a7b8c9d0
Revises: d4e5f6a7b8c9
Create Date: 2026-11-29 17:00:00

Existing rows are untouched: analyses get a NULL video_id, webcam sessions a NULL tracker state.
Columns are added with plain ALTER TABLE (not batch mode, which on SQLite would copy and drop
``analyses`` and, with foreign keys on, cascade the drop into face_results); for the same reason
analyses.video_id is a plain indexed column, not a foreign key.
"""
from alembic import op
import sqlalchemy as sa


revision = 'e5f6a7b8c9d0'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('videos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('sample_fps', sa.Double(), nullable=False),
    sa.Column('keep_thumbnails', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('duration_seconds', sa.Double(), nullable=True),
    sa.Column('frames_total', sa.Integer(), nullable=True),
    sa.Column('frames_done', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('tracks_json', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_videos_user_id', 'videos', ['user_id'], unique=False)
    op.create_index('ix_videos_created_at', 'videos', ['created_at'], unique=False)
    op.create_index('ix_videos_status_heartbeat_at', 'videos', ['status', 'heartbeat_at'], unique=False)
    op.create_table('video_chunks',
    sa.Column('video_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('video_id', 'seq')
    )
    op.create_table('video_thumbnails',
    sa.Column('video_id', sa.Integer(), nullable=False),
    sa.Column('track_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('jpeg', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('video_id', 'track_id')
    )
    # No foreign key on analyses.video_id (see the model): the video service deletes both together.
    op.add_column('analyses', sa.Column('video_id', sa.Integer(), nullable=True))
    op.create_index('ix_analyses_video_id', 'analyses', ['video_id'], unique=False)
    op.add_column('webcam_sessions', sa.Column('tracker_state', sa.Text(), nullable=True))


def downgrade():
    op.drop_column('webcam_sessions', 'tracker_state')
    op.execute("DELETE FROM analyses WHERE source = 'video'")
    op.drop_index('ix_analyses_video_id', table_name='analyses')
    op.drop_column('analyses', 'video_id')
    op.drop_table('video_thumbnails')
    op.drop_table('video_chunks')
    op.drop_index('ix_videos_status_heartbeat_at', table_name='videos')
    op.drop_index('ix_videos_created_at', table_name='videos')
    op.drop_index('ix_videos_user_id', table_name='videos')
    op.drop_table('videos')
