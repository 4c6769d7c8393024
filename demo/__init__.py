"""The demo: an application of the suite, not part of it. `sanxiang demo` (demo.cli) drives one
realistic case (demo.case) through the running services over RPC, through their contracts; it
imports no service."""
