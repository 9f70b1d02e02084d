"""Adapters: one package per outside protocol. They speak only to the hub client."""
