"""What the tests share: the real-server fixture, a websocket session, fuzz strategies."""
