"""Reports for people: the HTML pages and the terminal view (leaves: they receive what they show and open nothing), and signing."""
