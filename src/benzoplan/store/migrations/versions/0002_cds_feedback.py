"""CDS Hooks cards issued per clinic and the feedback given on them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cds_cards',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(length=36), nullable=False),
    sa.Column('card_uuid', sa.String(length=64), nullable=False),
    sa.Column('service_id', sa.String(length=64), nullable=False),
    sa.Column('hook_instance', sa.String(length=100), nullable=False),
    sa.Column('context_patient', sa.String(length=200), nullable=False),
    sa.Column('indicator', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('suggestions', JSON, nullable=False),
    sa.Column('overridable', sa.Boolean(), nullable=False),
    sa.Column('issued_by', sa.String(length=36), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], ),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('clinic_id', 'card_uuid', name='uq_cds_cards_clinic_card')
    )
    op.create_table('cds_feedback',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('card_id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('accepted_suggestions', JSON, nullable=False),
    sa.Column('reason_system', sa.String(length=200), nullable=True),
    sa.Column('reason_code', sa.String(length=100), nullable=True),
    sa.Column('reason_display', sa.String(length=200), nullable=True),
    sa.Column('user_comment', sa.Text(), nullable=True),
    sa.Column('outcome_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['cds_cards.id'], ),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('card_id', 'outcome', 'outcome_at',
                        name='uq_cds_feedback_card_outcome_at')
    )
    with op.batch_alter_table('cds_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cds_feedback_card_id'), ['card_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cds_feedback_clinic_id'), ['clinic_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cds_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cds_feedback_clinic_id'))
        batch_op.drop_index(batch_op.f('ix_cds_feedback_card_id'))
    op.drop_table('cds_feedback')
    op.drop_table('cds_cards')
