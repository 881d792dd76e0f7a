"""Sub-commands of the ``silobreak`` CLI, one module per group."""
