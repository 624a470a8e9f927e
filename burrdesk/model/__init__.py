"""Qt-free data models: flow documents, run-database records and settings."""
