"""exchanges layer (see docs/architecture.md)."""
