"""Sans-IO codec of the dYdX full node: response bytes -> L3 books and events; requests out.

Theory of operation
-------------------
:meth:`DydxCodec.feed` takes the bytes of one ``StreamOrderbookUpdatesResponse``
(as gRPC delivers them, or as a recording holds them) and returns the events it
produced. It keeps one :class:`~framework.books.l3book.L3Book` per clob pair, in
integer ticks and lots (:mod:`plugins.dydx.units`), and applies the venue
reference's book rules:

1. **Pre-snapshot**: order-book updates and fills for a pair are discarded
   (and counted) until a snapshot has covered it.
2. **Snapshot** (``snapshot=true``): each order is a place followed by an
   update carrying its filled amount; every requested pair is rebuilt from it
   (a pair absent from it is empty). A snapshot of a pair that was already
   live is compared first: differing orders count as ``snapshot_divergence``.
3. **Place** appends at the tail of its level; **update** sets the absolute
   filled amount (it may go down); **remove** deletes. Updates and removes of
   ids not on the book are tolerated and counted (update-before-place, block
   sync of gone orders).
4. **order_fill**: ``orders`` zipped with ``fill_amounts`` (cumulative) sets
   ``filled`` of each order on the book, whatever the exec mode: it is the only
   signal of a partial maker fill. Prints are made from ``MakerFill`` entries
   at the maker's price: :class:`~plugins.dydx.events.DydxTrade` (a ``Trade``)
   from finalize (mode 7) only; optimistic fills (other modes) become
   :class:`~plugins.dydx.events.OptimisticFill` unless ``confirmed_only``, and
   a replay of one (mode 102) is not published twice.
   :class:`~framework.model.events.OrderFilled` goes out for orders of
   ``own_subaccounts``, from mode 7 fills only.
5. **taker_order**, subaccount and price updates become events and leave the
   book alone.

Book events: after each response, one :class:`~framework.model.events.BookDelta`
per touched pair lists the new aggregate size of every level touched (the
node's flush is the unit: a consumer sees no half-applied batch); a snapshot
publishes a :class:`~framework.model.events.BookSnapshot`.

Health: bytes that do not parse are counted (``malformed``), the rest of that
response is skipped, and ``needs_resync`` is set; so is a book left crossed by
a response (``crossed``, with ``resync_on_crossed``). The transport answers
``needs_resync`` by resubscribing; :meth:`~DydxCodec.reset` makes every pair
wait for the new snapshot.

Modules (each imports only those above it; all but this one and
:mod:`~plugins.dydx.codec.requests` are compiled by mypyc):

- :mod:`~plugins.dydx.codec.stats`: the counters;
- :mod:`~plugins.dydx.codec.orderread`: order ids and orders, with an id cache;
- :mod:`~plugins.dydx.codec.state`: :class:`PairState` and the codec's state;
- :mod:`~plugins.dydx.codec.ops` (update bytes -> book operations),
  :mod:`~plugins.dydx.codec.snapshot`, :mod:`~plugins.dydx.codec.fills`,
  :mod:`~plugins.dydx.codec.notices`: functions of that state;
- :mod:`~plugins.dydx.codec.decoder`: :class:`DydxCodec`, the response reader
  and the hot loop applying operations to the books;
- :mod:`~plugins.dydx.codec.requests`: the outbound messages (subscription,
  unit-parameter queries) and reading their replies.
"""

from __future__ import annotations

from plugins.dydx.codec.decoder import DydxCodec
from plugins.dydx.codec.state import PairState
from plugins.dydx.codec.stats import CodecStats

__all__ = ["CodecStats", "DydxCodec", "PairState"]
