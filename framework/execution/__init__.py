"""The execution core: how the framework, not the adapter, lets a message out.

- :mod:`framework.execution.sender` -- :class:`Outbound` (one encoded
  client-to-venue request) and :class:`GatedSender` (admits it through the
  venue's risk gate, then writes it).
"""

from framework.execution.sender import GatedSender, Outbound

__all__ = ["GatedSender", "Outbound"]
