"""One's own objects, kept and sent out: their records and histories (`records`), theft alerts read
into records (`alerts`), and losses reported to the registers (`losses`). Above the case files,
which keep each record's history; below the service and the command line, which use them."""
