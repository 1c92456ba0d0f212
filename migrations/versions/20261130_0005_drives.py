"""drives

Revision ID: 20261130_0005
Revises: 20261130_0004
Create Date: 2026-11-30 13:07:33.992272
"""
from alembic import op
import sqlalchemy as sa


revision = '20261130_0005'
down_revision = '20261130_0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('drives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=128), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('exam_weight', sa.Float(), nullable=False),
    sa.Column('study_weight', sa.Float(), nullable=False),
    sa.Column('practice_weight', sa.Float(), nullable=False),
    sa.Column('practice_daily_cap', sa.Integer(), nullable=False),
    sa.Column('unit_sort', sa.String(length=16), nullable=False),
    sa.Column('freeze_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drives'))
    )
    op.create_table('drive_courses',
    sa.Column('drive_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_drive_courses_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['drive_id'], ['drives.id'], name=op.f('fk_drive_courses_drive_id_drives'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('drive_id', 'course_id', name=op.f('pk_drive_courses'))
    )
    op.create_table('drive_exams',
    sa.Column('drive_id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['drive_id'], ['drives.id'], name=op.f('fk_drive_exams_drive_id_drives'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['exam_id'], ['exams.id'], name=op.f('fk_drive_exams_exam_id_exams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('drive_id', 'exam_id', name=op.f('pk_drive_exams'))
    )


def downgrade() -> None:
    op.drop_table('drive_exams')
    op.drop_table('drive_courses')
    op.drop_table('drives')
