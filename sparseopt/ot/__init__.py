"""Entropic optimal transport: ``sinkhorn`` / ``sinkhorn2`` (log-domain Sinkhorn and Sinkhorn-Newton-Sparse,
with POT's arguments) and the ``SinkhornTransport`` estimator (domain adaptation by barycentric mapping)."""
from sparseopt.ot.sinkhorn import sinkhorn, sinkhorn2
from sparseopt.ot.transport import SinkhornTransport

__all__ = ["SinkhornTransport", "sinkhorn", "sinkhorn2"]
