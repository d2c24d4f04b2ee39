"""Matching: comparing a query with a record, field by field and photograph by photograph, and what a query is too thin to rule out."""
