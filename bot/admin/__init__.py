"""The province's side: roles, targets report, exports, units, demo data (issue 8)."""
