"""Airflow plugin registering silobreak with Airflow (the package itself is plugins/silobreak)."""

from airflow.plugins_manager import AirflowPlugin


class SilobreakPlugin(AirflowPlugin):
    name = "silobreak"
