"""Operations: production checks, security headers, sessions, login rate limit and audit, structured
logs, backup and restore, retention."""
