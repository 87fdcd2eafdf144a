"""Xet, the Hub's chunk-level storage protocol, from its published specification (huggingface.co/docs/xet):
chunking, hashing, the xorb and shard formats, and the store that keeps them in a hub dir."""

from .hashing import from_hex, to_hex
from .shard import ShardError
from .store import XetStore
from .xorb import XorbError

__all__ = ["ShardError", "XetStore", "XorbError", "from_hex", "to_hex"]
