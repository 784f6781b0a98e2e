"""The local cache: SQLAlchemy schema, migrations, and the queries the app needs."""
