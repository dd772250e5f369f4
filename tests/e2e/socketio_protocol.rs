//! Socket.IO v5 behaviours, as the official suite checks them.
