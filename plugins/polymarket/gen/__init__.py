"""Generated protobuf and gRPC modules for ``polymarket.v1`` (see ``protogen``)."""
