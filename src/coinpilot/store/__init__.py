"""store layer (see docs/architecture.md): SQLAlchemy models, Alembic migrations, engine and sessions.

Repositories (typed read/write helpers per table) build on `session_scope`.
"""

from coinpilot.store.engine import create_engine_from_url, session_factory, session_scope

__all__ = ["create_engine_from_url", "session_factory", "session_scope"]
