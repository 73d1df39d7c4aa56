"""Accounts: users, sessions (JWT access + rotating refresh tokens), API keys, roles and namespace grants."""
