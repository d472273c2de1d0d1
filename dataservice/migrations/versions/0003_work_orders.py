"""work-order taxonomy and ticket work-order fields

Revision ID: 0003_work_orders
Revises: 0002
Create Date: 2026-12-02 19:30:05.201458
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_work_orders'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('work_order_categories',
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('parent_code', sa.String(length=8), nullable=True),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.Column('department_zh', sa.String(length=64), nullable=False),
    sa.Column('department_en', sa.String(length=160), nullable=False),
    sa.Column('response_working_days', sa.SmallInteger(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['work_order_categories.code'], name=op.f('fk_work_order_categories_parent_code_work_order_categories')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_work_order_categories'))
    )
    op.create_table('work_order_message_types',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name_zh', sa.String(length=16), nullable=False),
    sa.Column('name_en', sa.String(length=64), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_work_order_message_types'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_type', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('category_code', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('road', sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column('landmark', sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_tickets_category_code_work_order_categories'), 'work_order_categories', ['category_code'], ['code'])
        batch_op.create_foreign_key(batch_op.f('fk_tickets_message_type_work_order_message_types'), 'work_order_message_types', ['message_type'], ['code'])



def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tickets_message_type_work_order_message_types'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_tickets_category_code_work_order_categories'), type_='foreignkey')
        batch_op.drop_column('channel')
        batch_op.drop_column('landmark')
        batch_op.drop_column('road')
        batch_op.drop_column('category_code')
        batch_op.drop_column('message_type')

    op.drop_table('work_order_message_types')
    op.drop_table('work_order_categories')
