"""The HTTP policy every adapter shares: signing, envelope, retries, rate limits, breaker."""
