"""The curriculum: content files in content/, their schema and their loader."""
