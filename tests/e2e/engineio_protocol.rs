//! Engine.IO v4 behaviours, as the official suite checks them.
