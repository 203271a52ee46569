"""Caseloop: closed-loop customer feedback and complaint handling."""
