"""The `rifeflow` command: `main` parses and dispatches; `catalog` holds run, report and ui."""
