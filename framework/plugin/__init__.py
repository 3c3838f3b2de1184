"""The plugin contracts: the hook specifications, what a plugin registers
(specs), the venue-adapter and strategy APIs, the plugin host that discovers
and indexes them, and the framework's own built-in plugin."""
