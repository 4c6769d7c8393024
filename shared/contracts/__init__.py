"""Declaring contracts and what follows from them: the registry of RPC methods and events
with strict marshmallow schemas (registry), the bounds every field is held to (bounds), and the
exports other systems implement against — JSON Schema (jsonschema), every message's schema and
example (messages), AsyncAPI 3.0.0 (asyncapi), files under contracts/ (export)."""
