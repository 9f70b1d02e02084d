"""What voicebus keeps in JetStream: the voice library (later the audio cache and jobs)."""
