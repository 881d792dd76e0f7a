"""The embedded local stack: Postgres, an S3 server, the lineage service and Airflow."""
