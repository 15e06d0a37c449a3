"""A serverless pool: functions billed per GB-second and per request, with cold starts,
a memory cap per function and a concurrency limit (:mod:`~fedsim.serverless.pool`)."""

from fedsim.serverless.pool import Invocations, PriceSheet, ServerlessPool, invoke

__all__ = ["Invocations", "PriceSheet", "ServerlessPool", "invoke"]
