"""practice

Revision ID: 20261130_0003
Revises: 20261130_0002
Create Date: 2026-11-30 12:48:04.829363
"""
from alembic import op
import sqlalchemy as sa


revision = '20261130_0003'
down_revision = '20261130_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('article_stats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('law_short_title', sa.String(length=64), nullable=False),
    sa.Column('article_number', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('recent', sa.String(length=64), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_article_stats_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_stats')),
    sa.UniqueConstraint('user_id', 'law_short_title', 'article_number', name='uq_article_stats_user_article')
    )
    with op.batch_alter_table('article_stats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_stats_user_id'), ['user_id'], unique=False)

    op.create_table('favorites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=32), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_favorites_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_favorites')),
    sa.UniqueConstraint('user_id', 'question_key', name='uq_favorites_user_key')
    )
    with op.batch_alter_table('favorites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_favorites_user_id'), ['user_id'], unique=False)

    op.create_table('practice_cursors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=96), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_practice_cursors_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_cursors')),
    sa.UniqueConstraint('user_id', 'scope', name='uq_practice_cursors_user_scope')
    )
    op.create_table('practice_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=128), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('pass_mark', sa.Float(), nullable=True),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_practice_sessions_module_id_modules'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_practice_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_sessions'))
    )
    with op.batch_alter_table('practice_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_practice_sessions_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('review_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=32), nullable=False),
    sa.Column('card', sa.Text(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('right_streak', sa.Integer(), nullable=False),
    sa.Column('lapses', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('last_reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.Column('removed_reason', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_cards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_cards')),
    sa.UniqueConstraint('user_id', 'question_key', name='uq_review_cards_user_key')
    )
    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.create_index('ix_review_cards_user_due', ['user_id', 'due_at'], unique=False)

    op.create_table('practice_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=32), nullable=False),
    sa.Column('option_order', sa.Text(), nullable=False),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('is_correct', sa.Boolean(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_practice_items_question_id_questions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['session_id'], ['practice_sessions.id'], name=op.f('fk_practice_items_session_id_practice_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_practice_items_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_items')),
    sa.UniqueConstraint('session_id', 'position', name='uq_practice_items_session_position'),
    sa.UniqueConstraint('session_id', 'question_key', name='uq_practice_items_session_key')
    )
    with op.batch_alter_table('practice_items', schema=None) as batch_op:
        batch_op.create_index('ix_practice_items_question_answered', ['question_id', 'answered_at', 'is_correct'],
                              unique=False)
        batch_op.create_index('ix_practice_items_user_answered', ['user_id', 'answered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_items_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_practice_items_user_key', ['user_id', 'question_key'], unique=False)

    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('best_score', sa.Double(), nullable=True))

    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiz_tags', sa.Text(), nullable=False, server_default='[]'))



def downgrade() -> None:
    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.drop_column('quiz_tags')

    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.drop_column('best_score')
        batch_op.drop_column('tested_at')

    with op.batch_alter_table('practice_items', schema=None) as batch_op:
        batch_op.drop_index('ix_practice_items_user_key')
        batch_op.drop_index('ix_practice_items_user_answered')
        batch_op.drop_index(batch_op.f('ix_practice_items_user_id'))
        batch_op.drop_index('ix_practice_items_question_answered')

    op.drop_table('practice_items')
    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_review_cards_user_due')

    op.drop_table('review_cards')
    with op.batch_alter_table('practice_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_practice_sessions_user_created')

    op.drop_table('practice_sessions')
    op.drop_table('practice_cursors')
    with op.batch_alter_table('favorites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_favorites_user_id'))

    op.drop_table('favorites')
    with op.batch_alter_table('article_stats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_stats_user_id'))

    op.drop_table('article_stats')
