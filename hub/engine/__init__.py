"""The engine runtime: the engine interface, the runner that serves it on the bus (with its
reply stream and its announcer), the hand-off from inference threads to the event loop, and
model lifecycle."""
