//! A raw Engine.IO client over real HTTP and WebSocket, for protocol tests.
