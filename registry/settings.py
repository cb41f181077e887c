"""Settings from the environment (``GRIDREG_*``) or a ``.env`` file.

>>> Settings(store="memory://").store
'memory://'
>>> Settings(_env_file=None).store
'sqlite:///gridreg.db'
>>> Settings(_env_file=None, production=True).effective().introspection
False
"""

from __future__ import annotations

from typing import Literal

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
    suggestions: bool = True  # "Did you mean ...?" in validation errors
    max_depth: int = 15
    max_aliases: int = 30
    max_tokens: int = 5000
    budget_ms: int = 10_000  # per request; long operations stop and say "incomplete"
    #: Requests without a credential: ``viewer`` (read-only, personal data masked) or ``none``
    #: (every request needs a token: 401 UNAUTHENTICATED without one). See docs/security.md.
    anonymous: Literal["viewer", "none"] = "viewer"
    #: JWTs from an identity provider: its issuer (``iss``) and key (an HS256 secret, or an
    #: RS256/ES256 public key in PEM); the audience (``aud``) is checked when set.
    jwt_issuer: str | None = None
    jwt_key: SecretStr | None = None
    jwt_audience: str | None = None
    #: One switch for a production service: no GraphiQL, no introspection, no suggestions.
    production: bool = False

    def effective(self) -> Settings:
        """These settings with ``production`` applied."""
        if not self.production:
            return self
        return self.model_copy(
            update={"graphiql": False, "introspection": False, "suggestions": False}
        )
