"""Storage: the database engine, the shared table metadata and the schema migrations."""
