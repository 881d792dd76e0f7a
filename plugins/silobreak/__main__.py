"""``python -m silobreak`` is the ``silobreak`` command."""

from silobreak.cli import main

main()
