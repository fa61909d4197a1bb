"""`python -m service.adapters.cli`: the `tracedesk` command."""

from service.adapters.cli import main

raise SystemExit(main())
