"""Initial operational schema: runs, orders, fills, positions, trades, signals, risk events,
kill-switch state, equity snapshots.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:49:29.396408
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import coinpilot.store.types

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('kill_switch_state',
    sa.Column('scope', sa.String(length=128), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('updated_at', coinpilot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('active', 'reducing', 'halted')", name=op.f('ck_kill_switch_state_state')),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_kill_switch_state'))
    )
    op.create_table('runs',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=True),
    sa.Column('started_at', coinpilot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', coinpilot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.CheckConstraint("kind IN ('backtest', 'paper', 'testnet', 'live')", name=op.f('ck_runs_kind')),
    sa.CheckConstraint("status IN ('running', 'completed', 'failed', 'aborted')", name=op.f('ck_runs_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_runs'))
    )
    op.create_table('equity_snapshots',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('time', coinpilot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('asset', sa.String(length=16), nullable=False),
    sa.Column('equity', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('wallet_balance', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('unrealized_pnl', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('margin_used', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_equity_snapshots_run_id_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equity_snapshots')),
    sa.UniqueConstraint('run_id', 'asset', 'time', name=op.f('uq_equity_snapshots_run_id_asset_time'))
    )
    op.create_table('orders',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('client_order_id', sa.String(length=36), nullable=False),
    sa.Column('exchange_order_id', sa.String(length=64), nullable=True),
    sa.Column('venue', sa.String(length=16), nullable=False),
    sa.Column('market', sa.String(length=16), nullable=False),
    sa.Column('symbol', sa.String(length=32), nullable=False),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('time_in_force', sa.String(length=8), nullable=True),
    sa.Column('position_side', sa.String(length=8), nullable=True),
    sa.Column('reduce_only', sa.Boolean(), nullable=False),
    sa.Column('price', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=True),
    sa.Column('stop_price', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=True),
    sa.Column('qty', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('filled_qty', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('avg_price', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', coinpilot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', coinpilot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('raw', sa.JSON(), nullable=True),
    sa.CheckConstraint("side IN ('BUY', 'SELL')", name=op.f('ck_orders_side')),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_orders_run_id_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('client_order_id', name=op.f('uq_orders_client_order_id')),
    sa.UniqueConstraint('venue', 'symbol', 'exchange_order_id', name=op.f('uq_orders_venue_symbol_exchange_order_id'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_run_symbol', ['run_id', 'symbol'], unique=False)
        batch_op.create_index('ix_orders_status', ['status'], unique=False)

    op.create_table('risk_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.Column('time', coinpilot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('symbol', sa.String(length=32), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_risk_events_run_id_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_events'))
    )
    with op.batch_alter_table('risk_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_events_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_events_time'), ['time'], unique=False)

    op.create_table('signals',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('strategy', sa.String(length=64), nullable=False),
    sa.Column('symbol', sa.String(length=32), nullable=False),
    sa.Column('time', coinpilot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('price', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('probability', sa.Float(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('reject_reason', sa.Text(), nullable=True),
    sa.Column('meta', sa.JSON(), nullable=True),
    sa.CheckConstraint("action IN ('enter', 'exit')", name=op.f('ck_signals_action')),
    sa.CheckConstraint("side IN ('long', 'short')", name=op.f('ck_signals_side')),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_signals_run_id_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signals'))
    )
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.create_index('ix_signals_run_symbol_time', ['run_id', 'symbol', 'time'], unique=False)

    op.create_table('fills',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('venue', sa.String(length=16), nullable=False),
    sa.Column('symbol', sa.String(length=32), nullable=False),
    sa.Column('trade_id', sa.String(length=64), nullable=False),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('price', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('qty', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('fee', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('fee_asset', sa.String(length=16), nullable=True),
    sa.Column('realized_pnl', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=True),
    sa.Column('liquidity', sa.String(length=8), nullable=True),
    sa.Column('time', coinpilot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('raw', sa.JSON(), nullable=True),
    sa.CheckConstraint("side IN ('BUY', 'SELL')", name=op.f('ck_fills_side')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_fills_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fills')),
    sa.UniqueConstraint('venue', 'symbol', 'trade_id', name=op.f('uq_fills_venue_symbol_trade_id'))
    )
    with op.batch_alter_table('fills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fills_order_id'), ['order_id'], unique=False)

    op.create_table('positions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('venue', sa.String(length=16), nullable=False),
    sa.Column('symbol', sa.String(length=32), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('qty', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('entry_price', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('leverage', sa.Integer(), nullable=True),
    sa.Column('margin_mode', sa.String(length=8), nullable=True),
    sa.Column('realized_pnl', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('stop_client_order_id', sa.String(length=36), nullable=True),
    sa.Column('target_client_order_id', sa.String(length=36), nullable=True),
    sa.Column('opened_at', coinpilot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', coinpilot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', coinpilot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("side IN ('long', 'short')", name=op.f('ck_positions_side')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_positions_status')),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_positions_run_id_runs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stop_client_order_id'], ['orders.client_order_id'], name=op.f('fk_positions_stop_client_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['target_client_order_id'], ['orders.client_order_id'], name=op.f('fk_positions_target_client_order_id_orders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_positions'))
    )
    with op.batch_alter_table('positions', schema=None) as batch_op:
        batch_op.create_index('ix_positions_run_symbol_status', ['run_id', 'symbol', 'status'], unique=False)

    op.create_table('trades',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('position_id', sa.Integer(), nullable=True),
    sa.Column('venue', sa.String(length=16), nullable=False),
    sa.Column('symbol', sa.String(length=32), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('strategy', sa.String(length=64), nullable=False),
    sa.Column('entry_time', coinpilot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('exit_time', coinpilot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('entry_price', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('exit_price', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('qty', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('gross_pnl', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('fees', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('funding', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('net_pnl', coinpilot.store.types.DecimalType(precision=38, scale=18), nullable=False),
    sa.Column('exit_reason', sa.String(length=16), nullable=False),
    sa.Column('entry_reason', sa.Text(), nullable=True),
    sa.Column('leverage', sa.Integer(), nullable=True),
    sa.Column('ml_probability', sa.Float(), nullable=True),
    sa.Column('llm_model', sa.String(length=64), nullable=True),
    sa.Column('llm_reasoning', sa.Text(), nullable=True),
    sa.Column('meta', sa.JSON(), nullable=True),
    sa.CheckConstraint("side IN ('long', 'short')", name=op.f('ck_trades_side')),
    sa.ForeignKeyConstraint(['position_id'], ['positions.id'], name=op.f('fk_trades_position_id_positions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_trades_run_id_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trades')),
    sa.UniqueConstraint('run_id', 'symbol', 'side', 'entry_time', name=op.f('uq_trades_run_id_symbol_side_entry_time'))
    )
    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.create_index('ix_trades_run_exit_time', ['run_id', 'exit_time'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.drop_index('ix_trades_run_exit_time')

    op.drop_table('trades')
    with op.batch_alter_table('positions', schema=None) as batch_op:
        batch_op.drop_index('ix_positions_run_symbol_status')

    op.drop_table('positions')
    with op.batch_alter_table('fills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fills_order_id'))

    op.drop_table('fills')
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.drop_index('ix_signals_run_symbol_time')

    op.drop_table('signals')
    with op.batch_alter_table('risk_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_events_time'))
        batch_op.drop_index(batch_op.f('ix_risk_events_run_id'))

    op.drop_table('risk_events')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_status')
        batch_op.drop_index('ix_orders_run_symbol')

    op.drop_table('orders')
    op.drop_table('equity_snapshots')
    op.drop_table('runs')
    op.drop_table('kill_switch_state')
