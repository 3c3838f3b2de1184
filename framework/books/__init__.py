"""Order books in integer ticks and lots (L2 by price level, L3 order by order),
the counters of what a book absorbed, and the protobuf wire reader the venue
codecs feed them from. The hot path: these modules are compiled with mypyc."""
