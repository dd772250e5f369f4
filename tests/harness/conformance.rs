//! The conformance-mode server (`ecb conformance`), started in-process.
