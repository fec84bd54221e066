"""Storage: the database, the shared table metadata and the schema migrations."""
