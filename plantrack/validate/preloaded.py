"""Imported by the fork server of the ingest workers (``processes.forkserver_context``):
Great Expectations and the ingest code loaded once there, before any worker is forked
from it, instead of in each worker as it starts (about 5 s of one core each)."""

import plantrack.pipeline  # noqa: F401  (what every batch runs)
from plantrack.validate.gx import preload

preload()
