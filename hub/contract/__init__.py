"""The bus contract: messages, subjects and typed errors. No I/O and no NATS import here."""
