"""The seed scenarios' models after the edits each seed article warns about."""
