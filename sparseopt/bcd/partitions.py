"""Fixed partitions of the coordinates into blocks (Sec. 3.1 and Fig. 10 of Nutini, Laradji & Schmidt 2022).

A partition is a pair (block_ptr, members): block b holds members[block_ptr[b]:block_ptr[b + 1]].

- ``order``: contiguous indices 0..tau-1, tau..2tau-1, ...;
- ``sort``: coordinates sorted by L_i, cut into consecutive chunks (similar L_i together; the paper's default,
  best with greedy rules and gradient updates);
- ``avg``: coordinates sorted by L_i and interleaved smallest / largest (i_0, i_{n-1}, i_1, i_{n-2}, ...) before
  cutting, so every block has a similar average L_i.

For graphs, ``red_black`` (greedy colouring) and ``tree_partition`` (greedy forest colouring) live in
``sparseopt.bcd.message_passing``. When tau does not divide n the last block is smaller.
"""
import numpy as np

FIXED_PARTITIONS = ("order", "sort", "avg")


def cut(order, block_size):
    """The partition that cuts ``order`` into consecutive chunks of block_size (the last may be shorter)."""
    n = order.size
    block_ptr = np.append(np.arange(0, n, block_size), n).astype(np.int64)
    return block_ptr, np.ascontiguousarray(order, dtype=np.int64)


def from_labels(labels):
    """The partition whose blocks are the coordinates sharing a label (labels 0..B-1)."""
    members = np.argsort(labels, kind="stable").astype(np.int64)
    counts = np.bincount(labels)
    return np.concatenate(([0], np.cumsum(counts))).astype(np.int64), members


def fixed_partition(name, lipschitz, block_size):
    """Partition ``name`` (one of FIXED_PARTITIONS) of len(lipschitz) coordinates into blocks of block_size."""
    n = lipschitz.size
    if name == "order":
        return cut(np.arange(n), block_size)
    ascending = np.argsort(lipschitz, kind="stable")
    if name == "sort":
        return cut(ascending, block_size)
    if name == "avg":
        interleaved = np.empty(n, dtype=np.int64)
        interleaved[0::2] = ascending[:(n + 1) // 2]
        interleaved[1::2] = ascending[::-1][:n // 2]
        return cut(interleaved, block_size)
    raise ValueError(f"partition must be one of {FIXED_PARTITIONS} or 'variable'; got {name!r}")


def blocks_of(partition):
    """The list of index arrays of a partition."""
    block_ptr, members = partition
    return [members[block_ptr[b]:block_ptr[b + 1]] for b in range(block_ptr.size - 1)]
