"""REST routes: bulk evidence import, snapshot files and the workshop page."""
