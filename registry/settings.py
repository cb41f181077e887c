"""Settings from the environment (``GRIDREG_*``) or a ``.env`` file.

>>> Settings(store="memory://").store
'memory://'
>>> Settings(_env_file=None).store
'sqlite:///gridreg.db'
"""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Everything configurable, in one place."""

    model_config = SettingsConfigDict(env_prefix="GRIDREG_", env_file=".env", extra="ignore")

    store: str = "sqlite:///gridreg.db"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_database: str = "neo4j"
    neo4j_retry_seconds: float = 5.0
    workers: int = 32
    host: str = "127.0.0.1"
    port: int = 8000
    max_page_size: int = 100
    graphiql: bool = True
    introspection: bool = True
