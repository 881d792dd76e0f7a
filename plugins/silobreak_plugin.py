"""Airflow plugin registering silobreak with Airflow (the package itself is plugins/silobreak).

It serves the governance view (lineage graph, dataset pages, impact analysis, search) inside
Airflow 3's UI: the view's FastAPI app is mounted on the API server and a "Governance" entry in the
Browse menu shows it in Airflow's own frame.
"""

from airflow.plugins_manager import AirflowPlugin

from silobreak.lineage.view.app import create_view_app

VIEW_PREFIX = "/silobreak-governance"


class SilobreakPlugin(AirflowPlugin):
    name = "silobreak"
    fastapi_apps = [{"app": create_view_app(), "url_prefix": VIEW_PREFIX, "name": "silobreak governance view"}]  # noqa: RUF012 - how Airflow declares them
    external_views = [  # noqa: RUF012
        {
            "name": "Governance",
            "href": f"{VIEW_PREFIX}/",
            "destination": "nav",
            "category": "browse",
            "url_route": "silobreak-governance",
        }
    ]
